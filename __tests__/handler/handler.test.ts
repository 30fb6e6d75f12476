import {
  ConfigServiceClient,
  ConfigServiceServiceException,
  DescribeRemediationExecutionStatusCommand,
  GetComplianceDetailsByResourceCommand,
  InsufficientPermissionsException,
  InvalidParameterValueException,
  NoSuchRemediationConfigurationException,
  StartRemediationExecutionCommand,
} from "@aws-sdk/client-config-service";
import { DescribeInstancesCommand, EC2Client, EC2ServiceException } from "@aws-sdk/client-ec2";
import { PublishCommand, SNSClient, SNSServiceException } from "@aws-sdk/client-sns";
import { GetAutomationExecutionCommand, SSMClient } from "@aws-sdk/client-ssm";
import { mockClient } from "aws-sdk-client-mock";
// Its matchers (toHaveReceivedCommand...) for this file alone: loading them costs every other file time.
import "aws-sdk-client-mock-jest";
import type { AwsClients } from "../../handler/clients";
import { AUTO_SCALING_GROUP_TAG, EXECUTION_CLOCK_SKEW_MS } from "../../handler/decision";
import { createHandler } from "../../handler/index";
import {
  ComplianceDisagreementError,
  EXECUTION_STATUS_INTERVAL_MS,
  EXECUTION_STATUS_READS,
  RemediationRefusedError,
  RetryLaterError,
} from "../../handler/remediate";
import { type HandlerSettings, SettingsError } from "../../handler/settings";
import { COMPLIANCE_DETAILS_WITHOUT_A_VERDICT } from "../../lib/aws-facts";
import { AUTO_SCALING_GROUP_LOG_FIELD, METRIC, OUTCOME_METRICS } from "../../lib/contract";
import {
  APPROVED_AMI,
  EXEMPTION_TAG,
  executionInProgress,
  INSTANCE,
  RecordingObservability,
  RULE,
  sampleEvent,
  sampleRunningEvent,
  settings,
  TOPIC_ARN,
  UNAPPROVED_AMI,
} from "./fixtures";

const NOW = new Date("2019-04-08T08:48:07.184Z");
const clients: AwsClients = {
  config: new ConfigServiceClient({ region: "eu-central-1" }),
  ec2: new EC2Client({ region: "eu-central-1" }),
  sns: new SNSClient({ region: "eu-central-1" }),
};
const configMock = mockClient(clients.config);
const ec2Mock = mockClient(clients.ec2);
const snsMock = mockClient(clients.sns);

let observability: RecordingObservability;

function handlerWith(
  overrides: Partial<HandlerSettings> = {},
  sleep: (milliseconds: number) => Promise<void> = async () => {},
) {
  return createHandler({
    settings: () => settings(overrides),
    clients: () => clients,
    observability,
    now: () => NOW,
    sleep,
  });
}

function instanceIs(state: string, tags: Record<string, string> = {}, imageId = UNAPPROVED_AMI) {
  ec2Mock.on(DescribeInstancesCommand).resolves({
    Reservations: [
      {
        Instances: [
          {
            InstanceId: INSTANCE,
            ImageId: imageId,
            State: { Name: state as never },
            Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
          },
        ],
      },
    ],
  });
}

function configError(name: string): ConfigServiceServiceException {
  return new ConfigServiceServiceException({
    name,
    $fault: "client",
    $metadata: { httpStatusCode: 400, attempts: 3 },
    message: `${name} from the test`,
  });
}

/** Config's current result of the rule for the instance, beside another rule's result that must be ignored. */
function configSays(complianceType: string | undefined) {
  const result = (ConfigRuleName: string, ComplianceType: string) => ({
    EvaluationResultIdentifier: {
      EvaluationResultQualifier: { ConfigRuleName, ResourceType: "AWS::EC2::Instance", ResourceId: INSTANCE },
    },
    ComplianceType: ComplianceType as never,
    ResultRecordedTime: new Date("2019-04-08T08:40:00.000Z"),
  });
  configMock.on(GetComplianceDetailsByResourceCommand).resolves({
    EvaluationResults: [
      result("someone-elses-rule", "NON_COMPLIANT"),
      ...(complianceType ? [result(RULE, complianceType)] : []),
    ],
  });
}

const RESOURCE_KEY = { resourceType: "AWS::EC2::Instance", resourceId: INSTANCE } as const;

