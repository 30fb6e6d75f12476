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
   * The instance's AMI is on the stack's list now: a compliance change predates a list change (or was
   * redriven); for an instance-running event this is the everyday case, an approved instance started.
   */
  approvedSinceSkips: "ApprovedSinceSkips",
  /**
   * An instance-running event for an instance Config does not call NON_COMPLIANT now (COMPLIANT, or not
   * evaluated yet: a new instance's own compliance change follows). Nothing is stopped; not a failure.
   */
  runningNotNonCompliant: "RunningNotNonCompliant",
  notificationsFailed: "NotificationsFailed",
  /** From Config's resultRecordedTime to our StartRemediationExecution call. */
  remediationDelay: "RemediationDelay",
} as const;
export type MetricName = (typeof METRIC)[keyof typeof METRIC];

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

/** The compliance-change event the rule's evaluations produce (Config's EventBridge event). */
export const COMPLIANCE_CHANGE_EVENT = {
  source: "aws.config",
  detailType: "Config Rules Compliance Change",
  messageType: "ComplianceChangeNotification",
  nonCompliant: "NON_COMPLIANT",
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
