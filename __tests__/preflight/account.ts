import {
  type AwsLoopback,
  configError,
  configJson,
  dynamodbError,
  dynamodbJson,
  ec2Regions,
  type LoopbackResponse,
  type LoopbackSubscription,
  lambdaAccountSettings,
  lambdaError,
  lambdaJson,
  queryError,
  s3HeadError,
  snsSubscriptions,
  stsAssumedRole,
  stsCallerIdentity,
} from "../../tools/loopback/aws-loopback";

export const ACCOUNT = "111122223333";
export const REGION = "eu-central-1";
export const STACK = `ami-guard-${ACCOUNT}-${REGION}`;
export const RULE_NAME = "approved-amis-by-id";
const RULE_ARN = `arn:aws:config:${REGION}:${ACCOUNT}:config-rule/config-rule-abc123`;
export const TOPIC_ARN = `arn:aws:sns:${REGION}:${ACCOUNT}:ami-guard-notifications`;

/** A recorder as DescribeConfigurationRecorders returns it (JSON field names of the Config API). */
interface RecorderShape {
  readonly name: string;
  readonly recordingGroup?: Record<string, unknown>;
  readonly recordingMode?: Record<string, unknown>;
  readonly servicePrincipal?: string;
}

export const RECORDS_EC2_CONTINUOUSLY: RecorderShape = {
  name: "default",
  recordingGroup: { allSupported: false, resourceTypes: ["AWS::EC2::Instance", "AWS::EC2::Volume"] },
  recordingMode: { recordingFrequency: "CONTINUOUS" },
};

/** What an account holds; every field defaults to a clean account ready for a first deploy. */
export interface AccountState {
  /** The account GetCallerIdentity names. @default ACCOUNT */
  readonly callerAccount?: string;
  /** @default { [REGION]: "opt-in-not-required" } */
  readonly regions?: Readonly<Record<string, string>>;
  /** @default [] */
  readonly recorders?: readonly RecorderShape[];
  /** @default [] */
  readonly channels?: readonly string[];
  /** Recorder names that are recording. @default every recorder */
  readonly recording?: readonly string[];
  /** The rule of RULE_NAME, with its tags; undefined: no such rule. @default undefined */
  readonly rule?: { readonly tags: Readonly<Record<string, string>> };
  /** @default { limit: 1000, unreserved: 1000, functionReserved: undefined } */
  readonly lambda?: {
    readonly limit: number;
    readonly unreserved: number;
    readonly functionReserved?: number;
  };
  /** undefined: the topic does not exist. @default undefined */
  readonly subscriptions?: readonly LoopbackSubscription[];
  /** @default "exists" */
  readonly bucket?: "exists" | "missing";
  /** The lock table's status; undefined: no table. @default "ACTIVE" */
  readonly table?: string | undefined;
}

/** Scripts every read the preflight makes as the default answer of its operation. */
export function scriptAccount(aws: AwsLoopback, state: AccountState = {}): void {
  const recorders = state.recorders ?? [];
  const recording = state.recording ?? recorders.map((r) => r.name);
  const lambda = state.lambda ?? { limit: 1000, unreserved: 1000 };
  aws
    .setDefault("GetCallerIdentity", stsCallerIdentity(state.callerAccount ?? ACCOUNT))
    .setDefault("AssumeRole", (request) => stsAssumedRole(request.params?.RoleArn ?? ""))
    .setDefault("DescribeRegions", ec2Regions(state.regions ?? { [REGION]: "opt-in-not-required" }))
    .setDefault("DescribeConfigurationRecorders", configJson({ ConfigurationRecorders: recorders }))
    .setDefault(
      "DescribeDeliveryChannels",
      configJson({ DeliveryChannels: (state.channels ?? []).map((name) => ({ name, s3BucketName: "b" })) }),
    )
    .setDefault(
      "DescribeConfigurationRecorderStatus",
      configJson({
        ConfigurationRecordersStatus: recorders.map((r) => ({
          name: r.name,
          recording: recording.includes(r.name),
        })),
      }),
    )
    .setDefault(
      "DescribeConfigRules",
      state.rule
        ? configJson({ ConfigRules: [ruleShape()] })
        : configError(
            "NoSuchConfigRuleException",
            `The ConfigRule '${RULE_NAME}' provided in the request is invalid.`,
          ),
    )
    .setDefault(
      "ListTagsForResource",
      configJson({ Tags: Object.entries(state.rule?.tags ?? {}).map(([Key, Value]) => ({ Key, Value })) }),
    )
    .setDefault("GetAccountSettings", lambdaAccountSettings(lambda.limit, lambda.unreserved))
    .setDefault(
      "GetFunctionConcurrency",
      lambda.functionReserved === undefined
        ? lambdaError("ResourceNotFoundException", "Function not found", 404)
        : lambdaJson({ ReservedConcurrentExecutions: lambda.functionReserved }),
    )
    .setDefault(
      "ListSubscriptionsByTopic",
      state.subscriptions
        ? snsSubscriptions(TOPIC_ARN, state.subscriptions)
        : queryError("sns", "NotFound", "Topic does not exist", 404),
    )
    .setDefault("HeadBucket", state.bucket === "missing" ? s3HeadError(404) : { status: 200, body: "" })
    .setDefault(
      "DescribeTable",
      "table" in state && state.table === undefined
        ? dynamodbError("ResourceNotFoundException", "Requested resource not found")
        : dynamodbJson({ Table: { TableName: "locks", TableStatus: state.table ?? "ACTIVE" } }),
    );
}

export function ruleShape(): Record<string, unknown> {
  return {
    ConfigRuleName: RULE_NAME,
    ConfigRuleArn: RULE_ARN,
    ConfigRuleId: "config-rule-abc123",
    Source: { Owner: "AWS", SourceIdentifier: "APPROVED_AMIS_BY_ID" },
    ConfigRuleState: "ACTIVE",
  };
}

export const THROTTLED: LoopbackResponse = configError("ThrottlingException", "Rate exceeded");
