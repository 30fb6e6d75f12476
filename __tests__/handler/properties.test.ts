import {
  ConfigServiceClient,
  DescribeRemediationExecutionStatusCommand,
  GetComplianceDetailsByResourceCommand,
  StartRemediationExecutionCommand,
} from "@aws-sdk/client-config-service";
import { DescribeInstancesCommand, EC2Client } from "@aws-sdk/client-ec2";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { mockClient } from "aws-sdk-client-mock";
import fc from "fast-check";
import type { AwsClients } from "../../handler/clients";
import { createHandler } from "../../handler/index";
import {
  ACCOUNT,
  executionInProgress,
  INSTANCE,
  REGION,
  RecordingObservability,
  RULE,
  sampleEvent,
  sampleRunningEvent,
  settings,
} from "./fixtures";

const clients: AwsClients = {
  config: new ConfigServiceClient({ region: REGION }),
  ec2: new EC2Client({ region: REGION }),
  sns: new SNSClient({ region: REGION }),
};
const configMock = mockClient(clients.config);
const ec2Mock = mockClient(clients.ec2);
const snsMock = mockClient(clients.sns);

function resetMocks(): void {
  configMock.reset();
  ec2Mock.reset();
  snsMock.reset();
  ec2Mock.on(DescribeInstancesCommand).resolves({
    Reservations: [{ Instances: [{ InstanceId: INSTANCE, State: { Name: "running" }, Tags: [] }] }],
  });
  configMock.on(GetComplianceDetailsByResourceCommand).resolves({
    EvaluationResults: [
      {
        EvaluationResultIdentifier: {
          EvaluationResultQualifier: { ConfigRuleName: RULE, ResourceId: INSTANCE },
        },
        ComplianceType: "NON_COMPLIANT",
      },
    ],
  });
  configMock.on(StartRemediationExecutionCommand).resolves({ FailedItems: [] });
  configMock.on(DescribeRemediationExecutionStatusCommand).resolves(executionInProgress());
  snsMock.on(PublishCommand).resolves({ MessageId: "m" });
}

function apiCalls(): number {
  return configMock.calls().length + ec2Mock.calls().length + snsMock.calls().length;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * The conditions of the issue, written again independently of handler/decision.ts: the property is that
 * the handler touches an API exactly when this oracle says every condition holds.
 */
function everyConditionHolds(event: unknown): boolean {
  if (!isObject(event) || !isObject(event.detail)) return false;
  const detail = event.detail;
  const result = detail.newEvaluationResult;
  if (!isObject(result) || !isObject(result.evaluationResultIdentifier)) return false;
  const qualifier = result.evaluationResultIdentifier.evaluationResultQualifier;
  if (!isObject(qualifier)) return false;
  const copiesAgree = (
    [
      [detail.configRuleName, RULE],
      [detail.resourceType, "AWS::EC2::Instance"],
      [detail.resourceId, qualifier.resourceId],
      [detail.awsAccountId, ACCOUNT],
      [detail.awsRegion, REGION],
    ] as const
  ).every(([copy, authority]) => copy === undefined || copy === authority);
  return (
    typeof event.id === "string" &&
    event.id.length > 0 &&
    event.source === "aws.config" &&
    event["detail-type"] === "Config Rules Compliance Change" &&
    event.account === ACCOUNT &&
    event.region === REGION &&
    detail.messageType === "ComplianceChangeNotification" &&
    result.complianceType === "NON_COMPLIANT" &&
    (result.resultRecordedTime === undefined || typeof result.resultRecordedTime === "string") &&
    qualifier.configRuleName === RULE &&
    qualifier.resourceType === "AWS::EC2::Instance" &&
    typeof qualifier.resourceId === "string" &&
    /^i-(?:[0-9a-f]{8}|[0-9a-f]{17})$/.test(qualifier.resourceId) &&
    copiesAgree
  );
}

/**
 * The conditions for EC2's state-change event, written again independently: an instance of this account
 * and region entering running, with a well-formed id, and any `resources` naming only that instance.
 */
function runningConditionsHold(event: unknown): boolean {
  if (!isObject(event) || !isObject(event.detail)) return false;
  const instanceId = event.detail["instance-id"];
  const resources = event.resources;
  return (
    typeof event.id === "string" &&
    event.id.length > 0 &&
    event.source === "aws.ec2" &&
    event["detail-type"] === "EC2 Instance State-change Notification" &&
    event.account === ACCOUNT &&
    event.region === REGION &&
    event.detail.state === "running" &&
    typeof instanceId === "string" &&
    /^i-(?:[0-9a-f]{8}|[0-9a-f]{17})$/.test(instanceId) &&
    (!Array.isArray(resources) ||
      resources.every((arn) => arn === `arn:aws:ec2:${REGION}:${ACCOUNT}:instance/${instanceId}`))
  );
}

const DELETE = Symbol("delete");

/** Sets a field of an event under test, or removes it when the variant is DELETE. */
function setOrDelete(target: Record<string, unknown>, key: string, value: unknown): void {
  if (value === DELETE) delete target[key];
  else target[key] = value;
}

/** Each field: the valid value, a near miss, gone, or any JSON at all. */
function fieldVariant(valid: unknown, ...nearMisses: unknown[]): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 12, arbitrary: fc.constant(valid) },
    { weight: 1, arbitrary: fc.constantFrom(...nearMisses, DELETE) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
  );
}