beforeEach(() => {
  configMock.reset();
  ec2Mock.reset();
  snsMock.reset();
  observability = new RecordingObservability();
  instanceIs("running");
  configSays("NON_COMPLIANT");
  configMock.on(StartRemediationExecutionCommand).resolves({ FailedItems: [] });
  configMock.on(DescribeRemediationExecutionStatusCommand).resolves(executionInProgress(INSTANCE, NOW));
  snsMock.on(PublishCommand).resolves({ MessageId: "m-1" });
});

describe("handler: events it must not act on", () => {
  it("calls no API, logs one line with the reason and returns normally", async () => {
    // Given an event about another rule
    const event = sampleEvent({ rule: "someone-elses-rule" });
    // When
    const result = await handlerWith()(event);
    // Then
    expect(result).toEqual({ outcome: "ignored", reason: "other-rule" });
    expect(ec2Mock.calls()).toHaveLength(0);
    expect(configMock.calls()).toHaveLength(0);
    expect(snsMock.calls()).toHaveLength(0);
    expect(observability.lines).toEqual([
      expect.objectContaining({
        level: "info",
        fields: expect.objectContaining({ decision: "ignored", reason: "other-rule", eventId: event.id }),
      }),
    ]);
    expect(observability.metrics).toEqual([
      { name: METRIC.eventsReceived, value: 1 },
      { name: METRIC.eventsIgnored, value: 1, dimension: { name: "Reason", value: "other-rule" } },
    ]);
  });

  it("logs the validation errors of a malformed event and returns normally", async () => {
    const result = await handlerWith()({ source: "aws.config", detail: "not an object" });
    expect(result).toEqual({ outcome: "ignored", reason: "malformed-event" });
    expect(observability.lines).toHaveLength(1);
    expect(observability.lines[0]?.fields.details).toEqual(
      expect.arrayContaining([
        "id: expected string, received nothing",
        "detail: expected object, received string",
      ]),
    );
    expect(ec2Mock.calls()).toHaveLength(0);
    expect(configMock.calls()).toHaveLength(0);
  });

  it("fails, without any API call, when its own environment is incomplete", async () => {
    const broken = createHandler({
      settings: () => {
        throw new SettingsError(["AMI_GUARD_RULE_NAME is not set"]);
      },
      clients: () => clients,
      observability,
      now: () => NOW,
      sleep: async () => {},
    });
    await expect(broken(sampleEvent())).rejects.toThrow(/AMI_GUARD_RULE_NAME/);
    expect(configMock.calls()).toHaveLength(0);
    expect(observability.lines[0]).toMatchObject({ level: "error", fields: { decision: "failed" } });
    expect(observability.invocationsEnded).toBe(1);
  });
});

