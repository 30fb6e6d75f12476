import {
  AUTO_SCALING_GROUP_TAG,
  checkCurrentEvaluation,
  decide,
  decideForInstance,
  decideForStartedInstance,
  type EventDecision,
  EXECUTION_CLOCK_SKEW_MS,
  type InstanceFacts,
  judgeExecution,
  readExemption,
} from "../../handler/decision";
import { readSettings, SettingsError } from "../../handler/settings";
import { HANDLER_ENVIRONMENT } from "../../lib/contract";
import {
  ACCOUNT,
  APPROVED_AMI,
  EXEMPTION_TAG,
  INSTANCE,
  type MutableEvent,
  REGION,
  RULE,
  sampleEvent,
  sampleRunningEvent,
  settings,
  TOPIC_ARN,
  UNAPPROVED_AMI,
} from "./fixtures";

function ignoredReason(decision: EventDecision): string {
  return decision.action === "ignore" ? decision.reason : `(${decision.action})`;
}

describe("decide", () => {
  it("remediates the recorded sample event when it names our rule, account, region and a real instance id", () => {
    // Given the recorded event, filled in for this deployment
    const event = sampleEvent();
    // When
    const decision = decide(event, settings());
    // Then
    expect(decision).toEqual({
      action: "remediate",
      target: {
        trigger: "compliance-change",
        eventId: event.id,
        ruleName: RULE,
        instanceId: INSTANCE,
        resultRecordedTime: new Date("2019-04-08T08:48:05.184Z"),
      },
    });
  });

  it("accepts the 8-digit instance ids of older instances", () => {
    expect(decide(sampleEvent({ instance: "i-0123abcd" }), settings()).action).toBe("remediate");
  });

  it("leaves the delay unknown, not wrong, when resultRecordedTime is missing or not a date", () => {
    const missing = sampleEvent();
    delete missing.detail.newEvaluationResult.resultRecordedTime;
    const garbled = sampleEvent();
    garbled.detail.newEvaluationResult.resultRecordedTime = "yesterday";
    for (const event of [missing, garbled]) {
      const decision = decide(event, settings());
      expect(decision.action).toBe("remediate");
      expect(decision.action === "remediate" && decision.target.resultRecordedTime).toBeUndefined();
    }
  });

  it("lets fields it does not read through: AWS adds fields to its events", () => {
    const event = sampleEvent();
    event.newTopLevelField = { anything: [1, 2] };
    event.detail.newEvaluationResult.annotation = "added later";
    expect(decide(event, settings()).action).toBe("remediate");
  });

  // Each row breaks exactly one condition of the sample event; the rest stays valid.
  const branches: ReadonlyArray<[string, (event: MutableEvent) => unknown, string]> = [
    ["source is neither aws.config nor aws.ec2", (e) => (e.source = "aws.s3"), "other-source"],
    [
      "detail-type differs",
      (e) => (e["detail-type"] = "Config Configuration Item Change"),
      "other-detail-type",
    ],
    [
      "messageType differs",
      (e) => (e.detail.messageType = "OversizedConfigurationItemChangeNotification"),
      "other-message-type",
    ],
    ["the event comes from another account", (e) => (e.account = "444455556666"), "other-account"],
    ["the event comes from another region", (e) => (e.region = "us-east-1"), "other-region"],
    [
      "the new result is COMPLIANT",
      (e) => (e.detail.newEvaluationResult.complianceType = "COMPLIANT"),
      "not-non-compliant",
    ],
    [
      "the new result is NOT_APPLICABLE (a terminated instance)",
      (e) => (e.detail.newEvaluationResult.complianceType = "NOT_APPLICABLE"),
      "not-non-compliant",
    ],
    [
      "the rule is not the one deployed",
      (e) => {
        e.detail.newEvaluationResult.evaluationResultIdentifier.evaluationResultQualifier.configRuleName =
          "someone-elses-rule";
        e.detail.configRuleName = "someone-elses-rule";
      },
      "other-rule",
    ],
    [
      "the rule differs only in case",
      (e) => {
        e.detail.newEvaluationResult.evaluationResultIdentifier.evaluationResultQualifier.configRuleName =
          RULE.toUpperCase();
        e.detail.configRuleName = RULE.toUpperCase();
      },
      "other-rule",
    ],
    [
      "the resource is not an instance",
      (e) => {
        e.detail.newEvaluationResult.evaluationResultIdentifier.evaluationResultQualifier.resourceType =
          "AWS::EC2::Volume";
        e.detail.resourceType = "AWS::EC2::Volume";
      },
      "not-an-instance",
    ],
    [
      "the instance id is malformed",
      (e) => {
        e.detail.newEvaluationResult.evaluationResultIdentifier.evaluationResultQualifier.resourceId =
          "i-XYZ; rm -rf /";
        e.detail.resourceId = "i-XYZ; rm -rf /";
      },
      "malformed-instance-id",
    ],
    [
      "the instance id has upper-case hex",
      (e) => {
        const upper = INSTANCE.toUpperCase().replace("I-", "i-");
        e.detail.newEvaluationResult.evaluationResultIdentifier.evaluationResultQualifier.resourceId = upper;
        e.detail.resourceId = upper;
      },
      "malformed-instance-id",
    ],
    [
      "the top-level resourceId contradicts the evaluation result",
      (e) => (e.detail.resourceId = "i-0fedcba9876543210"),
      "inconsistent-event",
    ],
    [
      "the top-level rule contradicts the evaluation result",
      (e) => (e.detail.configRuleName = "other"),
      "inconsistent-event",
    ],
    [
      "detail.awsAccountId contradicts the envelope",
      (e) => (e.detail.awsAccountId = "444455556666"),
      "inconsistent-event",
    ],
    [
      "detail.awsRegion contradicts the envelope",
      (e) => (e.detail.awsRegion = "us-east-1"),
      "inconsistent-event",
    ],
    ["detail is missing", (e) => delete e.detail, "malformed-event"],
    ["id is missing", (e) => delete e.id, "malformed-event"],
    ["account is a number", (e) => (e.account = 111122223333), "malformed-event"],
    [
      "the evaluation result has no qualifier",
      (e) => delete e.detail.newEvaluationResult.evaluationResultIdentifier,
      "malformed-event",
    ],
    ["newEvaluationResult is missing", (e) => delete e.detail.newEvaluationResult, "malformed-event"],
    [
      "complianceType is not a string",
      (e) => (e.detail.newEvaluationResult.complianceType = ["NON_COMPLIANT"]),
      "malformed-event",
    ],
  ];

  it.each(branches)("ignores the event when %s", (_name, breakIt, reason) => {
    // Given the sample event with one condition broken
    const event = sampleEvent();
    breakIt(event);
    // When / Then
    expect(ignoredReason(decide(event, settings()))).toBe(reason);
  });

  it.each([
    ["null", null],
    ["a string", "NON_COMPLIANT"],
    ["an array", [sampleEvent()]],
    ["an empty object", {}],
  ])("ignores %s as malformed, naming what is wrong", (_name, event) => {
    const decision = decide(event, settings());
    expect(decision.action).toBe("ignore");
    expect(decision.action === "ignore" && decision.reason).toBe("malformed-event");
    expect(decision.action === "ignore" && decision.details.length).toBeGreaterThan(0);
  });

  it("names the failing field of a malformed detail", () => {
    const event = sampleEvent();
    delete event.detail.newEvaluationResult.evaluationResultIdentifier.evaluationResultQualifier.resourceId;
    const decision = decide(event, settings());
    expect(decision.action === "ignore" && decision.details.join("\n")).toContain(
      "detail.newEvaluationResult.evaluationResultIdentifier.evaluationResultQualifier.resourceId",
    );
  });

  it("keeps the event id on an ignored event, for the log line", () => {
    const event = sampleEvent();
    event.account = "444455556666";
    expect(decide(event, settings())).toMatchObject({ action: "ignore", eventId: event.id });
  });
});

