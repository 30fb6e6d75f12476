import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity";
import { Testing } from "cdktf";
import type { Construct } from "constructs";
import {
  DEFAULT_AUTOMATIC_RETRY as APP_AUTOMATIC_RETRY,
  DEFAULT_EXEMPTION_TAG_KEY as APP_TAG_KEY,
} from "../../app/config/load";
import {
  AmiGuard,
  type AmiGuardProps,
  DEFAULT_AUTOMATIC_RETRY,
  DEFAULT_EXEMPTION_TAG_KEY,
  InstanceScope,
  longestDerivedName,
  NAME_PREFIX_MAX_LENGTH,
  Recording,
  type RemediationMode as Remediation,
  RemediationMode,
} from "../../lib/ami-guard";
import type { FunctionCode } from "../../lib/function-code";
import { AWS_REGIONS } from "../../lib/regions";
import { emptyFunctionZip, NAMED_RESOURCE_TYPES, physicalNames, type SynthesizedJson } from "./support";

let functionCode: FunctionCode;
beforeAll(() => {
  functionCode = emptyFunctionZip();
});

const ACCOUNT = "111122223333";

function props(overrides: Partial<AmiGuardProps> = {}): AmiGuardProps {
  return {
    accountId: ACCOUNT,
    region: "eu-central-1",
    ruleName: "approved-amis-by-id",
    approvedAmiIds: ["ami-0abcdef1234567890"],
    remediation: RemediationMode.manual(),
    recording: Recording.create(),
    ...overrides,
  };
}

function synth(build: (scope: Construct) => void): SynthesizedJson {
  return JSON.parse(Testing.synthScope(build)) as SynthesizedJson;
}

function synthOne(overrides: Partial<AmiGuardProps> = {}): SynthesizedJson {
  return synth((scope) => new AmiGuard(scope, "guard", props(overrides)));
}

function resourcesOf(stack: SynthesizedJson, type: string): Record<string, unknown>[] {
  return Object.values(stack.resource?.[type] ?? {});
}

/** Addresses and physical names, the reviewable part of a mode; the whole-stack snapshots hold the rest. */
function summary(stack: SynthesizedJson): string[] {
  const addresses = Object.entries(stack.resource ?? {}).flatMap(([type, byAddress]) =>
    Object.keys(byAddress).map((address) => `${type}.${address}`),
  );
  return [...addresses.sort(), ...physicalNames(stack)];
}

const MODES: readonly [string, () => Remediation][] = [
  ["audit", () => RemediationMode.audit()],
  ["manual", () => RemediationMode.manual()],
  ["automatic", () => RemediationMode.automatic()],
  ["event-driven", () => RemediationMode.eventDriven({ functionCode })],
];