describe("handler: starting the remediation", () => {
  it("reads the instance, starts remediation for exactly that key and notifies", async () => {
    const result = await handlerWith()(sampleEvent());

    expect(result).toEqual({ outcome: "remediation-started", instanceId: INSTANCE });
    expect(ec2Mock).toHaveReceivedCommandTimes(DescribeInstancesCommand, 1);
    expect(ec2Mock).toHaveReceivedCommandWith(DescribeInstancesCommand, { InstanceIds: [INSTANCE] });
    expect(configMock).toHaveReceivedCommandTimes(StartRemediationExecutionCommand, 1);
    expect(configMock.commandCalls(StartRemediationExecutionCommand)[0]?.args[0].input).toEqual({
      ConfigRuleName: RULE,
      ResourceKeys: [RESOURCE_KEY],
    });
    expect(snsMock).toHaveReceivedCommandWith(PublishCommand, {
      TopicArn: TOPIC_ARN,
      Subject: expect.stringContaining(INSTANCE),
    });
    const message = JSON.parse(snsMock.commandCalls(PublishCommand)[0]?.args[0].input.Message ?? "{}");
    expect(message).toMatchObject({ outcome: "remediation-started", instanceId: INSTANCE, rule: RULE });
  });

  it("logs the decision with event id, rule and instance, and counts the start and its delay", async () => {
    const event = sampleEvent();
    await handlerWith()(event);
    expect(observability.lines).toContainEqual(
      expect.objectContaining({
        fields: expect.objectContaining({
          decision: "remediated",
          eventId: event.id,
          rule: RULE,
          instanceId: INSTANCE,
        }),
      }),
    );
    expect(observability.metrics).toEqual(
      expect.arrayContaining([
        { name: METRIC.remediationsStarted, value: 1 },
        // resultRecordedTime 08:48:05.184, the call at 08:48:07.184
        { name: METRIC.remediationDelay, value: 2000 },
      ]),
    );
    expect(observability.invocationsEnded).toBe(1);
  });

  it.each([
    [
      "InsufficientPermissionsException",
      new InsufficientPermissionsException({ message: "no", $metadata: {} }),
    ],
    ["InvalidParameterValueException", new InvalidParameterValueException({ message: "bad", $metadata: {} })],
    [
      "NoSuchRemediationConfigurationException",
      new NoSuchRemediationConfigurationException({ message: "none", $metadata: {} }),
    ],
    ["ThrottlingException", configError("ThrottlingException")],
    ["ServiceUnavailable", configError("ServiceUnavailable")],
  ])("fails the invocation on %s, notifies and counts the failure", async (name, error) => {
    configMock.on(StartRemediationExecutionCommand).rejects(error);

    await expect(handlerWith()(sampleEvent())).rejects.toMatchObject({ name });

    expect(observability.metricNames()).toContain(METRIC.remediationsFailed);
    expect(observability.metricNames()).not.toContain(METRIC.remediationsStarted);
    const message = JSON.parse(snsMock.commandCalls(PublishCommand)[0]?.args[0].input.Message ?? "{}");
    expect(message).toMatchObject({ outcome: "failed", error: { name } });
    expect(observability.lines).toContainEqual(
      expect.objectContaining({ level: "error", fields: expect.objectContaining({ decision: "failed" }) }),
    );
    expect(observability.invocationsEnded).toBe(1);
  });

  it("fails on FailedItems when no execution for the instance is running", async () => {
    configMock
      .on(StartRemediationExecutionCommand)
      .resolves({ FailedItems: [RESOURCE_KEY], FailureMessage: "resource is already compliant" });
    configMock.on(DescribeRemediationExecutionStatusCommand).resolves({
      RemediationExecutionStatuses: [{ ResourceKey: RESOURCE_KEY, State: "FAILED" }],
    });

    const attempt = handlerWith()(sampleEvent());

    await expect(attempt).rejects.toBeInstanceOf(RemediationRefusedError);
    await expect(attempt).rejects.toThrow(/resource is already compliant/);
    expect(configMock).toHaveReceivedCommandWith(DescribeRemediationExecutionStatusCommand, {
      ConfigRuleName: RULE,
      ResourceKeys: [RESOURCE_KEY],
    });
    expect(observability.metricNames()).toContain(METRIC.remediationsFailed);
  });

  it.each(["QUEUED", "IN_PROGRESS"])(
    "counts Config's refusal of a duplicate as success while the execution is %s",
    async (state) => {
      configMock.on(StartRemediationExecutionCommand).resolves({ FailedItems: [RESOURCE_KEY] });
      configMock.on(DescribeRemediationExecutionStatusCommand).resolves({
        RemediationExecutionStatuses: [{ ResourceKey: RESOURCE_KEY, State: state as never }],
      });

      const result = await handlerWith()(sampleEvent());

      expect(result).toEqual({ outcome: "remediation-already-running", instanceId: INSTANCE });
      expect(configMock).toHaveReceivedCommandTimes(StartRemediationExecutionCommand, 1);
      expect(observability.metricNames()).toContain(METRIC.remediationsAlreadyRunning);
      expect(observability.metricNames()).not.toContain(METRIC.remediationsFailed);
    },
  );

  it("does not mistake another instance's running execution for its own", async () => {
    configMock.on(StartRemediationExecutionCommand).resolves({ FailedItems: [RESOURCE_KEY] });
    configMock.on(DescribeRemediationExecutionStatusCommand).resolves({
      RemediationExecutionStatuses: [
        { ResourceKey: { ...RESOURCE_KEY, resourceId: "i-0fedcba9876543210" }, State: "IN_PROGRESS" },
      ],
    });
    await expect(handlerWith()(sampleEvent())).rejects.toBeInstanceOf(RemediationRefusedError);
  });

  it("fails when the execution status cannot be read after a refusal", async () => {
    configMock.on(StartRemediationExecutionCommand).resolves({ FailedItems: [RESOURCE_KEY] });
    configMock.on(DescribeRemediationExecutionStatusCommand).rejects(configError("AccessDeniedException"));
    await expect(handlerWith()(sampleEvent())).rejects.toMatchObject({ name: "AccessDeniedException" });
  });

  it("keeps a started remediation a success when the notification cannot be sent", async () => {
    snsMock.on(PublishCommand).rejects(
      new SNSServiceException({
        name: "AuthorizationError",
        $fault: "client",
        $metadata: {},
        message: "no",
      }),
    );
    const result = await handlerWith()(sampleEvent());
    expect(result.outcome).toBe("remediation-started");
    expect(observability.metricNames()).toEqual(
      expect.arrayContaining([METRIC.remediationsStarted, METRIC.notificationsFailed]),
    );
  });
});