describe("decide, for an instance entering running (EC2's state-change event)", () => {
  it("remediates the recorded event for an instance of our account and region, under the deployed rule", () => {
    // Given the recorded state-change event, filled in for this deployment
    const event = sampleRunningEvent();
    // When
    const decision = decide(event, settings());
    // Then
    expect(decision).toEqual({
      action: "remediate",
      target: { trigger: "instance-running", eventId: event.id, ruleName: RULE, instanceId: INSTANCE },
    });
  });

  it("remediates without a resources list: only detail names the instance for certain", () => {
    const event = sampleRunningEvent();
    delete event.resources;
    expect(decide(event, settings()).action).toBe("remediate");
  });

  // Each row breaks exactly one condition of the recorded event; the rest stays valid.
  const runningBranches: ReadonlyArray<[string, (event: MutableEvent) => unknown, string]> = [
    [
      "detail-type is another EC2 event",
      (e) => (e["detail-type"] = "EC2 Spot Instance Interruption Warning"),
      "other-detail-type",
    ],
    ["the event comes from another account", (e) => (e.account = "444455556666"), "other-account"],
    ["the event comes from another region", (e) => (e.region = "us-east-1"), "other-region"],
    ["the instance entered pending", (e) => (e.detail.state = "pending"), "not-running-state"],
    ["the instance entered stopped", (e) => (e.detail.state = "stopped"), "not-running-state"],
    ["the instance id is not one", (e) => (e.detail["instance-id"] = "i-XYZ"), "malformed-instance-id"],
    ["detail has no instance-id", (e) => delete e.detail["instance-id"], "malformed-event"],
    ["detail.state is not a string", (e) => (e.detail.state = 16), "malformed-event"],
    [
      "resources name another instance",
      (e) => (e.resources = [`arn:aws:ec2:${REGION}:${ACCOUNT}:instance/i-0fedcba9876543210`]),
      "inconsistent-event",
    ],
    [
      "resources name the instance in another account",
      (e) => (e.resources = [`arn:aws:ec2:${REGION}:444455556666:instance/${INSTANCE}`]),
      "inconsistent-event",
    ],
  ];
  it.each(runningBranches)("ignores the event when %s", (_name, breakIt, reason) => {
    // Given the recorded event with one condition broken
    const event = sampleRunningEvent();
    breakIt(event);
    // When
    const decision = decide(event, settings());
    // Then
    expect(ignoredReason(decision)).toBe(reason);
    expect(decision).toMatchObject({ eventId: event.id });
  });

  it("names the missing field of a malformed detail", () => {
    const event = sampleRunningEvent();
    delete event.detail["instance-id"];
    expect(decide(event, settings())).toMatchObject({
      action: "ignore",
      reason: "malformed-event",
      details: ["detail.instance-id: expected string, received nothing"],
    });
  });
});

