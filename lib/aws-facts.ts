/**
 * AWS behaviour the constructs depend on, each with the page that documents it. Constructs read the values
 * from here and tests assert against them, so a fact corrected here is corrected everywhere at once.
 * `statement` is the documentation's own sentence unless it says it is paraphrased.
 */
interface DocumentedFact<T> {
  readonly value: T;
  /** What the documentation says, in a sentence. */
  readonly statement: string;
  readonly source: string;
}

/**
 * How many executions a reservation must leave unreserved in the account. The API reference says 100; the
 * minimum Lambda enforces on accounts with small quotas is lower (error messages name 10 or 50) and is not
 * documented, so the documented figure is the one that cannot let an apply fail half-way: a reservation
 * that breaks it fails `PutFunctionConcurrency` after the function was created, leaving it tainted and the
 * invoke configuration, permission, target and alarms never created.
 */
export const LAMBDA_UNRESERVED_CONCURRENCY_MINIMUM: DocumentedFact<number> = {
  value: 100,
  statement:
    "You can reserve concurrency for as many functions as you like, as long as you leave at least 100 simultaneous executions unreserved for functions that aren't configured with a per-function limit.",
  source: "https://docs.aws.amazon.com/lambda/latest/api/API_PutFunctionConcurrency.html",
};

/**
 * SQS publishes queue metrics only while a queue is active (for up to six hours after activity); whether
 * messages merely waiting in a dead-letter queue keep it active is not stated, so an alarm must not read
 * missing data as "empty".
 */
export const SQS_METRICS_ONLY_WHILE_ACTIVE: DocumentedFact<boolean> = {
  value: true,
  statement: "All metrics emit non-negative values only when the queue is active.",
  source:
    "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-available-cloudwatch-metrics.html",
};

/**
 * How an alarm on a dead-letter queue treats the hours when SQS publishes nothing. `ignore` keeps the last
 * state: an alarm raised by a message stays raised until a datapoint shows the queue empty again, while a
 * queue that never held a message stays quiet. `notBreaching` would clear the alarm with messages still
 * waiting; `breaching` would page for every idle, empty queue.
 */
export const DEAD_LETTER_ALARM_MISSING_DATA: DocumentedFact<"ignore"> = {
  value: "ignore",
  statement: "ignore — The current alarm state is maintained.",
  source:
    "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarms-and-missing-data",
};

/**
 * EventBridge names the rule (aws:SourceArn) but not the account when it invokes a function; a permission
 * with a SourceAccount setting is one EventBridge cannot use.
 */
export const EVENTBRIDGE_INVOKES_LAMBDA_WITHOUT_SOURCE_ACCOUNT: DocumentedFact<boolean> = {
  value: true,
  statement:
    "Troubleshooting, 'My rule ran but my Lambda function wasn't invoked': the expected function policy names events.amazonaws.com with the rule's ARN as AWS:SourceArn and no SourceAccount; a SourceAccount setting prevents EventBridge from invoking the function (paraphrased).",
  source:
    "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-troubleshooting.html#eb-lam-function-not-invoked",
};

/** A Lambda function error (a thrown handler) is counted in the `Errors` metric, retries included. */
export const LAMBDA_ERRORS_COUNT_FUNCTION_ERRORS: DocumentedFact<boolean> = {
  value: true,
  statement:
    "Errors – The number of invocations that result in a function error. Function errors include exceptions that your code throws and exceptions that the Lambda runtime throws.",
  source: "https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html",
};

/** An email subscription delivers nothing until its recipient follows the link SNS mails them. */
export const SNS_EMAIL_NEEDS_CONFIRMATION: DocumentedFact<boolean> = {
  value: true,
  statement:
    "An email endpoint receives messages only after its owner confirms the subscription from the email SNS sends; until then the subscription is pending confirmation (paraphrased).",
  source: "https://docs.aws.amazon.com/sns/latest/dg/sns-email-notifications.html",
};

/** What the managed rule's `amiIds` parameter holds: a comma-separated list of ids, bounded twice. */
export const APPROVED_AMIS_PARAMETER_LIMITS: DocumentedFact<{
  readonly maxIds: number;
  readonly maxCharacters: number;
}> = {
  value: { maxIds: 21, maxCharacters: 1024 },
  statement:
    "amiIds — Type: CSV. Comma-separated list of up to 21 AMI IDs. There is a 1024 characters limit.",
  source: "https://docs.aws.amazon.com/config/latest/developerguide/approved-amis-by-id.html",
};

/** A Config rule's name: 1-128 characters that are not all blank. */
export const CONFIG_RULE_NAME_LIMITS: DocumentedFact<{ readonly maxLength: number }> = {
  value: { maxLength: 128 },
  statement:
    "ConfigRuleName — Length Constraints: Minimum length of 1. Maximum length of 128. Pattern: .*\\S.*",
  source: "https://docs.aws.amazon.com/config/latest/APIReference/API_ConfigRule.html",
};