describe("handler: guard rails", () => {
  it("does not stop an Auto Scaling group's instance, and logs and counts it without a message of its own", async () => {
    instanceIs("running", { [AUTO_SCALING_GROUP_TAG]: "web-asg" });

    const result = await handlerWith()(sampleEvent());

    expect(result).toEqual({ outcome: "guarded", reason: "auto-scaling-group", instanceId: INSTANCE });
    expect(configMock).not.toHaveReceivedCommand(StartRemediationExecutionCommand);
    // The stack's alarm on the count notifies, once per state change however many instances a group adds.
    expect(snsMock).not.toHaveReceivedCommand(PublishCommand);
    expect(observability.lines).toEqual([
      expect.objectContaining({
        fields: expect.objectContaining({
          decision: "guarded",
          guard: "auto-scaling-group",
          [AUTO_SCALING_GROUP_LOG_FIELD]: "web-asg",
          instanceId: INSTANCE,
        }),
      }),
    ]);
    expect(observability.metrics).toEqual([
      { name: METRIC.eventsReceived, value: 1 },
      { name: METRIC.guardSkips, value: 1, dimension: { name: "Guard", value: "auto-scaling-group" } },
    ]);
  });

  it("skips an exempt instance and logs it, without a notification", async () => {
    instanceIs("running", { [EXEMPTION_TAG]: "true" });

    const result = await handlerWith()(sampleEvent());

    expect(result).toMatchObject({ outcome: "guarded", reason: "exempt" });
    expect(configMock).not.toHaveReceivedCommand(StartRemediationExecutionCommand);
    expect(snsMock).not.toHaveReceivedCommand(PublishCommand);
    expect(observability.decisions()).toEqual(["guarded"]);
  });

  it("in dry-run, logs and counts what it would do, starts nothing and sends no message of its own", async () => {
    const result = await handlerWith({ dryRun: true })(sampleEvent());

    expect(result).toEqual({ outcome: "dry-run", instanceId: INSTANCE });
    expect(configMock).not.toHaveReceivedCommand(StartRemediationExecutionCommand);
    // The dry-run alarm on the count notifies, once per state change however many instances there are.
    expect(snsMock).not.toHaveReceivedCommand(PublishCommand);
    expect(observability.metricNames()).toEqual([METRIC.eventsReceived, METRIC.dryRuns]);
    // The line the dashboard's table lists: the instance and its AMI.
    expect(observability.lines).toEqual([
      expect.objectContaining({
        fields: expect.objectContaining({
          decision: "dry-run",
          instanceId: INSTANCE,
          imageId: UNAPPROVED_AMI,
        }),
      }),
    ]);
  });

  it("fails a pending instance's invocation so Lambda retries it later, without notifying", async () => {
    instanceIs("pending");

    await expect(handlerWith()(sampleEvent())).rejects.toBeInstanceOf(RetryLaterError);

    expect(configMock).not.toHaveReceivedCommand(StartRemediationExecutionCommand);
    expect(snsMock).not.toHaveReceivedCommand(PublishCommand);
    expect(observability.metricNames()).toEqual([METRIC.eventsReceived, METRIC.remediationsDeferred]);
  });

  it("retries later when EC2 does not know the instance yet", async () => {
    ec2Mock.on(DescribeInstancesCommand).rejects(
      new EC2ServiceException({
        name: "InvalidInstanceID.NotFound",
        $fault: "client",
        $metadata: {},
        message: "x",
      }),
    );
    await expect(handlerWith()(sampleEvent())).rejects.toBeInstanceOf(RetryLaterError);
    expect(configMock).not.toHaveReceivedCommand(StartRemediationExecutionCommand);
  });

  it("fails, and starts nothing, when the instance cannot be read", async () => {
    ec2Mock.on(DescribeInstancesCommand).rejects(
      new EC2ServiceException({
        name: "UnauthorizedOperation",
        $fault: "client",
        $metadata: {},
        message: "x",
      }),
    );
    await expect(handlerWith()(sampleEvent())).rejects.toMatchObject({ name: "UnauthorizedOperation" });
    expect(configMock).not.toHaveReceivedCommand(StartRemediationExecutionCommand);
    expect(observability.metricNames()).toContain(METRIC.remediationsFailed);
  });

  it("has nothing to do for an instance that is already stopped", async () => {
    instanceIs("stopped");
    const result = await handlerWith()(sampleEvent());
    expect(result).toMatchObject({ outcome: "guarded", reason: "not-running" });
    expect(configMock).not.toHaveReceivedCommand(StartRemediationExecutionCommand);
  });
});