const mutatedEvents = fc
  .record({
    id: fieldVariant("7c8bd4c1", ""),
    source: fieldVariant("aws.config", "aws.ec2", "AWS.CONFIG"),
    detailType: fieldVariant("Config Rules Compliance Change", "Config Configuration Item Change"),
    account: fieldVariant(ACCOUNT, "444455556666"),
    region: fieldVariant(REGION, "us-east-1"),
    messageType: fieldVariant("ComplianceChangeNotification", "ConfigurationItemChangeNotification"),
    complianceType: fieldVariant("NON_COMPLIANT", "COMPLIANT", "NOT_APPLICABLE", "non_compliant"),
    ruleName: fieldVariant(RULE, "other-rule", `${RULE} `),
    resourceType: fieldVariant("AWS::EC2::Instance", "AWS::EC2::Volume"),
    resourceId: fieldVariant(INSTANCE, "i-123", "vol-0123456789abcdef0", `${INSTANCE}\n`),
    detailResourceId: fieldVariant(INSTANCE, "i-0fedcba9876543210"),
    detailAccount: fieldVariant(ACCOUNT, "444455556666"),
    recorded: fieldVariant("2019-04-08T08:48:05.184Z", "not a date"),
  })
  .map((fields) => {
    const event = sampleEvent();
    const qualifier = event.detail.newEvaluationResult.evaluationResultIdentifier.evaluationResultQualifier;
    setOrDelete(event, "id", fields.id);
    setOrDelete(event, "source", fields.source);
    setOrDelete(event, "detail-type", fields.detailType);
    setOrDelete(event, "account", fields.account);
    setOrDelete(event, "region", fields.region);
    setOrDelete(event.detail, "messageType", fields.messageType);
    setOrDelete(event.detail.newEvaluationResult, "complianceType", fields.complianceType);
    setOrDelete(qualifier, "configRuleName", fields.ruleName);
    setOrDelete(event.detail, "configRuleName", fields.ruleName);
    setOrDelete(qualifier, "resourceType", fields.resourceType);
    setOrDelete(event.detail, "resourceType", fields.resourceType);
    setOrDelete(qualifier, "resourceId", fields.resourceId);
    setOrDelete(event.detail, "resourceId", fields.detailResourceId);
    setOrDelete(event.detail, "awsAccountId", fields.detailAccount);
    setOrDelete(event.detail.newEvaluationResult, "resultRecordedTime", fields.recorded);
    return event as unknown;
  });

const mutatedRunningEvents = fc
  .record({
    id: fieldVariant("7bf73129", ""),
    source: fieldVariant("aws.ec2", "aws.config", "AWS.EC2"),
    detailType: fieldVariant(
      "EC2 Instance State-change Notification",
      "EC2 Spot Instance Interruption Warning",
    ),
    account: fieldVariant(ACCOUNT, "444455556666"),
    region: fieldVariant(REGION, "us-east-1"),
    state: fieldVariant("running", "pending", "stopped", "RUNNING"),
    instanceId: fieldVariant(INSTANCE, "i-123", `${INSTANCE}\n`, "vol-0123456789abcdef0"),
    resources: fieldVariant(
      [`arn:aws:ec2:${REGION}:${ACCOUNT}:instance/${INSTANCE}`],
      [`arn:aws:ec2:${REGION}:${ACCOUNT}:instance/i-0fedcba9876543210`],
      [],
    ),
  })
  .map((fields) => {
    const event = sampleRunningEvent();
    setOrDelete(event, "id", fields.id);
    setOrDelete(event, "source", fields.source);
    setOrDelete(event, "detail-type", fields.detailType);
    setOrDelete(event, "account", fields.account);
    setOrDelete(event, "region", fields.region);
    setOrDelete(event.detail, "state", fields.state);
    setOrDelete(event.detail, "instance-id", fields.instanceId);
    setOrDelete(event, "resources", fields.resources);
    return event as unknown;
  });