describe("readExemption", () => {
  const now = new Date("2026-06-15T12:00:00Z");

  it.each([
    ["true", undefined],
    ["TRUE", undefined],
    [" true ", undefined],
  ])("exempts for good with %j", (value) => {
    expect(readExemption(value, now)).toEqual({ exempt: true });
  });

  it("exempts until the end of a future date-only value, in UTC", () => {
    expect(readExemption("2026-06-15", now)).toEqual({
      exempt: true,
      until: new Date("2026-06-15T23:59:59.999Z"),
    });
  });

  it("exempts until a future timestamp", () => {
    expect(readExemption("2026-06-15T13:00:00Z", now)).toEqual({
      exempt: true,
      until: new Date("2026-06-15T13:00:00Z"),
    });
  });

  it.each(["2026-06-14", "2026-06-15T11:59:59Z", "2026-06-15T12:00:00Z"])(
    "does not exempt once %s has passed, and says it expired",
    (value) => {
      const exemption = readExemption(value, now);
      expect(exemption.exempt).toBe(false);
      expect(!exemption.exempt && exemption.note).toMatch(/expired/);
    },
  );

  it.each(["yes", "false", "", "15/06/2027", "2027-13-45", "2027-02-30T00:00:00Z"])(
    "does not exempt with the unreadable value %j",
    (value) => {
      expect(readExemption(value, now).exempt).toBe(false);
    },
  );

  it("does not exempt when the tag is absent", () => {
    expect(readExemption(undefined, now)).toEqual({ exempt: false });
  });
});