/** AWS Config runs one customer-managed configuration recorder per account and region. */
export const ONE_CONFIGURATION_RECORDER_PER_REGION: DocumentedFact<boolean> = {
  value: true,
  statement:
    "You can specify only one configuration recorder for each AWS Region for each account; a second fails with MaxNumberOfConfigurationRecordersExceededException (paraphrased).",
  source: "https://docs.aws.amazon.com/config/latest/APIReference/API_PutConfigurationRecorder.html",
};

/** How Config retries a remediation it starts itself: the bounds of its two settings. */
export const AUTOMATIC_REMEDIATION_LIMITS: DocumentedFact<{
  readonly maximumAutomaticAttempts: { readonly min: number; readonly max: number };
  readonly retryAttemptSeconds: { readonly min: number; readonly max: number };
}> = {
  value: {
    maximumAutomaticAttempts: { min: 1, max: 25 },
    retryAttemptSeconds: { min: 1, max: 2_678_000 },
  },
  statement:
    "MaximumAutomaticAttempts — Valid Range: Minimum value of 1. Maximum value of 25. RetryAttemptSeconds — Valid Range: Minimum value of 1. Maximum value of 2678000.",
  source: "https://docs.aws.amazon.com/config/latest/APIReference/API_RemediationConfiguration.html",
};

/** Tag keys users may set on EC2 resources. */
export const EC2_TAG_KEY_LIMITS: DocumentedFact<{
  readonly maxLength: number;
  readonly reservedPrefix: string;
}> = {
  value: { maxLength: 128, reservedPrefix: "aws:" },
  statement:
    "Maximum key length – 128 Unicode characters in UTF-8. Don't use the aws: prefix in your tag names or values because it's reserved for AWS use (paraphrased).",
  source: "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/Using_Tags.html#tag-restrictions",
};

/**
 * An alarm's SNS action runs when the alarm changes state, not again while it stays there: an alarm on a
 * count notifies once when a scale-out starts it, however many instances follow, and once when it clears.
 */
export const ALARM_ACTIONS_ON_TRANSITION_ONLY: DocumentedFact<boolean> = {
  value: true,
  statement:
    "Except for Auto Scaling actions, the actions happen only on state transitions, and are not performed again if the condition persists for hours or days.",
  source: "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarm-actions.html",
};

/**
 * What GetComplianceDetailsByResource answers for an instance the rule has not evaluated yet (every newly
 * started instance, for the minutes before Config records and evaluates it) is not documented: the reference
 * says it returns the results of "which Config rules were used to evaluate the resource", and that
 * INSUFFICIENT_DATA "is returned when an AWS Config rule cannot be evaluated". The function therefore reads
 * both an answer without the rule's result and any answer but NON_COMPLIANT or COMPLIANT as "no verdict
 * yet", and acts on NON_COMPLIANT only: a wrong reading delays a stop until the evaluation's own compliance
 * change arrives, and never causes one.
 */
export const COMPLIANCE_DETAILS_WITHOUT_A_VERDICT: DocumentedFact<readonly string[]> = {
  value: ["(no result of the rule)", "NOT_APPLICABLE", "INSUFFICIENT_DATA"],
  statement:
    "Returns the evaluation results for the specified AWS resource. The results indicate which AWS Config rules were used to evaluate the resource, when each rule was last invoked, and whether the resource complies with each rule. INSUFFICIENT_DATA is a valid ComplianceType that is returned when an AWS Config rule cannot be evaluated.",
  source: "https://docs.aws.amazon.com/config/latest/APIReference/API_GetComplianceDetailsByResource.html",
};

/**
 * A Config rule's scope is one of three documented forms: resource types, a tag key and value, or one
 * resource type and one resource id. The reference lists them as alternatives and is silent on a tag
 * combined with resource types, so a pipeline scoped by tag sets the tag alone (the documented form); the
 * managed rule itself evaluates only AWS::EC2::Instance (its page's "Resource Types"), and the function
 * refuses any other type and any instance without the tag.
 */
export const CONFIG_RULE_SCOPE_FORMS: DocumentedFact<{
  readonly tagKeyMaxLength: number;
  readonly tagValueMaxLength: number;
}> = {
  value: { tagKeyMaxLength: 128, tagValueMaxLength: 256 },
  statement:
    "The scope can include one or more resource types, a combination of a tag key and value, or a combination of one resource type and one resource ID. TagKey — Length Constraints: Minimum length of 1. Maximum length of 128. TagValue — Maximum length of 256; if you specify a value for TagValue, you must also specify a value for TagKey.",
  source: "https://docs.aws.amazon.com/config/latest/APIReference/API_Scope.html",
};

/**
 * SSM Automation's execution status-change event names the execution, the runbook, its status, times and
 * ExecutedBy; it carries neither the execution's parameters nor its AutomationAssumeRole. Every pipeline
 * runs the same AWS-owned runbook (Config's remediation starts it), so no event pattern can tell one
 * pipeline's failed stop from another's: only GetAutomationExecution, whose `Parameters` hold the
 * parameters the run was started with, including AutomationAssumeRole, can.
 */
