import { AWS_REGIONS, type AwsRegion } from "./regions";

/** The prefix of every physical name when none is given; the names a deployed stack already carries. */
export const DEFAULT_NAME_PREFIX = "ami-guard";

/**
 * Every physical name one pipeline gives its resources. All derive from one prefix, so two pipelines with
 * different prefixes can share an account and region. IAM names are global to the account, so roles carry
 * the region as well.
 */
export interface ResourceNames {
  readonly namePrefix: string;
  readonly configBucketPrefix: string;
  readonly configRoleName: string;
  readonly recorderName: string;
  readonly deliveryChannelName: string;
  readonly automationRoleName: string;
  readonly keyAlias: string;
  readonly topicName: string;
  /** Every alarm's name starts with it; the topic accepts alarms matching it only. */
  readonly alarmNamePrefix: string;
  readonly failedRemediationRuleName: string;
  readonly notificationDeliveryFailuresQueueName: string;
  readonly functionName: string;
  readonly functionLogGroupName: string;
  readonly functionRoleName: string;
  readonly remediationRuleName: string;
  readonly functionFailuresQueueName: string;
  readonly eventDeliveryFailuresQueueName: string;
  /** The rule that sends instances entering `running` to the function. */
  readonly instanceRunningRuleName: string;
  readonly runningDeliveryFailuresQueueName: string;
  /**
   * The function's Powertools service name, which becomes the `service` dimension of its metrics: two
   * pipelines in one account and region must not read each other's failures.
   */
  readonly metricServiceName: string;
  /** CloudWatch dashboards are global to the account, so the name carries the region. */
  readonly dashboardName: string;
  /** The role EventBridge Scheduler assumes to re-evaluate the rule. */
  readonly reevaluationRoleName: string;
  /** The recurring re-evaluation, and the one-time one after a change of the list. */
  readonly reevaluationScheduleName: string;
  readonly afterChangeScheduleName: string;
  /** Each schedule's dead-letter queue: calls Scheduler could not make after its retries. */
  readonly reevaluationFailuresQueueName: string;
  readonly afterChangeFailuresQueueName: string;
}

export function resourceNames(namePrefix: string, region: AwsRegion): ResourceNames {
  const functionName = `${namePrefix}-remediate`;
  return {
    namePrefix,
    configBucketPrefix: `${namePrefix}-config-`,
    configRoleName: `${namePrefix}-config-${region}`,
    recorderName: namePrefix,
    deliveryChannelName: namePrefix,
    automationRoleName: `${namePrefix}-remediation-${region}`,
    keyAlias: `alias/${namePrefix}`,
    topicName: `${namePrefix}-notifications`,
    alarmNamePrefix: `${namePrefix}-`,
    failedRemediationRuleName: `${namePrefix}-failed-remediation`,
    notificationDeliveryFailuresQueueName: `${namePrefix}-notification-delivery-failures`,
    functionName,
    functionLogGroupName: `/aws/lambda/${functionName}`,
    functionRoleName: `${namePrefix}-function-${region}`,
    remediationRuleName: `${namePrefix}-non-compliant-instance`,
    functionFailuresQueueName: `${namePrefix}-function-failures`,
    eventDeliveryFailuresQueueName: `${namePrefix}-event-delivery-failures`,
    instanceRunningRuleName: `${namePrefix}-instance-running`,
    runningDeliveryFailuresQueueName: `${namePrefix}-running-delivery-failures`,
    metricServiceName: namePrefix,
    dashboardName: `${namePrefix}-${region}`,
    reevaluationRoleName: `${namePrefix}-reevaluation-${region}`,
    reevaluationScheduleName: `${namePrefix}-reevaluation`,
    afterChangeScheduleName: `${namePrefix}-reevaluation-after-change`,
    reevaluationFailuresQueueName: `${namePrefix}-reevaluation-failures`,
    afterChangeFailuresQueueName: `${namePrefix}-reevaluation-after-change-failures`,
  };
}

/** A naming rule of one AWS resource type, as its API reference (or the provider, where stricter) states it. */
export interface NamingRule {
  readonly resource: string;
  readonly maxLength: number;
  /** The whole name must match. */
  readonly pattern: RegExp;
  /** The pattern in words, for messages. */
  readonly allowed: string;
  readonly source: string;
}

