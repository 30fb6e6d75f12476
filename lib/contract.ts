/**
 * The contract between the function and the infrastructure that deploys, triggers and watches it. The
 * constructs set these variables, route these events and alarm on these metrics; the handler reads and
 * emits exactly these. One module, imported by both sides, so neither can drift from the other.
 */

/** The environment the stack sets on the function; the handler reads nothing else of its own. */
export const HANDLER_ENVIRONMENT = {
  /** The Config rule this function was deployed for; events about any other rule are ignored. */
  ruleName: "AMI_GUARD_RULE_NAME",
  /** The account and region of the stack; events from anywhere else are ignored. */
  accountId: "AMI_GUARD_ACCOUNT_ID",
  region: "AMI_GUARD_REGION",
  /** "true": log and notify what would happen, start nothing. */
  dryRun: "AMI_GUARD_DRY_RUN",
  /** Tag whose value "true", or an ISO date in the future, exempts an instance. */
  exemptionTagKey: "AMI_GUARD_EXEMPTION_TAG_KEY",
  /** SNS topic for remediated, guarded and failed events. */
  topicArn: "AMI_GUARD_TOPIC_ARN",
  /**
   * The stack's approved AMI ids, comma-separated: the same list as the rule's `amiIds` parameter, so an
   * event older than a list change is checked against the list as it is now. At most 21 ids of 21
   * characters fit well inside Lambda's 4 KB limit on all variables together
   * (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html).
   */
  approvedAmiIds: "AMI_GUARD_APPROVED_AMI_IDS",
} as const;

/**
 * Variables only some deployments set; the handler reads them when present. A pipeline that shares its
 * account and region with others sets both scope variables (the tag its instances carry), and routes
 * failed runs of the stop runbook through the function, which keeps only runs of its own automation role.
 */
export const OPTIONAL_HANDLER_ENVIRONMENT = {
  scopeTagKey: "AMI_GUARD_SCOPE_TAG_KEY",
  scopeTagValue: "AMI_GUARD_SCOPE_TAG_VALUE",
  /** The role this pipeline's remediation runs AWS-StopEC2Instance as; runs of any other role are not ours. */
  automationRoleArn: "AMI_GUARD_AUTOMATION_ROLE_ARN",
} as const;

/** SSM Automation's event for an execution changing status: a failed stop is reported through it. */
export const AUTOMATION_STATUS_CHANGE_EVENT = {
  source: "aws.ssm",
  detailType: "EC2 Automation Execution Status-change Notification",
  /** The runbook every pipeline's remediation runs (lib/remediation's STOP_INSTANCE_DOCUMENT). */
  stopRunbook: "AWS-StopEC2Instance",
  /** Terminal states other than Success (lib/alarms' FAILED_AUTOMATION_STATUSES). */
  failedStatuses: ["Failed", "TimedOut", "Cancelled"],
} as const;

/** How the approved ids are joined in the variable and in the rule's `amiIds` parameter. */
export const APPROVED_AMI_IDS_SEPARATOR = ",";

export type HandlerEnvironmentKey = keyof typeof HANDLER_ENVIRONMENT;

/**
 * Powertools reads these two variables: the service becomes the `service` dimension of every metric, the
 * namespace the CloudWatch namespace.
 */
export const POWERTOOLS_ENVIRONMENT = {
  POWERTOOLS_SERVICE_NAME: "ami-guard",
  POWERTOOLS_METRICS_NAMESPACE: "AmiGuard",
} as const;

/**
 * The Powertools variables of a function whose metrics carry `serviceName` as their `service` dimension:
 * each pipeline names its own service, so two in one account and region keep their metrics apart.
 */
export function powertoolsEnvironment(serviceName: string): {
  readonly POWERTOOLS_SERVICE_NAME: string;
  readonly POWERTOOLS_METRICS_NAMESPACE: typeof POWERTOOLS_ENVIRONMENT.POWERTOOLS_METRICS_NAMESPACE;
} {
  return { ...POWERTOOLS_ENVIRONMENT, POWERTOOLS_SERVICE_NAME: serviceName };
}

export const METRIC_NAMESPACE = POWERTOOLS_ENVIRONMENT.POWERTOOLS_METRICS_NAMESPACE;
/** The dimension Powertools adds to every metric the function emits. */
export const METRIC_SERVICE_DIMENSION = { service: POWERTOOLS_ENVIRONMENT.POWERTOOLS_SERVICE_NAME } as const;