export const AUTOMATION_STATUS_EVENT_FIELDS: DocumentedFact<readonly string[]> = {
  value: [
    "ExecutionId",
    "Definition",
    "DefinitionVersion",
    "Status",
    "StartTime",
    "EndTime",
    "Time",
    "ExecutedBy",
  ],
  statement:
    "Automation Execution Status-change Notification example: detail { ExecutionId, Definition, DefinitionVersion, Status, StartTime, EndTime, Time, ExecutedBy } (paraphrased: the complete example lists these fields and no parameters).",
  source:
    "https://docs.aws.amazon.com/systems-manager/latest/userguide/monitoring-systems-manager-event-examples.html",
};

/** What GetAutomationExecution returns of a run's parameters. */
export const AUTOMATION_EXECUTION_PARAMETERS: DocumentedFact<{
  readonly roleParameter: "AutomationAssumeRole";
}> = {
  value: { roleParameter: "AutomationAssumeRole" },
  statement:
    "AutomationExecution.Parameters — The key-value map of execution parameters, which were supplied when calling StartAutomationExecution.",
  source: "https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_AutomationExecution.html",
};

/**
 * StartConfigRulesEvaluation refuses a call while an evaluation of the rule runs, and more than one call a
 * minute: a scheduled call that meets either must be retried over more than a minute.
 */
export const CONFIG_RULES_EVALUATION_LIMIT: DocumentedFact<{ readonly minimumSecondsBetweenCalls: number }> =
  {
    value: { minimumSecondsBetweenCalls: 60 },
    statement:
      "LimitExceededException: For StartConfigRulesEvaluation API, this exception is thrown if an evaluation is in progress or if you call the StartConfigRulesEvaluation API more than once per minute.",
    source: "https://docs.aws.amazon.com/config/latest/APIReference/API_LimitExceededException.html",
  };

/**
 * EventBridge Scheduler's retry policy: retries with exponential backoff until either bound is reached.
 * The documentation neither gives the backoff's base nor says which target errors are retried.
 */
export const SCHEDULER_RETRY_POLICY_LIMITS: DocumentedFact<{
  readonly maximumRetryAttempts: { readonly min: number; readonly max: number };
  readonly maximumEventAgeInSeconds: { readonly min: number; readonly max: number };
}> = {
  value: {
    maximumRetryAttempts: { min: 0, max: 185 },
    maximumEventAgeInSeconds: { min: 60, max: 86_400 },
  },
  statement:
    "MaximumRetryAttempts — The maximum number of retry attempts to make before the request fails. Retry attempts with exponential backoff continue until either the maximum number of attempts is made or until the duration of the MaximumEventAgeInSeconds is reached. Valid Range: 0-185. MaximumEventAgeInSeconds — Valid Range: 60-86400.",
  source: "https://docs.aws.amazon.com/scheduler/latest/APIReference/API_RetryPolicy.html",
};

/**
 * Scheduler delivers a call it could not make to the schedule's dead-letter queue (a standard queue, not
 * FIFO) after its retries, as the schedule's execution role: the role, not a queue policy, grants it.
 */
export const SCHEDULER_DEAD_LETTERS_AS_EXECUTION_ROLE: DocumentedFact<boolean> = {
  value: true,
  statement:
    "If you configure a retry policy for your schedule, EventBridge Scheduler delivers the dead-letter event after exhausting the maximum number of retries you set; the execution role needs sqs:SendMessage on the queue; EventBridge Scheduler does not support using a FIFO queue as your schedule's DLQ (paraphrased).",
  source: "https://docs.aws.amazon.com/scheduler/latest/UserGuide/configuring-schedule-dlq.html",
};

/**
 * Config keeps a resource's compliance history (the timeline of its rule results, and what
 * GetResourceConfigHistory returns for it) only while the recorder records `AWS::Config::ResourceCompliance`;
 * rules evaluate and current compliance shows without it. Each change of a resource's compliance is then
 * recorded as a configuration item of that type, which Config bills as it bills every configuration item.
 */
export const COMPLIANCE_HISTORY_RESOURCE_TYPE: DocumentedFact<"AWS::Config::ResourceCompliance"> = {
  value: "AWS::Config::ResourceCompliance",
  statement:
    "AWS Config supports storing compliance state changes of resources as evaluated by AWS Config Rules. The timeline captures changes as ConfigurationItems over a period of time for a specific resource. You can also select only the specific resource compliance history resource type: AWS::Config::ResourceCompliance.",
  source: "https://docs.aws.amazon.com/config/latest/developerguide/view-compliance-history.html",
};

/**
 * Config's documented recording frequency for compliance history: continuous only. A recorder that records
 * EC2 instances daily still records compliance changes as they happen.
 */
export const COMPLIANCE_HISTORY_RECORDED_CONTINUOUSLY: DocumentedFact<"CONTINUOUS"> = {
  value: "CONTINUOUS",
  statement:
    "Daily recording cannot be specified for the following resource types: AWS::Config::ResourceCompliance, AWS::Config::ConformancePackCompliance, AWS::Config::ConfigurationRecorder.",
  source: "https://docs.aws.amazon.com/config/latest/APIReference/API_RecordingMode.html",
};
