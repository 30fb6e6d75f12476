import { CloudwatchEventRule } from "@cdktf/provider-aws/lib/cloudwatch-event-rule";
import {
  CloudwatchMetricAlarm,
  type CloudwatchMetricAlarmConfig,
  type CloudwatchMetricAlarmMetricQuery,
} from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import type { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { Construct } from "constructs";
import { type AlarmName, alarmMeaning, alarmNameFor } from "./alarm-names";
import { DEAD_LETTER_ALARM_MISSING_DATA } from "./aws-facts";
import {
  type Guard,
  METRIC,
  METRIC_NAMESPACE,
  METRIC_SERVICE_DIMENSION,
  type MetricDimensionName,
} from "./contract";
import { addDeadLetteredTarget, type DeadLetterQueue } from "./failure-handling";
import { DEFAULT_NAME_PREFIX, resourceNames } from "./names";
import { type AwsRegion, partitionOf } from "./regions";
import { STOP_INSTANCE_DOCUMENT } from "./remediation";

export {
  ALARM_MEANINGS,
  ALARM_NAMES,
  type AlarmName,
  alarmMeaning,
  alarmNameFor,
} from "./alarm-names";
/**
 * The handler's count of remediations it could not start (Powertools metrics, which add the `service`
 * dimension from POWERTOOLS_SERVICE_NAME). The handler and this alarm must agree on all three.
 */
export const REMEDIATION_FAILURE_METRIC = {
  namespace: METRIC_NAMESPACE,
  metricName: METRIC.remediationsFailed,
  dimensions: METRIC_SERVICE_DIMENSION,
} as const;

/**
 * The handler's count of NON_COMPLIANT instances left running because they belong to an Auto Scaling
 * group: `GuardSkips` with its `Guard` dimension, beside `service`.
 */
export const AUTO_SCALING_GUARD_METRIC = {
  namespace: METRIC_NAMESPACE,
  metricName: METRIC.guardSkips,
  dimension: { Guard: "auto-scaling-group" } satisfies Partial<Record<MetricDimensionName, Guard>>,
} as const;

/** The handler's count of instances a dry run would have stopped; like the failures, with `service` alone. */
export const DRY_RUN_METRIC = {
  namespace: METRIC_NAMESPACE,
  metricName: METRIC.dryRuns,
  dimensions: METRIC_SERVICE_DIMENSION,
} as const;

/** The handler's count of notifications it could not publish; like the failures, with `service` alone. */
export const NOTIFICATION_FAILURE_METRIC = {
  namespace: METRIC_NAMESPACE,
  metricName: METRIC.notificationsFailed,
  dimensions: METRIC_SERVICE_DIMENSION,
} as const;

/** Five minutes, one period: a single failure pages; there is no background noise to average out. */
const PERIOD_SECONDS = 300;

/**
 * How every alarm here evaluates: a sum of at least one in a single five-minute period fires it, and a
 * period without one (no data is not breaching) clears it. The storm's tally replays this to count what
 * the Auto Scaling alarm sends.
 */
export const ALARM_EVALUATION = {
  periodSeconds: PERIOD_SECONDS,
  evaluationPeriods: 1,
  threshold: 1,
} as const;

export interface PipelineAlarmsProps {
  /**
   * Where every alarm notifies when it fires and when it clears.
   * @default - no actions (audit mode has no topic: the alarms' state shows in the CloudWatch console)
   */
  readonly topic?: SnsTopic;
  /**
   * The remediation function: errors, throttles and the handler's failure metric are watched.
   * @default - no function alarms
   */
  readonly functionName?: string;
  /** Queues whose every message means something was lost. */
  readonly deadLetterQueues: readonly { readonly alarm: AlarmName; readonly queue: DeadLetterQueue }[];
  /**
   * Prefix of the alarm names, and the service dimension of the function's metrics ({@link resourceNames}).
   * @default "ami-guard"
   */
  readonly namePrefix?: string;
  /**
   * The function's reserved concurrency, which the throttles alarm's description names as the cause.
   * @default - none: the function shares the account's unreserved concurrency
   */
  readonly reservedConcurrentExecutions?: number;
  /**
   * The function runs in dry run: an alarm on its count of instances it would have stopped notifies once per
   * state change, in place of a message per instance.
   * @default false
   */
  readonly dryRun?: boolean;
}

/** CloudWatch alarms, each notifying the topic (when there is one) when it fires and when it clears. */
export class PipelineAlarms extends Construct {
  readonly alarms: CloudwatchMetricAlarm[] = [];

  constructor(scope: Construct, id: string, props: PipelineAlarmsProps) {
    super(scope, id);
    const notify = props.topic ? { alarmActions: [props.topic.arn], okActions: [props.topic.arn] } : {};
    const namePrefix = props.namePrefix ?? DEFAULT_NAME_PREFIX;
    const serviceName = namePrefix;
    const alarm = (
      name: AlarmName,
      config: Pick<
        CloudwatchMetricAlarmConfig,
        "namespace" | "metricName" | "statistic" | "dimensions" | "metricQuery" | "treatMissingData"
      >,
    ) => {
      this.alarms.push(
        new CloudwatchMetricAlarm(this, name, {
          alarmName: alarmNameFor(namePrefix, name),
          alarmDescription: alarmMeaning(name, props.reservedConcurrentExecutions),
          // A metric-math alarm carries its period on each metric instead.
          ...(config.metricQuery ? {} : { period: ALARM_EVALUATION.periodSeconds }),
          evaluationPeriods: ALARM_EVALUATION.evaluationPeriods,
          threshold: ALARM_EVALUATION.threshold,
          comparisonOperator: "GreaterThanOrEqualToThreshold",
          // For the function's metrics no data means no invocations: nothing happened.
          treatMissingData: "notBreaching",
          ...notify,
          ...config,
        }),
      );
    };

    if (props.functionName) {
      const dimensions = { FunctionName: props.functionName };
      alarm("function-errors", { metricQuery: unexpectedFunctionErrors(props.functionName, serviceName) });
      alarm("function-throttles", {
        namespace: "AWS/Lambda",
        metricName: "Throttles",
        statistic: "Sum",
        dimensions,
      });
      alarm("remediation-failures", {
        namespace: REMEDIATION_FAILURE_METRIC.namespace,
        metricName: REMEDIATION_FAILURE_METRIC.metricName,
        statistic: "Sum",
        dimensions: { service: serviceName },
      });
      // The function sends no message per instance it leaves running in a group: a scale-out of hundreds
      // would send hundreds. This alarm notifies once per state change instead (ALARM_ACTIONS_ON_TRANSITION_ONLY).
      alarm("auto-scaling-guard", {
        namespace: AUTO_SCALING_GUARD_METRIC.namespace,
        metricName: AUTO_SCALING_GUARD_METRIC.metricName,
        statistic: "Sum",
        dimensions: { service: serviceName, ...AUTO_SCALING_GUARD_METRIC.dimension },
      });
      // Likewise in dry run: a scale-out would send a message per instance it would have stopped.
      if (props.dryRun) {
        alarm("dry-run", {
          namespace: DRY_RUN_METRIC.namespace,
          metricName: DRY_RUN_METRIC.metricName,
          statistic: "Sum",
          dimensions: { service: serviceName },
        });
      }
    }
    for (const { alarm: name, queue } of props.deadLetterQueues) {
      alarm(name, {
        namespace: "AWS/SQS",
        metricName: "ApproximateNumberOfMessagesVisible",
        // Maximum: a message is in the queue at all, however briefly it was sampled.
        statistic: "Maximum",
        dimensions: { QueueName: queue.queue.name },
        // SQS stops publishing for an inactive queue, messages or not: the silence must not clear the alarm.
        treatMissingData: DEAD_LETTER_ALARM_MISSING_DATA.value,
      });
    }
    if (props.functionName) {
      // Notifying is what failed, and this alarm notifies through the same topic: its description says so,
      // and the dashboard shows its state and the count beside it.
      alarm("notifications-failed", {
        namespace: NOTIFICATION_FAILURE_METRIC.namespace,
        metricName: NOTIFICATION_FAILURE_METRIC.metricName,
        statistic: "Sum",
        dimensions: { service: serviceName },
      });
    }
  }
}

/**
 * Lambda's `Errors` less the handler's deliberate deferrals. A pending instance cannot be stopped yet, so the
 * handler counts a deferral and throws to have Lambda retry later; each deferral is therefore one error
 * that pages no one. What remains is a real failure: an exception, a timeout, a crash. Both counts are read
 * for the same period; a deferral whose error and count fall either side of a period boundary can still
 * show once, which errs towards paging.
 */
export function unexpectedFunctionErrors(
  functionName: string,
  serviceName: string = METRIC_SERVICE_DIMENSION.service,
): CloudwatchMetricAlarmMetricQuery[] {
  return [
    {
      id: "errors",
      metric: {
        namespace: "AWS/Lambda",
        metricName: "Errors",
        stat: "Sum",
        period: PERIOD_SECONDS,
        dimensions: { FunctionName: functionName },
      },
      returnData: false,
    },
    {
      id: "deferrals",
      metric: {
        namespace: METRIC_NAMESPACE,
        metricName: METRIC.remediationsDeferred,
        stat: "Sum",
        period: PERIOD_SECONDS,
        dimensions: { service: serviceName },
      },
      returnData: false,
    },
    {
      id: "unexpected",
      expression: "FILL(errors, 0) - FILL(deferrals, 0)",
      label: "Function errors other than deferrals",
      returnData: true,
    },
  ];
}

/** SSM Automation's terminal states other than Success. */
export const FAILED_AUTOMATION_STATUSES = ["Failed", "TimedOut", "Cancelled"] as const;
export const FAILED_REMEDIATION_RULE_NAME = `${DEFAULT_NAME_PREFIX}-failed-remediation`;

/**
 * The event SSM Automation emits when an execution of the stop runbook ends unsuccessfully. It matches
 * every AWS-StopEC2Instance execution in the account and region, including ones an operator started by
 * hand; those failures are worth a notification too.
 */
export function failedRemediationEventPattern() {
  return {
    source: ["aws.ssm"],
    "detail-type": ["EC2 Automation Execution Status-change Notification"],
    detail: { Definition: [STOP_INSTANCE_DOCUMENT], Status: [...FAILED_AUTOMATION_STATUSES] },
  };
}

export function eventRuleArn(region: AwsRegion, accountId: string, ruleName: string): string {
  return `arn:${partitionOf(region)}:events:${region}:${accountId}:rule/${ruleName}`;
}

export interface FailedRemediationNotificationsProps {
  readonly accountId: string;
  readonly region: AwsRegion;
  readonly topic: SnsTopic;
  /**
   * Prefix of the rule's and the queue's names ({@link resourceNames}).
   * @default "ami-guard"
   */
  readonly namePrefix?: string;
  /**
   * Where failed runs go instead of the topic: the ARN of a function that tells this pipeline's runs from
   * another's (SSM's event cannot, see AUTOMATION_STATUS_EVENT_FIELDS) and notifies the topic itself.
   * @default - the topic: every failed run of the runbook in the account and region is this pipeline's
   */
  readonly deliverToArn?: string;
}

/**
 * Every mode that remediates: starting a remediation only starts an SSM run, which can still fail (stop
 * protection, a service control policy, the automation role). This rule tells people when a run of the
 * stop runbook finally failed, whoever started it: Config, the function or an operator.
 */
export class FailedRemediationNotifications extends Construct {
  readonly eventRule: CloudwatchEventRule;
  readonly deliveryFailures: DeadLetterQueue;

  constructor(scope: Construct, id: string, props: FailedRemediationNotificationsProps) {
    super(scope, id);
    const names = resourceNames(props.namePrefix ?? DEFAULT_NAME_PREFIX, props.region);
    this.eventRule = new CloudwatchEventRule(this, "rule", {
      name: names.failedRemediationRuleName,
      description: `Executions of ${STOP_INSTANCE_DOCUMENT} that ended ${FAILED_AUTOMATION_STATUSES.join(", ")}.`,
      eventPattern: JSON.stringify(failedRemediationEventPattern()),
    });
    this.deliveryFailures = addDeadLetteredTarget(this, {
      rule: this.eventRule,
      queueName: names.notificationDeliveryFailuresQueueName,
      target: { targetId: "notify", arn: props.deliverToArn ?? props.topic.arn },
    });
  }
}