describe("handler: events older than the approved list", () => {
  it("skips an instance whose AMI is approved now, with one log line and a metric, and asks nothing of Config", async () => {
    // Given a NON_COMPLIANT event (perhaps redriven days later) for an instance whose AMI was approved since
    instanceIs("running", {}, APPROVED_AMI);
    // When
    const result = await handlerWith()(sampleEvent());
    // Then
    expect(result).toEqual({ outcome: "approved-since", instanceId: INSTANCE });
    expect(configMock.calls()).toHaveLength(0);
    expect(snsMock.calls()).toHaveLength(0);
    expect(observability.lines).toEqual([
      expect.objectContaining({
        level: "info",
        fields: expect.objectContaining({
          decision: "approved-since",
          imageId: APPROVED_AMI,
          instanceId: INSTANCE,
        }),
      }),
    ]);
    expect(observability.metrics).toEqual([
      { name: METRIC.eventsReceived, value: 1 },
      { name: METRIC.approvedSinceSkips, value: 1 },
    ]);
  });

  it("confirms with Config's current result of its own rule before it starts a remediation", async () => {
    const result = await handlerWith()(sampleEvent());
    expect(result.outcome).toBe("remediation-started");
    expect(configMock).toHaveReceivedCommandWith(GetComplianceDetailsByResourceCommand, {
      ResourceType: "AWS::EC2::Instance",
      ResourceId: INSTANCE,
    });
  });

  it("reads further pages until it finds the rule's own result", async () => {
    configMock
      .on(GetComplianceDetailsByResourceCommand)
      .resolvesOnce({ EvaluationResults: [], NextToken: "page-2" })
      .resolvesOnce({
        EvaluationResults: [
          {
            EvaluationResultIdentifier: {
              EvaluationResultQualifier: { ConfigRuleName: RULE, ResourceId: INSTANCE },
            },
            ComplianceType: "NON_COMPLIANT",
          },
        ],
      });
    const result = await handlerWith()(sampleEvent());
    expect(result.outcome).toBe("remediation-started");
    expect(configMock).toHaveReceivedCommandWith(GetComplianceDetailsByResourceCommand, {
      NextToken: "page-2",
    });
  });

  it.each([
    ["COMPLIANT", "calls the instance COMPLIANT"],
    ["NOT_APPLICABLE", "calls the instance NOT_APPLICABLE"],
    [undefined, "holds no result of the rule for the instance"],
  ] as const)(
    "fails loudly and stops nothing when Config says %s of an unapproved AMI",
    async (type, seen) => {
      // Given the list does not approve the AMI, but Config's current result disagrees
      configSays(type);
      // When / Then
      await expect(handlerWith()(sampleEvent())).rejects.toThrow(ComplianceDisagreementError);
      expect(configMock).not.toHaveReceivedCommand(StartRemediationExecutionCommand);
      const failed = observability.lines.find((line) => line.fields.decision === "failed");
      expect(failed?.fields.error).toMatchObject({
        name: "ComplianceDisagreementError",
        message: expect.stringContaining(seen),
      });
      expect(failed?.fields.error).toMatchObject({ message: expect.stringContaining(UNAPPROVED_AMI) });
      expect(observability.metricNames()).toEqual([METRIC.eventsReceived, METRIC.remediationsFailed]);
      expect(snsMock).toHaveReceivedCommandTimes(PublishCommand, 1);
    },
  );

  it("confirms with Config in a dry run too, so the dry run reports what would really happen", async () => {
    configSays("COMPLIANT");
    await expect(handlerWith({ dryRun: true })(sampleEvent())).rejects.toThrow(ComplianceDisagreementError);
    expect(observability.metricNames()).not.toContain(METRIC.dryRuns);
  });
});