describe("decideForInstance", () => {
  const now = new Date("2026-06-15T12:00:00Z");
  const running = (tags: Record<string, string> = {}): InstanceFacts => ({ state: "running", tags });

  it("remediates a running, untagged instance", () => {
    expect(decideForInstance(running(), settings(), now)).toEqual({ action: "remediate", notes: [] });
  });

  it("does not stop an instance of an Auto Scaling group, and names the group for the log line", () => {
    expect(decideForInstance(running({ [AUTO_SCALING_GROUP_TAG]: "web" }), settings(), now)).toEqual({
      action: "guard",
      guard: "auto-scaling-group",
      detail: 'in Auto Scaling group "web", which would replace it with the same AMI',
      autoScalingGroup: "web",
    });
  });

  it("guards Auto Scaling instances even in dry-run and even when still pending", () => {
    const facts: InstanceFacts = { state: "pending", tags: { [AUTO_SCALING_GROUP_TAG]: "web" } };
    expect(decideForInstance(facts, settings({ dryRun: true }), now)).toMatchObject({
      guard: "auto-scaling-group",
    });
  });

  it("skips an exempt instance, naming no group", () => {
    expect(decideForInstance(running({ [EXEMPTION_TAG]: "true" }), settings(), now)).toEqual({
      action: "guard",
      guard: "exempt",
      detail: `tag ${EXEMPTION_TAG} exempts it`,
    });
  });

  it("reads the exemption from the configured tag key only", () => {
    const facts = running({ [EXEMPTION_TAG]: "true" });
    expect(decideForInstance(facts, settings({ exemptionTagKey: "team:keep" }), now).action).toBe(
      "remediate",
    );
    expect(
      decideForInstance(running({ "team:keep": "true" }), settings({ exemptionTagKey: "team:keep" }), now),
    ).toMatchObject({ guard: "exempt" });
  });

  it("remediates once an exemption expired, and carries the note", () => {
    expect(decideForInstance(running({ [EXEMPTION_TAG]: "2026-01-01" }), settings(), now)).toEqual({
      action: "remediate",
      notes: ["exemption expired at 2026-01-01T23:59:59.999Z"],
    });
  });

  it("asks for a retry while the instance is pending", () => {
    expect(decideForInstance({ state: "pending", tags: {} }, settings(), now).action).toBe("retry");
  });

  it("asks for a retry while DescribeInstances does not show the instance", () => {
    expect(decideForInstance({ tags: {} }, settings(), now).action).toBe("retry");
  });

  it.each(["stopping", "stopped", "shutting-down", "terminated"])(
    "has nothing to stop when the instance is %s",
    (state) => {
      expect(decideForInstance({ state, tags: {} }, settings(), now)).toMatchObject({
        action: "guard",
        guard: "not-running",
      });
    },
  );

  it("skips an instance whose AMI the list approves now, before any guard rail", () => {
    // Given an instance on an approved AMI, even in an Auto Scaling group (no notification is due)
    const facts: InstanceFacts = {
      state: "running",
      imageId: APPROVED_AMI,
      tags: { [AUTO_SCALING_GROUP_TAG]: "web" },
    };
    // Then
    expect(decideForInstance(facts, settings(), now)).toMatchObject({
      action: "approved-since",
      imageId: APPROVED_AMI,
    });
  });

  it("acts on an instance whose AMI the list does not approve", () => {
    const facts: InstanceFacts = { state: "running", imageId: UNAPPROVED_AMI, tags: {} };
    expect(decideForInstance(facts, settings(), now).action).toBe("remediate");
  });

  it("reports instead of acting in dry-run", () => {
    expect(decideForInstance(running(), settings({ dryRun: true }), now)).toEqual({
      action: "dry-run",
      notes: [],
    });
  });
});

describe("readSettings", () => {
  const complete = {
    [HANDLER_ENVIRONMENT.ruleName]: RULE,
    [HANDLER_ENVIRONMENT.accountId]: ACCOUNT,
    [HANDLER_ENVIRONMENT.region]: REGION,
    [HANDLER_ENVIRONMENT.dryRun]: "false",
    [HANDLER_ENVIRONMENT.exemptionTagKey]: EXEMPTION_TAG,
    [HANDLER_ENVIRONMENT.topicArn]: TOPIC_ARN,
    [HANDLER_ENVIRONMENT.approvedAmiIds]: APPROVED_AMI,
  };

  it("reads every variable of the contract", () => {
    expect(readSettings(complete)).toEqual(settings());
    expect(readSettings({ ...complete, [HANDLER_ENVIRONMENT.dryRun]: "true" }).dryRun).toBe(true);
  });

  it("names every missing or malformed variable at once", () => {
    const broken = {
      ...complete,
      [HANDLER_ENVIRONMENT.ruleName]: "",
      [HANDLER_ENVIRONMENT.accountId]: "12345",
      [HANDLER_ENVIRONMENT.dryRun]: "yes",
      [HANDLER_ENVIRONMENT.approvedAmiIds]: `${APPROVED_AMI},ami-nothex`,
    };
    delete (broken as Record<string, string | undefined>)[HANDLER_ENVIRONMENT.topicArn];
    expect(() => readSettings(broken)).toThrow(SettingsError);
    const message = (() => {
      try {
        readSettings(broken);
        return "";
      } catch (error) {
        return (error as Error).message;
      }
    })();
    for (const name of [
      HANDLER_ENVIRONMENT.ruleName,
      HANDLER_ENVIRONMENT.accountId,
      HANDLER_ENVIRONMENT.dryRun,
      HANDLER_ENVIRONMENT.topicArn,
      HANDLER_ENVIRONMENT.approvedAmiIds,
    ]) {
      expect(message).toContain(name);
    }
    expect(message).toContain('"ami-nothex"');
  });

  it("reads the approved list as comma-separated ids, and refuses an empty one", () => {
    const two = { ...complete, [HANDLER_ENVIRONMENT.approvedAmiIds]: `${APPROVED_AMI},${UNAPPROVED_AMI}` };
    expect(readSettings(two).approvedAmiIds).toEqual([APPROVED_AMI, UNAPPROVED_AMI]);
    expect(() => readSettings({ ...complete, [HANDLER_ENVIRONMENT.approvedAmiIds]: "" })).toThrow(
      `${HANDLER_ENVIRONMENT.approvedAmiIds} is not set`,
    );
  });
});