/** Every metric the function emits; alarms and dashboards read these names. */
export const METRIC = {
  /** Every invocation, counted before anything is read, so a dashboard can set every outcome against it. */
  eventsReceived: "EventsReceived",
  remediationsStarted: "RemediationsStarted",
  remediationsFailed: "RemediationsFailed",
  /** A duplicate delivery found Config's execution for the instance still running: success, not failure. */
  remediationsAlreadyRunning: "RemediationsAlreadyRunning",
  /** Pending or not yet visible instances, handed back to Lambda's retries. */
  remediationsDeferred: "RemediationsDeferred",
  dryRuns: "DryRuns",
  eventsIgnored: "EventsIgnored",
  guardSkips: "GuardSkips",
  /**
   * The instance's AMI is on the stack's list now, though Config's NON_COMPLIANT says it was not when the
   * rule evaluated it: the list approved the AMI since (a stale or redriven compliance change, or a started
   * instance Config has not evaluated again). Never an ordinary approved launch: those are `ApprovedLaunches`.
   */
  approvedSinceSkips: "ApprovedSinceSkips",
  /**
   * An instance-running event for an instance Config calls COMPLIANT: an approved instance started. Counted
   * from Config's answer alone, with no call to EC2 and no notification.
   */
  approvedLaunches: "ApprovedLaunches",
  /**
   * An instance-running event for an instance Config holds no verdict on (no result of the rule yet, which
   * is every new instance: its own compliance change follows; or NOT_APPLICABLE, INSUFFICIENT_DATA).
   * Nothing is read of EC2, nothing stopped, nobody notified; not a failure.
   */
  runningNotNonCompliant: "RunningNotNonCompliant",
  notificationsFailed: "NotificationsFailed",
  /**
   * A run of the stop runbook as this pipeline's automation role ended Failed, TimedOut or Cancelled (SSM's
   * status-change event, routed through the function), and the topic was told: a stop that did not happen.
   */
  stopRunsFailed: "StopRunsFailed",
  /** From Config's resultRecordedTime to our StartRemediationExecution call. */
  remediationDelay: "RemediationDelay",
} as const;
export type MetricName = (typeof METRIC)[keyof typeof METRIC];

/**
 * What one invocation came to: each invocation counts `EventsReceived` and exactly one of these, so their
 * sum over any period equals the events received and no event goes unaccounted for.
 */
export const OUTCOME_METRICS = [
  METRIC.eventsIgnored,
  METRIC.remediationsStarted,
  METRIC.remediationsAlreadyRunning,
  METRIC.dryRuns,
  METRIC.guardSkips,
  METRIC.approvedSinceSkips,
  METRIC.approvedLaunches,
  METRIC.runningNotNonCompliant,
  METRIC.remediationsDeferred,
  METRIC.remediationsFailed,
  METRIC.stopRunsFailed,
] as const satisfies readonly MetricName[];

/** The extra dimension some counts carry alone (why an event was ignored, which guard skipped it). */
export type MetricDimensionName = "Reason" | "Guard";

/** The guard rails that leave a NON_COMPLIANT instance running; each is a value of the `Guard` dimension. */
export const GUARDS = ["auto-scaling-group", "exempt", "not-running"] as const;
export type Guard = (typeof GUARDS)[number];

/**
 * Which metrics carry which extra dimension. The function emits these as single metrics holding only
 * `service` and that dimension; every other metric carries `service` alone.
 */
export const METRIC_DIMENSION: Readonly<Partial<Record<MetricName, MetricDimensionName>>> = {
  [METRIC.eventsIgnored]: "Reason",
  [METRIC.guardSkips]: "Guard",
};

/**
 * The log line's field naming the Auto Scaling group of an instance the `auto-scaling-group` guard left
 * running. The group is not a metric dimension: its values are unbounded (every group anyone creates), and
 * each dimension value is a metric of its own; the log line carries it instead, read by the query below.
 */
export const AUTO_SCALING_GROUP_LOG_FIELD = "autoScalingGroup";

/**
 * The Logs Insights query, on the function's log group, that lists every instance a guard left running,
 * with its guard and group: the list behind the `GuardSkips` count, the alarm on it and the dashboard's
 * table. It reads the fields the handler writes on its `guarded` log line (Powertools logs JSON, whose
 * top-level fields Logs Insights discovers). Regular expressions rather than quoted strings: the query
 * travels inside the dashboard's `jsonencode(...)`, where cdktf writes a double quote unescaped.
 */
export const INSTANCES_LEFT_RUNNING_QUERY = [
  "fields @timestamp, guard, autoScalingGroup, instanceId, trigger",
  "filter decision like /^guarded$/ and guard like /^(auto-scaling-group|exempt)$/",
  `stats count(*) as events, max(@timestamp) as lastSeen by guard, ${AUTO_SCALING_GROUP_LOG_FIELD}, instanceId`,
  "sort lastSeen desc",
].join("\n| ");

/**
 * The Logs Insights query, on the function's log group, that lists every instance a dry run would have
 * stopped: the list behind the `DryRuns` count, the `dry-run` alarm on it and the dashboard's table, from the
 * handler's `dry-run` log line. Regular expressions for the reason INSTANCES_LEFT_RUNNING_QUERY gives.
 */
export const DRY_RUN_INSTANCES_QUERY = [
  "fields @timestamp, instanceId, imageId, trigger",
  "filter decision like /^dry-run$/",
  "stats count(*) as events, max(@timestamp) as lastSeen by instanceId, imageId",
  "sort lastSeen desc",
].join("\n| ");

/** The compliance-change event the rule's evaluations produce (Config's EventBridge event). */
export const COMPLIANCE_CHANGE_EVENT = {
  source: "aws.config",
  detailType: "Config Rules Compliance Change",
  messageType: "ComplianceChangeNotification",
  nonCompliant: "NON_COMPLIANT",
  compliant: "COMPLIANT",
} as const;

/** The only resource type the rule evaluates and the function acts on. */
export const EC2_INSTANCE_RESOURCE_TYPE = "AWS::EC2::Instance";

/**
 * EC2's event for an instance entering a state; the function acts on `running` only, which an instance
 * stopped by remediation and started again enters without any compliance change from Config. Shape and
 * states: https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/monitoring-instance-state-changes.html
 */
export const INSTANCE_STATE_CHANGE_EVENT = {
  source: "aws.ec2",
  detailType: "EC2 Instance State-change Notification",
  running: "running",
  documentation: "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/monitoring-instance-state-changes.html",
} as const;