describe("AmiGuard in each mode", () => {
  it.each(MODES)("mode %s", (_name, remediation) => {
    // Given a pipeline with its own recorder in the mode
    const stack = synthOne({ remediation: remediation(), namePrefix: "team-a" });
    // Then its resources and their names are the reviewed ones
    expect(summary(stack)).toMatchSnapshot();
  });

  it("audit with the account's recorder is the rule and its re-evaluation alone, waiting for what it is told to", () => {
    // Given an audit pipeline that evaluates with a recorder created elsewhere in the stack
    const stack = synth((scope) => {
      const first = new AmiGuard(
        scope,
        "first",
        props({ namePrefix: "first", ruleName: "first-rule", remediation: RemediationMode.audit() }),
      );
      const recorder = first.recording?.recorderStatus;
      new AmiGuard(
        scope,
        "second",
        props({
          namePrefix: "second",
          ruleName: "second-rule",
          remediation: RemediationMode.audit(),
          recording: Recording.existing({ dependsOn: recorder ? [recorder] : [] }),
        }),
      );
    });
    // Then the second adds exactly one rule, which depends on the first's recorder status
    const rules = stack.resource?.aws_config_config_rule ?? {};
    const [address, rule] = Object.entries(rules).find(([, r]) => r.name === "second-rule") ?? [];
    expect(address).toMatch(/^second_approved-amis_rule_/);
    expect(rule?.depends_on).toEqual([
      expect.stringMatching(/^aws_config_configuration_recorder_status\.first_/),
    ]);
    // And, besides it, the re-evaluation's role, its dead-letter queues and their alarms (no topic: no actions)
    expect(physicalNames(stack, "second_")).toEqual([
      "aws_cloudwatch_metric_alarm second-reevaluation-after-change-failures-queue",
      "aws_cloudwatch_metric_alarm second-reevaluation-failures-queue",
      "aws_config_config_rule second-rule",
      "aws_iam_role second-reevaluation-eu-central-1",
      "aws_sqs_queue second-reevaluation-after-change-failures",
      "aws_sqs_queue second-reevaluation-failures",
    ]);
  });

  it("automatic mode takes AWS's own retry defaults unless told otherwise", () => {
    // Given one pipeline with defaults and one with settings of its own
    const defaults = resourcesOf(
      synthOne({ remediation: RemediationMode.automatic() }),
      "aws_config_remediation_configuration",
    )[0];
    const own = resourcesOf(
      synthOne({
        remediation: RemediationMode.automatic({ maximumAutomaticAttempts: 3, retryAttemptSeconds: 600 }),
      }),
      "aws_config_remediation_configuration",
    )[0];
    // Then each says so
    expect(defaults).toMatchObject({
      automatic: true,
      maximum_automatic_attempts: 5,
      retry_attempt_seconds: 60,
    });
    expect(own).toMatchObject({ automatic: true, maximum_automatic_attempts: 3, retry_attempt_seconds: 600 });
  });

  it("keeps the app's defaults: the configuration file and the construct agree", () => {
    expect(DEFAULT_AUTOMATIC_RETRY).toEqual(APP_AUTOMATIC_RETRY);
    expect(DEFAULT_EXEMPTION_TAG_KEY).toBe(APP_TAG_KEY);
  });

  it("exposes the parts it built, and nothing for the parts a mode leaves out", () => {
    let audit: AmiGuard | undefined;
    let eventDriven: AmiGuard | undefined;
    synth((scope) => {
      audit = new AmiGuard(
        scope,
        "audit",
        props({
          remediation: RemediationMode.audit(),
          recording: Recording.existing(),
          instanceScope: InstanceScope.tagged("team", "audit"),
        }),
      );
      eventDriven = new AmiGuard(
        scope,
        "event",
        props({
          namePrefix: "other",
          ruleName: "other",
          remediation: RemediationMode.eventDriven({ functionCode }),
          instanceScope: InstanceScope.tagged("team", "event"),
        }),
      );
    });
    expect(audit?.recording).toBeUndefined();
    expect(audit?.topic).toBeUndefined();
    expect(audit?.eventDriven).toBeUndefined();
    expect(eventDriven?.recording?.recorder).toBeDefined();
    expect(eventDriven?.topic).toBe(eventDriven?.notifications?.topic);
    expect(eventDriven?.eventDriven?.function).toBeDefined();
    expect(eventDriven?.remediationMode).toBe("event-driven");
  });
});