describe("checkCurrentEvaluation", () => {
  it("agrees when Config still calls the instance NON_COMPLIANT", () => {
    expect(checkCurrentEvaluation({ complianceType: "NON_COMPLIANT" }, UNAPPROVED_AMI)).toEqual({
      agrees: true,
    });
  });

  it("disagrees, naming the AMI and Config's answer, for any other result or none", () => {
    const recorded = new Date("2026-11-30T08:00:00.000Z");
    expect(
      checkCurrentEvaluation({ complianceType: "COMPLIANT", resultRecordedTime: recorded }, UNAPPROVED_AMI),
    ).toEqual({
      agrees: false,
      detail: `the instance runs ${UNAPPROVED_AMI}, which the stack's list does not approve, but Config calls the instance COMPLIANT (recorded 2026-11-30T08:00:00.000Z)`,
    });
    expect(checkCurrentEvaluation({}, undefined)).toMatchObject({
      agrees: false,
      detail: expect.stringContaining("holds no result of the rule for the instance"),
    });
  });
});

describe("decideForStartedInstance", () => {
  it("goes on to read the instance only when Config calls it NON_COMPLIANT", () => {
    expect(decideForStartedInstance({ complianceType: "NON_COMPLIANT" })).toEqual({ action: "proceed" });
  });

  it("counts an instance Config calls COMPLIANT as an approved launch", () => {
    expect(decideForStartedInstance({ complianceType: "COMPLIANT" })).toEqual({
      action: "approved-launch",
      detail: "the instance entered running and Config calls the instance COMPLIANT",
    });
  });

  it("stands down, not fails, when Config holds no verdict yet or calls it anything else", () => {
    expect(decideForStartedInstance({})).toEqual({
      action: "not-non-compliant",
      detail: "the instance entered running and Config holds no result of the rule for the instance",
    });
    for (const complianceType of ["NOT_APPLICABLE", "INSUFFICIENT_DATA"]) {
      expect(decideForStartedInstance({ complianceType })).toMatchObject({ action: "not-non-compliant" });
    }
  });
});

describe("judgeExecution", () => {
  const startedAt = new Date("2026-01-01T12:00:00Z");
  it.each([
    ["IN_PROGRESS", "confirmed"],
    ["SUCCEEDED", "confirmed"],
    ["FAILED", "failed"],
    ["QUEUED", "not-yet-visible"],
    ["UNKNOWN", "not-yet-visible"],
  ])("an execution of this start in state %s is %s", (state, verdict) => {
    expect(judgeExecution({ state, invocationTime: startedAt, stepErrors: [] }, startedAt).verdict).toBe(
      verdict,
    );
  });

  it("reads nothing into a status older than this start (the previous execution's)", () => {
    const before = new Date(startedAt.getTime() - EXECUTION_CLOCK_SKEW_MS - 1);
    expect(judgeExecution({ state: "FAILED", invocationTime: before, stepErrors: [] }, startedAt)).toEqual({
      verdict: "not-yet-visible",
    });
  });

  it("names each failed step", () => {
    expect(
      judgeExecution({ state: "FAILED", invocationTime: startedAt, stepErrors: ["a: x", "b: y"] }, startedAt),
    ).toEqual({ verdict: "failed", detail: "a: x; b: y" });
  });
});