describe("handler properties", () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);

  beforeAll(() => process.on("unhandledRejection", onUnhandled));
  afterAll(() => process.off("unhandledRejection", onUnhandled));

  async function runOnce(
    event: unknown,
    arrange: () => void = () => {},
  ): Promise<{ calls: number; threw: unknown }> {
    resetMocks();
    arrange();
    const handler = createHandler({
      settings: () => settings(),
      clients: () => clients,
      observability: new RecordingObservability(),
      now: () => new Date("2026-01-01T00:00:00Z"),
      sleep: async () => {},
    });
    let threw: unknown;
    await handler(event).catch((error: unknown) => {
      threw = error;
    });
    // Let any stray promise settle, so an unhandled rejection would be seen by this run.
    await new Promise((resolve) => setImmediate(resolve));
    return { calls: apiCalls(), threw };
  }

  it("for arbitrary JSON, calls no API, never throws and leaves no unhandled rejection", async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), async (event) => {
        const { calls, threw } = await runOnce(event);
        expect(threw).toBeUndefined();
        expect(calls).toBe(everyConditionHolds(event) || runningConditionsHold(event) ? 3 : 0);
      }),
      { numRuns: 300 },
    );
    expect(unhandled).toEqual([]);
  });

  it("for events one mutation away from valid, calls an API exactly when every condition holds", async () => {
    let remediated = 0;
    await fc.assert(
      fc.asyncProperty(mutatedEvents, async (event) => {
        const holds = everyConditionHolds(event);
        const { calls, threw } = await runOnce(event);
        expect(threw).toBeUndefined();
        // Describe, Config's current result, Start, the execution's status and Publish when it holds;
        // nothing at all otherwise.
        expect(calls).toBe(holds ? 5 : 0);
        if (holds) remediated += 1;
      }),
      { numRuns: 400 },
    );
    // The generator must reach both sides of the property, or it proves nothing.
    expect(remediated).toBeGreaterThan(10);
    expect(unhandled).toEqual([]);
  });

  it("for instance-running events one mutation away from valid, calls an API exactly when every condition holds", async () => {
    let remediated = 0;
    await fc.assert(
      fc.asyncProperty(mutatedRunningEvents, async (event) => {
        const holds = runningConditionsHold(event) || everyConditionHolds(event);
        const { calls, threw } = await runOnce(event);
        expect(threw).toBeUndefined();
        // The same five calls as a compliance change, since Config calls the instance NON_COMPLIANT here.
        expect(calls).toBe(holds ? 5 : 0);
        if (holds) remediated += 1;
      }),
      { numRuns: 400 },
    );
    expect(remediated).toBeGreaterThan(10);
    expect(unhandled).toEqual([]);
  });

  it("for instance-running events, costs one Config read and nothing more unless Config says NON_COMPLIANT", async () => {
    const answers = fc.constantFrom(
      "NON_COMPLIANT",
      "COMPLIANT",
      "NOT_APPLICABLE",
      "INSUFFICIENT_DATA",
      "none",
    );
    const seen = new Set<string>();
    await fc.assert(
      fc.asyncProperty(mutatedRunningEvents, answers, async (event, answer) => {
        const holds = runningConditionsHold(event);
        const { calls, threw } = await runOnce(event, () => {
          configMock.on(GetComplianceDetailsByResourceCommand).resolves({
            EvaluationResults:
              answer === "none"
                ? []
                : [
                    {
                      EvaluationResultIdentifier: {
                        EvaluationResultQualifier: { ConfigRuleName: RULE, ResourceId: INSTANCE },
                      },
                      ComplianceType: answer as "COMPLIANT",
                    },
                  ],
          });
        });
        expect(threw).toBeUndefined();
        expect(calls).toBe(!holds ? 0 : answer === "NON_COMPLIANT" ? 5 : 1);
        if (holds) seen.add(answer);
      }),
      { numRuns: 300 },
    );
    expect(seen.size).toBe(5);
    expect(unhandled).toEqual([]);
  });
});