describe("names derived from namePrefix", () => {
  const everyNameStartsWith = (stack: SynthesizedJson, prefix: string) =>
    physicalNames(stack)
      .filter((entry) => !entry.startsWith("aws_config_config_rule "))
      .filter((entry) => {
        const name = entry.slice(entry.indexOf(" ") + 1);
        return !(
          name.startsWith(prefix) ||
          name.startsWith(`alias/${prefix}`) ||
          name.startsWith(`/aws/lambda/${prefix}`)
        );
      });

  it("gives every physical name the prefix", () => {
    // Given an event-driven pipeline, the mode with the most names, under a prefix of its own
    const stack = synthOne({
      namePrefix: "team-x",
      remediation: RemediationMode.eventDriven({ functionCode }),
    });
    // Then no name escapes the prefix, and every named resource type was seen
    expect(everyNameStartsWith(stack, "team-x")).toEqual([]);
    const seenTypes = new Set(physicalNames(stack).map((entry) => entry.split(" ")[0]));
    expect([...seenTypes].sort()).toEqual([...NAMED_RESOURCE_TYPES].sort());
  });

  it("uses the names deployed stacks already carry when no prefix is given", () => {
    const stack = synthOne({ remediation: RemediationMode.eventDriven({ functionCode }) });
    expect(everyNameStartsWith(stack, "team-x")).not.toEqual([]);
    expect(everyNameStartsWith(stack, "ami-guard")).toEqual([]);
    expect(physicalNames(stack)).toContain("aws_lambda_function ami-guard-remediate");
  });

  it("lets two prefixes share an account and region with no name in common", () => {
    // Given two event-driven pipelines in one stack, one creating the recorder and one using it
    const stack = synth((scope) => {
      const a = new AmiGuard(
        scope,
        "a",
        props({
          namePrefix: "team-a",
          ruleName: "team-a-amis",
          remediation: RemediationMode.eventDriven({ functionCode }),
          instanceScope: InstanceScope.tagged("team", "a"),
        }),
      );
      new AmiGuard(
        scope,
        "b",
        props({
          namePrefix: "team-b",
          ruleName: "team-b-amis",
          remediation: RemediationMode.eventDriven({ functionCode }),
          instanceScope: InstanceScope.tagged("team", "b"),
          recording: Recording.existing({ dependsOn: a.recording ? [a.recording.recorderStatus] : [] }),
        }),
      );
    });
    // Then their names are disjoint
    const first = physicalNames(stack, "a_");
    const second = physicalNames(stack, "b_");
    expect(first.length).toBeGreaterThan(10);
    expect(second.length).toBeGreaterThan(10);
    expect(first.filter((name) => second.includes(name))).toEqual([]);
  });

  it("keeps each pipeline's metrics apart: the service dimension is the prefix", () => {
    const stack = synthOne({
      namePrefix: "team-x",
      remediation: RemediationMode.eventDriven({ functionCode }),
    });
    const fn = resourcesOf(stack, "aws_lambda_function")[0] as {
      environment: { variables: Record<string, string> };
    };
    expect(fn.environment.variables.POWERTOOLS_SERVICE_NAME).toBe("team-x");
    const failures = resourcesOf(stack, "aws_cloudwatch_metric_alarm").find(
      (alarm) => alarm.alarm_name === "team-x-remediation-failures",
    );
    expect(failures?.dimensions).toEqual({ service: "team-x" });
    const errors = resourcesOf(stack, "aws_cloudwatch_metric_alarm").find(
      (alarm) => alarm.alarm_name === "team-x-function-errors",
    ) as {
      metric_query: { id: string; metric?: { dimensions: Record<string, string> } }[];
    };
    expect(errors.metric_query.find((q) => q.id === "deferrals")?.metric?.dimensions).toEqual({
      service: "team-x",
    });
  });

  it("shows its own function's metrics on a dashboard of its own", () => {
    const stack = synthOne({
      namePrefix: "team-x",
      remediation: RemediationMode.eventDriven({ functionCode }),
    });
    const [dashboard] = resourcesOf(stack, "aws_cloudwatch_dashboard");
    expect(dashboard?.dashboard_name).toBe("team-x-eu-central-1");
    const body = String(dashboard?.dashboard_body);
    expect(body).toContain('"service", "team-x"');
    expect(body).not.toContain('"service", "ami-guard"');
  });

  it("lets only its own alarms publish to its topic", () => {
    const stack = synthOne({ namePrefix: "team-x" });
    const documents = JSON.stringify(stack.data?.aws_iam_policy_document ?? {});
    expect(documents).toContain(`arn:aws:cloudwatch:eu-central-1:${ACCOUNT}:alarm:team-x-*`);
    expect(documents).not.toContain(":alarm:ami-guard-*");
  });

  it(`accepts a prefix of ${NAME_PREFIX_MAX_LENGTH} characters in every region, and refuses one more`, () => {
    // The S3 bucket_prefix "<prefix>-config-" (at most 37) is the tightest of the derived names
    expect(NAME_PREFIX_MAX_LENGTH).toBe(29);
    const longest = "a".repeat(NAME_PREFIX_MAX_LENGTH);
    for (const region of AWS_REGIONS) {
      expect(() => synthOne({ region, namePrefix: longest })).not.toThrow();
    }
    expect(() => synthOne({ namePrefix: `${longest}a` })).toThrow(
      'namePrefix: the S3 bucket_prefix "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-config-" would have 38 characters; at most 37',
    );
  });

  it("names the longest derived name", () => {
    expect(longestDerivedName("ami-guard", "ap-southeast-1")).toBe(
      "ami-guard-reevaluation-after-change-failures-queue",
    );
    expect(longestDerivedName("x", "eu-central-1")).toBe("x-reevaluation-after-change-failures-queue");
  });
});