/**
 * The rules every derived name is checked against. Where a name is a prefix (the bucket's), the limit is
 * the provider's on the prefix, since S3 appends a unique suffix.
 */
export const NAMING_RULES = {
  iamRole: {
    resource: "IAM role name",
    maxLength: 64,
    pattern: /^[\w+=,.@-]+$/,
    allowed: "letters, digits and _+=,.@-",
    source: "https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html",
  },
  s3BucketPrefix: {
    resource: "S3 bucket_prefix",
    maxLength: 37,
    // Bucket names begin with a letter or digit and hold lowercase letters, digits, dots and hyphens.
    pattern: /^[a-z0-9][a-z0-9.-]*$/,
    allowed: "lowercase letters, digits, dots and hyphens, starting with a letter or digit",
    source:
      "https://registry.terraform.io/providers/hashicorp/aws/5.100.0/docs/resources/s3_bucket#bucket_prefix-1 and https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html",
  },
  lambdaFunction: {
    resource: "Lambda function name",
    maxLength: 64,
    pattern: /^[a-zA-Z0-9_-]+$/,
    allowed: "letters, digits, hyphens and underscores",
    source:
      "https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html#lambda-CreateFunction-request-FunctionName",
  },
  logGroup: {
    resource: "CloudWatch Logs log group name",
    maxLength: 512,
    pattern: /^[\w.\-/#]+$/,
    allowed: "letters, digits and _-./#",
    source: "https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html",
  },
  sqsQueue: {
    resource: "SQS queue name",
    maxLength: 80,
    pattern: /^[a-zA-Z0-9_-]+$/,
    allowed: "letters, digits, hyphens and underscores",
    source: "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html",
  },
  snsTopic: {
    resource: "SNS topic name",
    maxLength: 256,
    pattern: /^[a-zA-Z0-9_-]+$/,
    allowed: "letters, digits, hyphens and underscores",
    source: "https://docs.aws.amazon.com/sns/latest/api/API_CreateTopic.html",
  },
  kmsAlias: {
    resource: "KMS alias name",
    maxLength: 256,
    // alias/aws/ is reserved for AWS managed keys.
    pattern: /^alias\/(?!aws\/)[a-zA-Z0-9/_-]+$/,
    allowed: 'letters, digits and /_-, not starting with "aws/"',
    source: "https://docs.aws.amazon.com/kms/latest/developerguide/alias-create.html",
  },
  cloudwatchAlarm: {
    resource: "CloudWatch alarm name",
    maxLength: 255,
    // Printable ASCII; the topic policy matches alarms by an ARN pattern, where * and ? would be wildcards.
    pattern: /^[\x20-\x7e]+$/,
    allowed: "printable ASCII characters",
    source: "https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html",
  },
  eventRule: {
    resource: "EventBridge rule name",
    maxLength: 64,
    pattern: /^[.\-_A-Za-z0-9]+$/,
    allowed: "letters, digits and .-_",
    source: "https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutRule.html",
  },
  cloudwatchDashboard: {
    resource: "CloudWatch dashboard name",
    maxLength: 255,
    pattern: /^[A-Za-z0-9_-]+$/,
    allowed: "letters, digits, hyphens and underscores",
    source: "https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutDashboard.html",
  },
  schedule: {
    resource: "EventBridge Scheduler schedule name",
    maxLength: 64,
    pattern: /^[0-9a-zA-Z_.-]+$/,
    allowed: "letters, digits and _.-",
    source: "https://docs.aws.amazon.com/scheduler/latest/APIReference/API_CreateSchedule.html",
  },
  configRecorder: {
    resource: "AWS Config recorder and delivery channel name",
    maxLength: 256,
    pattern: /^\S+$/,
    allowed: "non-blank characters",
    source:
      "https://docs.aws.amazon.com/config/latest/APIReference/API_ConfigurationRecorder.html and https://docs.aws.amazon.com/config/latest/APIReference/API_DeliveryChannel.html",
  },
} as const satisfies Record<string, NamingRule>;

/** Which rule each derived name must satisfy. */
export const NAME_RULE_OF: Readonly<Record<Exclude<keyof ResourceNames, "namePrefix">, NamingRule>> = {
  configBucketPrefix: NAMING_RULES.s3BucketPrefix,
  configRoleName: NAMING_RULES.iamRole,
  recorderName: NAMING_RULES.configRecorder,
  deliveryChannelName: NAMING_RULES.configRecorder,
  automationRoleName: NAMING_RULES.iamRole,
  keyAlias: NAMING_RULES.kmsAlias,
  topicName: NAMING_RULES.snsTopic,
  alarmNamePrefix: NAMING_RULES.cloudwatchAlarm,
  failedRemediationRuleName: NAMING_RULES.eventRule,
  notificationDeliveryFailuresQueueName: NAMING_RULES.sqsQueue,
  functionName: NAMING_RULES.lambdaFunction,
  functionLogGroupName: NAMING_RULES.logGroup,
  functionRoleName: NAMING_RULES.iamRole,
  remediationRuleName: NAMING_RULES.eventRule,
  functionFailuresQueueName: NAMING_RULES.sqsQueue,
  eventDeliveryFailuresQueueName: NAMING_RULES.sqsQueue,
  instanceRunningRuleName: NAMING_RULES.eventRule,
  runningDeliveryFailuresQueueName: NAMING_RULES.sqsQueue,
  // Powertools takes any string; the name's other uses are the stricter ones.
  metricServiceName: NAMING_RULES.configRecorder,
  dashboardName: NAMING_RULES.cloudwatchDashboard,
  reevaluationRoleName: NAMING_RULES.iamRole,
  reevaluationScheduleName: NAMING_RULES.schedule,
  afterChangeScheduleName: NAMING_RULES.schedule,
  reevaluationFailuresQueueName: NAMING_RULES.sqsQueue,
  afterChangeFailuresQueueName: NAMING_RULES.sqsQueue,
};

/**
 * S3 reserves these starts of a bucket name; the bucket prefix begins with the name prefix.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
 */
export const RESERVED_BUCKET_NAME_STARTS = ["xn--", "sthree-", "amzn-s3-demo-"] as const;

/**
 * One line per derived name that breaks its rule, each naming the name, its length and the rule's source.
 * `extraNames` are names derived elsewhere (the alarms), checked against their own rules.
 */
export function namePrefixProblems(
  namePrefix: string,
  region: AwsRegion,
  extraNames: readonly { readonly name: string; readonly rule: NamingRule }[] = [],
): string[] {
  if (namePrefix.length === 0) return ["must not be empty"];
  const names = resourceNames(namePrefix, region);
  const checked = [
    ...Object.entries(NAME_RULE_OF).map(([key, rule]) => ({
      name: names[key as keyof typeof NAME_RULE_OF],
      rule,
    })),
    ...extraNames,
  ];
  const problems = checked.flatMap(({ name, rule }) => {
    const found: string[] = [];
    if (name.length > rule.maxLength)
      found.push(
        `the ${rule.resource} "${name}" would have ${name.length} characters; at most ${rule.maxLength} (${rule.source})`,
      );
    if (!rule.pattern.test(name))
      found.push(`the ${rule.resource} "${name}" may hold only ${rule.allowed} (${rule.source})`);
    return found;
  });
  const reserved = RESERVED_BUCKET_NAME_STARTS.find((start) => names.configBucketPrefix.startsWith(start));
  if (reserved)
    problems.push(
      `the S3 bucket_prefix "${names.configBucketPrefix}" starts with "${reserved}", which S3 reserves (${NAMING_RULES.s3BucketPrefix.source})`,
    );
  return [...new Set(problems)];
}

/**
 * The longest name prefix every derived name accepts in every region, found by trying: it is what the
 * documentation of `namePrefix` promises.
 */
export function longestNamePrefix(
  extraSuffixes: readonly { readonly suffix: string; readonly rule: NamingRule }[] = [],
): number {
  let length = 1;
  const fits = (candidate: number) =>
    AWS_REGIONS.every(
      (region) =>
        namePrefixProblems(
          "a".repeat(candidate),
          region,
          extraSuffixes.map(({ suffix, rule }) => ({ name: `${"a".repeat(candidate)}${suffix}`, rule })),
        ).length === 0,
    );
  while (fits(length + 1)) length += 1;
  return length;
}