describe("handler: an instance entering running (started again after its stop)", () => {
  it("stops it again when Config still calls it NON_COMPLIANT, through the same remediation path", async () => {
    // Given an unapproved, running instance that Config calls NON_COMPLIANT
    // When EC2 reports it entered running
    const result = await handlerWith()(sampleRunningEvent());
    // Then the deployed rule's remediation starts, and people are told
    expect(result).toEqual({ outcome: "remediation-started", instanceId: INSTANCE });
    expect(configMock).toHaveReceivedCommandWith(StartRemediationExecutionCommand, {
      ConfigRuleName: RULE,
      ResourceKeys: [RESOURCE_KEY],
    });
    expect(snsMock).toHaveReceivedCommandTimes(PublishCommand, 1);
    const message = JSON.parse(snsMock.commandCalls(PublishCommand)[0]?.args[0].input.Message ?? "{}");
    expect(message).toMatchObject({ outcome: "remediation-started", trigger: "instance-running" });
    expect(observability.metricNames()).toEqual([METRIC.eventsReceived, METRIC.remediationsStarted]);
  });

  it("asks Config once and reads nothing of EC2 before it knows the instance is NON_COMPLIANT", async () => {
    const result = await handlerWith()(sampleRunningEvent());
    expect(result.outcome).toBe("remediation-started");
    // Config's verdict first; the instance-running path does not ask Config a second time.
    expect(configMock).toHaveReceivedCommandTimes(GetComplianceDetailsByResourceCommand, 1);
    expect(ec2Mock).toHaveReceivedCommandTimes(DescribeInstancesCommand, 1);
  });

  it.each([
    [
      "COMPLIANT (an approved instance started)",
      "COMPLIANT" as const,
      "approved-launch",
      METRIC.approvedLaunches,
      "calls the instance COMPLIANT",
    ],
    [
      "no result yet (a new instance)",
      undefined,
      "not-non-compliant",
      METRIC.runningNotNonCompliant,
      "holds no result of the rule for the instance",
    ],
    [
      "NOT_APPLICABLE",
      "NOT_APPLICABLE" as const,
      "not-non-compliant",
      METRIC.runningNotNonCompliant,
      "calls the instance NOT_APPLICABLE",
    ],
  ])(
    "does nothing but one log line and one metric, with no call to EC2, when Config's result is %s",
    async (_name, type, outcome, metric, seen) => {
      // Given Config does not call the instance NON_COMPLIANT
      configSays(type);
      // When EC2 reports it entered running
      const result = await handlerWith()(sampleRunningEvent());
      // Then nothing is read of EC2, nothing started, nothing thrown, nobody paged
      expect(result).toEqual({ outcome, instanceId: INSTANCE });
      expect(ec2Mock.calls()).toHaveLength(0);
      expect(configMock.calls().map((call) => call.args[0].constructor.name)).toEqual([
        "GetComplianceDetailsByResourceCommand",
      ]);
      expect(snsMock).not.toHaveReceivedCommand(PublishCommand);
      expect(observability.lines).toEqual([
        expect.objectContaining({
          level: "info",
          fields: expect.objectContaining({
            decision: outcome,
            trigger: "instance-running",
            detail: expect.stringContaining(seen),
          }),
        }),
      ]);
      expect(observability.metricNames()).toEqual([METRIC.eventsReceived, metric]);
    },
  );

  it.each(COMPLIANCE_DETAILS_WITHOUT_A_VERDICT.value)(
    "stands down on %s, an answer the documentation gives no meaning for a new instance",
    async (answer) => {
      const type = answer.startsWith("(") ? undefined : answer;
      configSays(type);
      const result = await handlerWith()(sampleRunningEvent());
      expect(result).toEqual({ outcome: "not-non-compliant", instanceId: INSTANCE });
      expect(ec2Mock.calls()).toHaveLength(0);
    },
  );

  it("fails without a message of its own when Config cannot be read for a started instance", async () => {
    // Given Config throttles the read past the SDK's attempts (a burst of starts)
    configMock.on(GetComplianceDetailsByResourceCommand).rejects(configError("ThrottlingException"));
    // When EC2 reports an instance entered running
    await expect(handlerWith()(sampleRunningEvent())).rejects.toMatchObject({ name: "ThrottlingException" });
    // Then Lambda retries it, the failure is logged and counted for its alarm, and no message names it
    expect(snsMock).not.toHaveReceivedCommand(PublishCommand);
    expect(ec2Mock.calls()).toHaveLength(0);
    expect(observability.metricNames()).toEqual([METRIC.eventsReceived, METRIC.remediationsFailed]);
    expect(observability.lines).toEqual([
      expect.objectContaining({
        level: "error",
        fields: expect.objectContaining({
          decision: "failed",
          notified: false,
          error: expect.objectContaining({ name: "ThrottlingException" }),
        }),
      }),
    ]);
  });

  it("keeps ApprovedSinceSkips for its meaning: an approved launch is never counted there", async () => {
    configSays("COMPLIANT");
    instanceIs("running", {}, APPROVED_AMI);
    await handlerWith()(sampleRunningEvent());
    expect(observability.metricNames()).not.toContain(METRIC.approvedSinceSkips);
  });

  it("stands down in a dry run too, without reporting a stop that would not happen", async () => {
    configSays("COMPLIANT");
    const result = await handlerWith({ dryRun: true })(sampleRunningEvent());
    expect(result.outcome).toBe("approved-launch");
    expect(observability.metricNames()).not.toContain(METRIC.dryRuns);
  });

  it("skips an instance Config still calls NON_COMPLIANT whose AMI the list approved since", async () => {
    instanceIs("running", {}, APPROVED_AMI);
    const result = await handlerWith()(sampleRunningEvent());
    expect(result).toEqual({ outcome: "approved-since", instanceId: INSTANCE });
    expect(configMock).not.toHaveReceivedCommand(StartRemediationExecutionCommand);
    expect(observability.metricNames()).toEqual([METRIC.eventsReceived, METRIC.approvedSinceSkips]);
  });

  it("leaves an Auto Scaling group's started instance running without a message of its own", async () => {
    instanceIs("running", { [AUTO_SCALING_GROUP_TAG]: "web-asg" });
    const result = await handlerWith()(sampleRunningEvent());
    expect(result).toEqual({ outcome: "guarded", reason: "auto-scaling-group", instanceId: INSTANCE });
    expect(snsMock).not.toHaveReceivedCommand(PublishCommand);
  });

  it("remediates nothing and says why for a malformed state-change event", async () => {
    const event = sampleRunningEvent();
    event.detail["instance-id"] = 42;
    const result = await handlerWith()(event);
    expect(result).toEqual({ outcome: "ignored", reason: "malformed-event" });
    expect(configMock.calls()).toHaveLength(0);
    expect(ec2Mock.calls()).toHaveLength(0);
    expect(observability.lines).toEqual([
      expect.objectContaining({
        fields: expect.objectContaining({
          decision: "ignored",
          reason: "malformed-event",
          details: ["detail.instance-id: expected string, received number"],
        }),
      }),
    ]);
  });
});