describe("validation at construction", () => {
  it("lists every problem at once, field by field", () => {
    expect(() =>
      synthOne({
        accountId: "12345",
        ruleName: "approved amis",
        approvedAmiIds: ["ami-0abcdef1234567890", "ami-XYZ", "ami-0abcdef1234567890"],
        notificationEmails: ["ops@example.com", "not-an-address"],
        remediation: RemediationMode.automatic({ maximumAutomaticAttempts: 0, retryAttemptSeconds: 1.5 }),
        recording: Recording.create({ snapshotExpirationDays: 0 }),
        namePrefix: "Team_X",
      }),
    ).toThrow(
      [
        "AmiGuard stack/guard: 9 problems in its props:",
        '  - accountId: must be a 12-digit AWS account id, got "12345"',
        "  - ruleName: must be letters, digits, hyphens or underscores, starting with a letter or digit",
        '  - approvedAmiIds[1]: "ami-XYZ" is not "ami-" followed by 8 or 17 lowercase hex digits',
        '  - approvedAmiIds[2]: "ami-0abcdef1234567890" is listed twice',
        '  - notificationEmails[1]: "not-an-address" is not an e-mail address',
        "  - remediation.maximumAutomaticAttempts: must be at least 1",
        "  - remediation.retryAttemptSeconds: must be a whole number",
        "  - recording.snapshotExpirationDays: must be at least 1",
        '  - namePrefix: the S3 bucket_prefix "Team_X-config-" may hold only lowercase letters, digits, dots and hyphens, starting with a letter or digit',
      ].join("\n"),
    );
  });

  it("checks the event-driven settings", () => {
    expect(() =>
      synthOne({
        remediation: RemediationMode.eventDriven({
          functionCode: { zipPath: "handler.zip", sourceCodeHash: "abc" },
          exemptionTagKey: "aws:exempt",
          reservedConcurrentExecutions: 0,
        }),
      }),
    ).toThrow(
      [
        "AmiGuard stack/guard: 4 problems in its props:",
        "  - remediation.functionCode.zipPath: must be the zip's absolute path",
        "  - remediation.functionCode.sourceCodeHash: must be the base64 SHA-256 of the zip (44 characters)",
        '  - remediation.exemptionTagKey: must not start with "aws:", which AWS reserves',
        "  - remediation.reservedConcurrentExecutions: must be at least 1",
      ].join("\n"),
    );
  });

  it("holds the managed rule's limits on its AMI list", () => {
    const ids = Array.from({ length: 22 }, (_, i) => `ami-${i.toString(16).padStart(17, "0")}`);
    expect(() => synthOne({ approvedAmiIds: ids })).toThrow(
      "approvedAmiIds: lists 22 ids; the managed rule accepts at most 21 (https://docs.aws.amazon.com/config/latest/developerguide/approved-amis-by-id.html)",
    );
    expect(() => synthOne({ approvedAmiIds: ids.slice(0, 21) })).not.toThrow();
    expect(() => synthOne({ approvedAmiIds: [] })).toThrow(
      "approvedAmiIds: must list at least one approved AMI id",
    );
  });

  it("refuses a mode or a recorder choice it does not know, as JavaScript callers can pass", () => {
    expect(() =>
      synthOne({
        remediation: { mode: "stop-everything" } as unknown as Remediation,
        recording: { recorder: "maybe" } as unknown as Recording,
      }),
    ).toThrow(
      [
        "AmiGuard stack/guard: 2 problems in its props:",
        '  - remediation.mode: must be one of "audit", "manual", "automatic", "event-driven"',
        '  - recording.recorder: must be "create" or "existing"',
      ].join("\n"),
    );
  });

  it("accepts an account id that is only known at apply time", () => {
    const stack = synth((scope) => {
      const me = new DataAwsCallerIdentity(scope, "me");
      new AmiGuard(scope, "guard", props({ accountId: me.accountId }));
    });
    expect(resourcesOf(stack, "aws_config_config_rule")).toHaveLength(1);
  });

  it("authorizes an aggregator when asked, once per account and region", () => {
    const aggregator = { accountId: "444455556666", region: "us-east-1" } as const;
    const stack = synthOne({ aggregationAuthorization: aggregator });
    expect(resourcesOf(stack, "aws_config_aggregate_authorization")).toEqual([
      { account_id: "444455556666", region: "us-east-1" },
    ]);
    expect(resourcesOf(synthOne(), "aws_config_aggregate_authorization")).toEqual([]);
    expect(() =>
      synth((scope) => {
        new AmiGuard(scope, "a", props({ aggregationAuthorization: aggregator }));
        new AmiGuard(
          scope,
          "b",
          props({
            namePrefix: "b",
            ruleName: "b",
            recording: Recording.existing(),
            aggregationAuthorization: aggregator,
          }),
        );
      }),
    ).toThrow(
      "aggregationAuthorization: the AmiGuard at stack/a (same stack, so same account and region) already authorizes the aggregator in 444455556666 us-east-1",
    );
  });

  it("refuses a second recorder, a reused prefix, rule name or instance scope in the same stack", () => {
    const where = "the AmiGuard at stack/a (same stack, so same account and region)";
    expect(() =>
      synth((scope) => {
        new AmiGuard(scope, "a", props());
        new AmiGuard(scope, "b", props());
      }),
    ).toThrow(
      [
        "AmiGuard stack/b: 4 problems in its props:",
        `  - namePrefix: "ami-guard" is already used by ${where}; their resources would collide`,
        `  - ruleName: "approved-amis-by-id" is already the Config rule of ${where}`,
        `  - recording: ${where} already creates the region's configuration recorder, and AWS Config allows one (https://docs.aws.amazon.com/config/latest/APIReference/API_PutConfigurationRecorder.html); use Recording.shared(<that AmiGuard>) or Recording.existing()`,
        `  - instanceScope: this pipeline takes every instance and ${where} takes every instance, so one would evaluate and stop the other's instances; give each InstanceScope.tagged(<one key>, <its own value>)`,
      ].join("\n"),
    );
  });
});