describe("handler: confirming the execution it started", () => {
  const status = (
    State: string,
    invokedAt = NOW,
    StepDetails: { Name: string; ErrorMessage: string }[] = [],
  ) => ({
    RemediationExecutionStatuses: [
      { ResourceKey: RESOURCE_KEY, State: State as "FAILED", InvocationTime: invokedAt, StepDetails },
    ],
  });

  it("fails the invocation, counts and notifies a failure when Config reports the execution FAILED at once", async () => {
    // Given Config accepts the start, then reports its execution failed at initialisation
    configMock
      .on(DescribeRemediationExecutionStatusCommand)
      .resolves(
        status("FAILED", NOW, [
          { Name: "Initialization", ErrorMessage: "not authorized to perform ssm:StartAutomationExecution" },
        ]),
      );
    // When the function handles the event
    const attempt = handlerWith()(sampleEvent());
    // Then the invocation fails (Lambda retries, then the failure queue), naming the step and its error
    await expect(attempt).rejects.toThrow(
      "Config started the remediation, and its execution failed at once: Initialization: not authorized to perform ssm:StartAutomationExecution",
    );
    expect(observability.metricNames()).toContain(METRIC.remediationsFailed);
    expect(observability.metricNames()).not.toContain(METRIC.remediationsStarted);
    const published = JSON.parse(String(snsMock.commandCalls(PublishCommand)[0]?.args[0].input.Message));
    expect(published).toMatchObject({ outcome: "failed", instanceId: INSTANCE });
  });

  it("reads again while the execution is queued, and reports the start once it runs", async () => {
    const sleeps: number[] = [];
    configMock
      .on(DescribeRemediationExecutionStatusCommand)
      .resolvesOnce(status("QUEUED"))
      .resolves(status("IN_PROGRESS"));
    const result = await handlerWith({}, async (ms) => void sleeps.push(ms))(sampleEvent());
    expect(result).toEqual({ outcome: "remediation-started", instanceId: INSTANCE });
    expect(sleeps).toEqual([EXECUTION_STATUS_INTERVAL_MS]);
    expect(observability.lines).toContainEqual(
      expect.objectContaining({
        fields: expect.objectContaining({ decision: "remediated", executionState: "IN_PROGRESS" }),
      }),
    );
  });

  it("takes a FAILED status from before this start for the previous execution, not this one", async () => {
    const earlier = new Date(NOW.getTime() - 2 * EXECUTION_CLOCK_SKEW_MS);
    configMock.on(DescribeRemediationExecutionStatusCommand).resolves(status("FAILED", earlier));
    const result = await handlerWith()(sampleEvent());
    expect(result).toEqual({ outcome: "remediation-started", instanceId: INSTANCE });
    expect(configMock).toHaveReceivedCommandTimes(
      DescribeRemediationExecutionStatusCommand,
      EXECUTION_STATUS_READS,
    );
    expect(observability.lines).toContainEqual(
      expect.objectContaining({ fields: expect.objectContaining({ executionState: "not yet visible" }) }),
    );
  });
});

describe("handler: a stop run that failed in SSM", () => {
  const ssm = new SSMClient({ region: "eu-central-1" });
  const ssmMock = mockClient(ssm);
  const AUTOMATION_ROLE = "arn:aws:iam::111122223333:role/web-remediation-eu-central-1";
  const EXECUTION = "4f5c1a6e-2b7d-4c8e-9a01-23456789abcd";
  const failedRun = {
    id: "run-event-1",
    source: "aws.ssm",
    "detail-type": "EC2 Automation Execution Status-change Notification",
    account: "111122223333",
    region: "eu-central-1",
    detail: { ExecutionId: EXECUTION, Definition: "AWS-StopEC2Instance", Status: "Failed" },
  };
  const runAs = (role: string) =>
    ssmMock.on(GetAutomationExecutionCommand).resolves({
      AutomationExecution: {
        AutomationExecutionId: EXECUTION,
        Parameters: { AutomationAssumeRole: [role], InstanceId: [INSTANCE] },
        FailureMessage: "Step fails when it is Executing",
      },
    });
  const handlerWithSsm = () =>
    createHandler({
      settings: () => settings({ automationRoleArn: AUTOMATION_ROLE }),
      clients: () => ({ ...clients, ssm }),
      observability,
      now: () => NOW,
      sleep: async () => {},
    });

  beforeEach(() => ssmMock.reset());

  it("counts the notified failure as the invocation's one outcome", async () => {
    // Given a failed run of the stop runbook as this pipeline's automation role
    runAs(AUTOMATION_ROLE);
    // When
    const result = await handlerWithSsm()(failedRun);
    // Then the topic is told, and StopRunsFailed is counted beside EventsReceived, as every outcome is
    expect(result).toEqual({ outcome: "failed-run-notified" });
    expect(snsMock.commandCalls(PublishCommand)).toHaveLength(1);
    expect(observability.metricNames()).toEqual([METRIC.eventsReceived, METRIC.stopRunsFailed]);
    expect(OUTCOME_METRICS).toContain(METRIC.stopRunsFailed);
  });

  it("counts no failed stop when the topic refuses the message, so Lambda's retry counts it once", async () => {
    runAs(AUTOMATION_ROLE);
    snsMock.on(PublishCommand).rejects(new Error("KMSAccessDeniedException"));
    await expect(handlerWithSsm()(failedRun)).rejects.toThrow("KMSAccessDeniedException");
    expect(observability.metricNames()).toEqual([METRIC.eventsReceived, METRIC.notificationsFailed]);
  });

  it("counts another pipeline's failed run as ignored, not as this one's failure", async () => {
    runAs("arn:aws:iam::111122223333:role/data-remediation-eu-central-1");
    await expect(handlerWithSsm()(failedRun)).resolves.toEqual({
      outcome: "ignored",
      reason: "other-pipeline",
    });
    expect(observability.metricNames()).toEqual([METRIC.eventsReceived, METRIC.eventsIgnored]);
    expect(snsMock.commandCalls(PublishCommand)).toHaveLength(0);
  });
});
