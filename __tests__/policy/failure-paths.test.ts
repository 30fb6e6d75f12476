import { parseConfig } from "../../app/config/load";
import {
  ALARM_MEANINGS,
  type AlarmName,
  alarmMeaning,
  FAILED_REMEDIATION_RULE_NAME,
  failedRemediationEventPattern,
  REMEDIATION_FAILURE_METRIC,
} from "../../lib/alarms";
import {
  CONFIG_RULES_EVALUATION_LIMIT,
  DEAD_LETTER_ALARM_MISSING_DATA,
  SCHEDULER_RETRY_POLICY_LIMITS,
} from "../../lib/aws-facts";
import { METRIC, METRIC_NAMESPACE, METRIC_SERVICE_DIMENSION } from "../../lib/contract";
import { REMEDIATION_RULE_NAME } from "../../lib/event-driven-remediation";
import { DEAD_LETTER_RETENTION_SECONDS } from "../../lib/failure-handling";
import type { DocumentStatement } from "../../tools/permissions/terraform-policies";
import {
  type Block,
  configFor,
  handlerBundleForTests,
  resourcesOf,
  type SynthesizedStack,
  synthesize,
} from "./stacks";

let eventDriven: SynthesizedStack;
let automatic: SynthesizedStack;
let manual: SynthesizedStack;
let audit: SynthesizedStack;
let bundle: Awaited<ReturnType<typeof handlerBundleForTests>>;
beforeAll(async () => {
  bundle = await handlerBundleForTests();
  audit = synthesize(configFor("audit", "existing"), bundle);
  eventDriven = synthesize(configFor("event-driven", "existing"), bundle);
  automatic = synthesize(configFor("automatic", "existing"), bundle);
  manual = synthesize(configFor("manual", "create"), bundle);
});

const only = (stack: SynthesizedStack, type: string): [string, Block] => {
  const all = resourcesOf(stack, type);
  if (all.length !== 1) throw new Error(`expected one ${type}, found ${all.length}`);
  return all[0] as [string, Block];
};
const named = (stack: SynthesizedStack, type: string, name: string): [string, Block] => {
  const found = resourcesOf(stack, type).find(([, block]) => block.name === name);
  if (!found) throw new Error(`no ${type} named ${name}`);
  return found;
};
const statementsOf = (stack: SynthesizedStack, reference: unknown): DocumentStatement[] => {
  const documentName = /data\.aws_iam_policy_document\.([\w-]+)\.json/.exec(String(reference))?.[1] as string;
  return (stack.data.aws_iam_policy_document?.[documentName]?.statement as DocumentStatement[]) ?? [];
};
const alarmNames = (stack: SynthesizedStack) =>
  resourcesOf(stack, "aws_cloudwatch_metric_alarm")
    .map(([, alarm]) => alarm.alarm_name)
    .sort();

describe("event-driven failure paths", () => {
  it("retries a failed event twice within an hour, then sends it to the encrypted failure queue for 14 days", () => {
    const [queueName, queue] = named(eventDriven, "aws_sqs_queue", "ami-guard-function-failures");
    expect(queue).toMatchObject({ message_retention_seconds: 1_209_600, sqs_managed_sse_enabled: true });
    expect(DEAD_LETTER_RETENTION_SECONDS).toBe(14 * 24 * 3600);
    const [, invokeConfig] = only(eventDriven, "aws_lambda_function_event_invoke_config");
    expect(invokeConfig).toMatchObject({
      maximum_retry_attempts: 2,
      maximum_event_age_in_seconds: 3600,
      destination_config: { on_failure: { destination: `\${aws_sqs_queue.${queueName}.arn}` } },
    });
    // Lambda checks the role's permission when the destination is set, so the role policy comes first.
    expect(invokeConfig.depends_on).toEqual([
      expect.stringMatching(/^aws_iam_role_policy\.event-driven_function-role/),
    ]);
  });

  it("lets the function's role send to its failure queue and nowhere else", () => {
    const [queueName] = named(eventDriven, "aws_sqs_queue", "ami-guard-function-failures");
    const [, rolePolicy] = resourcesOf(eventDriven, "aws_iam_role_policy").find(([name]) =>
      name.startsWith("event-driven_function-role"),
    ) as [string, Block];
    const sends = statementsOf(eventDriven, rolePolicy.policy).filter((s) =>
      s.actions?.includes("sqs:SendMessage"),
    );
    expect(sends).toEqual([expect.objectContaining({ resources: [`\${aws_sqs_queue.${queueName}.arn}`] })]);
  });

  it("bounds EventBridge's delivery retries and dead-letters to a queue only that rule may send to", () => {
    const [ruleName] = named(eventDriven, "aws_cloudwatch_event_rule", REMEDIATION_RULE_NAME);
    const [, target] = resourcesOf(eventDriven, "aws_cloudwatch_event_target").find(
      ([, block]) => block.rule === `\${aws_cloudwatch_event_rule.${ruleName}.name}`,
    ) as [string, Block];
    const [queueName] = named(eventDriven, "aws_sqs_queue", "ami-guard-event-delivery-failures");
    expect(target).toMatchObject({
      retry_policy: { maximum_event_age_in_seconds: 3600, maximum_retry_attempts: 20 },
      dead_letter_config: { arn: `\${aws_sqs_queue.${queueName}.arn}` },
    });
    const [, queuePolicy] = resourcesOf(eventDriven, "aws_sqs_queue_policy").find(
      ([, block]) => block.queue_url === `\${aws_sqs_queue.${queueName}.url}`,
    ) as [string, Block];
    expect(statementsOf(eventDriven, queuePolicy.policy)).toEqual([
      expect.objectContaining({
        effect: "Allow",
        actions: ["sqs:SendMessage"],
        principals: [{ type: "Service", identifiers: ["events.amazonaws.com"] }],
        resources: [`\${aws_sqs_queue.${queueName}.arn}`],
        condition: [
          {
            test: "ArnEquals",
            variable: "aws:SourceArn",
            values: [`\${aws_cloudwatch_event_rule.${ruleName}.arn}`],
          },
        ],
      }),
    ]);
  });

  it("alarms on errors, throttles, every queue and the handler's failure metric, notifying the topic", () => {
    expect(alarmNames(eventDriven)).toEqual([
      "ami-guard-auto-scaling-guard",
      "ami-guard-event-delivery-failures-queue",
      "ami-guard-function-errors",
      "ami-guard-function-failures-queue",
      "ami-guard-function-throttles",
      "ami-guard-notification-delivery-failures-queue",
      "ami-guard-notifications-failed",
      "ami-guard-reevaluation-after-change-failures-queue",
      "ami-guard-reevaluation-failures-queue",
      "ami-guard-remediation-failures",
      "ami-guard-running-delivery-failures-queue",
    ]);
    const [topicName] = only(eventDriven, "aws_sns_topic");
    for (const [, alarm] of resourcesOf(eventDriven, "aws_cloudwatch_metric_alarm")) {
      expect(alarm).toMatchObject({
        alarm_actions: [`\${aws_sns_topic.${topicName}.arn}`],
        ok_actions: [`\${aws_sns_topic.${topicName}.arn}`],
        alarm_description: ALARM_MEANINGS[String(alarm.alarm_name).replace("ami-guard-", "") as AlarmName],
        threshold: 1,
      });
    }
  });

  it("blames throttles on the account's shared pool without a reservation, and on the reservation with one", () => {
    // Given the same pipeline without and with a reservation of 7
    const throttlesOf = (stack: SynthesizedStack) =>
      String(
        resourcesOf(stack, "aws_cloudwatch_metric_alarm").find(
          ([, alarm]) => alarm.alarm_name === "ami-guard-function-throttles",
        )?.[1].alarm_description,
      );
    const reserved = synthesize(
      parseConfig({
        approvedAmiIds: ["ami-0abcdef1234567890"],
        remediation: { mode: "event-driven", reservedConcurrentExecutions: 7 },
        targets: [{ accountId: "111122223333", region: "eu-central-1", recorder: "existing" }],
      }),
      bundle,
    );
    // Then only the reserved one names a reservation, and each says what to look at
    expect(throttlesOf(eventDriven)).not.toMatch(/\breserved concurrency/i);
    expect(throttlesOf(eventDriven)).toContain("reserves none");
    expect(throttlesOf(eventDriven)).toBe(alarmMeaning("function-throttles"));
    expect(throttlesOf(reserved)).toContain("reserved concurrency of 7");
    expect(throttlesOf(reserved)).toContain("remediation.reservedConcurrentExecutions");
    expect(throttlesOf(reserved)).toBe(alarmMeaning("function-throttles", 7));
  });

  it("alarms on the dry run's count only in dry run, in place of a message per instance", () => {
    // Given the same pipeline in dry run
    const dryRun = synthesize(
      parseConfig({
        approvedAmiIds: ["ami-0abcdef1234567890"],
        remediation: { mode: "event-driven" },
        targets: [{ accountId: "111122223333", region: "eu-central-1", recorder: "existing", dryRun: true }],
      }),
      bundle,
    );
    // Then it alone has the alarm, on the count the function emits, notifying the topic each way
    expect(alarmNames(eventDriven)).not.toContain("ami-guard-dry-run");
    const alarm = resourcesOf(dryRun, "aws_cloudwatch_metric_alarm").find(
      ([, block]) => block.alarm_name === "ami-guard-dry-run",
    )?.[1];
    const [topicName] = only(dryRun, "aws_sns_topic");
    expect(alarm).toMatchObject({
      namespace: METRIC_NAMESPACE,
      metric_name: METRIC.dryRuns,
      statistic: "Sum",
      dimensions: METRIC_SERVICE_DIMENSION,
      alarm_description: ALARM_MEANINGS["dry-run"],
      alarm_actions: [`\${aws_sns_topic.${topicName}.arn}`],
      ok_actions: [`\${aws_sns_topic.${topicName}.arn}`],
    });
  });

  it("keeps a dead-letter alarm raised while SQS publishes nothing for the queue, and quiet for an idle empty one", () => {
    const alarms = resourcesOf(eventDriven, "aws_cloudwatch_metric_alarm").map(([, alarm]) => alarm);
    const queueAlarms = alarms.filter((alarm) => alarm.namespace === "AWS/SQS");
    expect(queueAlarms).toHaveLength(6);
    for (const alarm of queueAlarms)
      expect(alarm.treat_missing_data).toBe(DEAD_LETTER_ALARM_MISSING_DATA.value);
    // The function's own metrics exist only while it runs: no data there means nothing happened.
    for (const alarm of alarms.filter((alarm) => alarm.namespace !== "AWS/SQS"))
      expect(alarm.treat_missing_data).toBe("notBreaching");
  });

  it("pages on function errors other than the handler's deliberate deferrals", () => {
    const errors = resourcesOf(eventDriven, "aws_cloudwatch_metric_alarm")
      .map(([, alarm]) => alarm)
      .find((alarm) => alarm.alarm_name === "ami-guard-function-errors") as {
      metric_query: {
        id: string;
        expression?: string;
        return_data?: boolean;
        metric?: Record<string, unknown>;
      }[];
    };
    const byId = Object.fromEntries(errors.metric_query.map((query) => [query.id, query]));
    expect(byId.errors?.metric).toMatchObject({
      namespace: "AWS/Lambda",
      metric_name: "Errors",
      stat: "Sum",
      dimensions: { FunctionName: expect.stringMatching(/function_name/) },
    });
    // The deferral count is the one the handler emits, in its namespace and with its service dimension.
    expect(byId.deferrals?.metric).toMatchObject({
      namespace: METRIC_NAMESPACE,
      metric_name: METRIC.remediationsDeferred,
      stat: "Sum",
      dimensions: METRIC_SERVICE_DIMENSION,
    });
    expect(byId.unexpected).toMatchObject({
      expression: "FILL(errors, 0) - FILL(deferrals, 0)",
      return_data: true,
    });
    expect(errors.metric_query.filter((query) => query.return_data)).toHaveLength(1);
  });

  it("watches the metric the handler actually emits", () => {
    expect(REMEDIATION_FAILURE_METRIC.metricName).toBe(METRIC.remediationsFailed);
    const [, fn] = only(eventDriven, "aws_lambda_function");
    const variables = (fn.environment as { variables: Record<string, string> }).variables;
    expect(variables.POWERTOOLS_METRICS_NAMESPACE).toBe(REMEDIATION_FAILURE_METRIC.namespace);
    expect(variables.POWERTOOLS_SERVICE_NAME).toBe(REMEDIATION_FAILURE_METRIC.dimensions.service);
  });
});

describe("failed-stop notifications (automatic mode shown; manual and event-driven deploy the same)", () => {
  it("turns failed, timed-out or cancelled AWS-StopEC2Instance executions into notifications", () => {
    const [ruleName, rule] = only(automatic, "aws_cloudwatch_event_rule");
    expect(rule.name).toBe(FAILED_REMEDIATION_RULE_NAME);
    expect(JSON.parse(String(rule.event_pattern))).toEqual({
      source: ["aws.ssm"],
      "detail-type": ["EC2 Automation Execution Status-change Notification"],
      detail: { Definition: ["AWS-StopEC2Instance"], Status: ["Failed", "TimedOut", "Cancelled"] },
    });
    expect(failedRemediationEventPattern().detail.Status).not.toContain("Success");
    const [topicName] = only(automatic, "aws_sns_topic");
    const [, target] = only(automatic, "aws_cloudwatch_event_target");
    expect(target).toMatchObject({
      arn: `\${aws_sns_topic.${topicName}.arn}`,
      rule: `\${aws_cloudwatch_event_rule.${ruleName}.name}`,
      retry_policy: { maximum_event_age_in_seconds: 3600, maximum_retry_attempts: 20 },
    });
  });

  it("lets only that rule and this account's ami-guard alarms publish to the topic", () => {
    const [, topicPolicy] = only(automatic, "aws_sns_topic_policy");
    const allows = statementsOf(automatic, topicPolicy.policy).filter((s) => s.effect === "Allow");
    expect(allows.map((s) => [s.principals?.[0]?.identifiers, s.condition?.map((c) => c.values)])).toEqual([
      [
        ["cloudwatch.amazonaws.com"],
        [["111122223333"], ["arn:aws:cloudwatch:eu-central-1:111122223333:alarm:ami-guard-*"]],
      ],
      [
        ["events.amazonaws.com"],
        [["arn:aws:events:eu-central-1:111122223333:rule/ami-guard-failed-remediation"]],
      ],
    ]);
    expect(alarmNames(automatic)).toEqual([
      "ami-guard-notification-delivery-failures-queue",
      "ami-guard-reevaluation-after-change-failures-queue",
      "ami-guard-reevaluation-failures-queue",
    ]);
  });

  it("encrypts the topic with a rotating customer-managed key that grants EventBridge and CloudWatch", () => {
    const [keyName, key] = only(automatic, "aws_kms_key");
    expect(key).toMatchObject({ enable_key_rotation: true });
    expect(only(automatic, "aws_sns_topic")[1].kms_master_key_id).toBe(`\${aws_kms_key.${keyName}.arn}`);
    const services = statementsOf(automatic, key.policy).flatMap((s) =>
      (s.principals ?? []).filter((p) => p.type === "Service").flatMap((p) => p.identifiers),
    );
    expect(services.sort()).toEqual(["cloudwatch.amazonaws.com", "events.amazonaws.com"]);
  });
});

describe("manual mode", () => {
  it("notifies a stop that failed in SSM, which an operator pressing Remediate would otherwise never see", () => {
    const [, rule] = only(manual, "aws_cloudwatch_event_rule");
    expect(rule.name).toBe(FAILED_REMEDIATION_RULE_NAME);
    for (const type of ["aws_sns_topic", "aws_kms_key"]) {
      expect({ type, count: resourcesOf(manual, type).length }).toEqual({ type, count: 1 });
    }
    // The notification dead-letter queue, and one for each re-evaluation schedule
    expect(resourcesOf(manual, "aws_sqs_queue")).toHaveLength(3);
    expect(alarmNames(manual)).toEqual([
      "ami-guard-notification-delivery-failures-queue",
      "ami-guard-reevaluation-after-change-failures-queue",
      "ami-guard-reevaluation-failures-queue",
    ]);
  });
});

describe("the re-evaluation schedules' failures, in every mode", () => {
  const schedules = (stack: SynthesizedStack) =>
    resourcesOf(stack, "aws_scheduler_schedule").map(([, schedule]) => schedule.target as Block);

  it.each([
    ["audit", () => audit],
    ["manual", () => manual],
    ["automatic", () => automatic],
    ["event-driven", () => eventDriven],
  ])(
    "%s: each schedule dead-letters into its own encrypted queue, retried for over a minute first",
    (_, stack) => {
      const targets = schedules(stack());
      expect(targets).toHaveLength(2);
      const queues = targets.map((target) => String((target.dead_letter_config as Block).arn));
      expect(new Set(queues).size).toBe(2);
      for (const queue of queues) {
        const [name] = /aws_sqs_queue\.([\w-]+)\.arn/.exec(queue)?.slice(1) ?? [];
        const block = resourcesOf(stack(), "aws_sqs_queue").find(([queueName]) => queueName === name)?.[1];
        expect(block).toMatchObject({
          sqs_managed_sse_enabled: true,
          message_retention_seconds: DEAD_LETTER_RETENTION_SECONDS,
        });
      }
      for (const target of targets) {
        const retry = target.retry_policy as {
          maximum_event_age_in_seconds: number;
          maximum_retry_attempts: number;
        };
        // StartConfigRulesEvaluation refuses more than one call a minute and any call while an evaluation runs
        expect(retry.maximum_event_age_in_seconds).toBeGreaterThan(
          CONFIG_RULES_EVALUATION_LIMIT.value.minimumSecondsBetweenCalls,
        );
        expect(retry.maximum_event_age_in_seconds).toBeLessThanOrEqual(
          SCHEDULER_RETRY_POLICY_LIMITS.value.maximumEventAgeInSeconds.max,
        );
        expect(retry.maximum_retry_attempts).toBe(
          SCHEDULER_RETRY_POLICY_LIMITS.value.maximumRetryAttempts.max,
        );
      }
    },
  );

  it("alarms on both queues in audit mode too, with no action: audit has no topic", () => {
    const alarms = resourcesOf(audit, "aws_cloudwatch_metric_alarm").map(([, alarm]) => alarm);
    expect(alarms.map((alarm) => alarm.alarm_name).sort()).toEqual([
      "ami-guard-reevaluation-after-change-failures-queue",
      "ami-guard-reevaluation-failures-queue",
    ]);
    for (const alarm of alarms) {
      expect(alarm.alarm_actions).toBeUndefined();
      expect(alarm.treat_missing_data).toBe(DEAD_LETTER_ALARM_MISSING_DATA.value);
    }
  });

  it("grants Scheduler's role the send on its two queues only, with no queue policy", () => {
    const [, policy] = resourcesOf(eventDriven, "aws_iam_role_policy").find(([name]) =>
      name.startsWith("reevaluation"),
    ) as [string, Block];
    const send = statementsOf(eventDriven, policy.policy).find((s) => s.sid === "DeadLetterFailedCalls");
    expect(send?.actions).toEqual(["sqs:SendMessage"]);
    expect(send?.resources).toHaveLength(2);
    for (const queue of send?.resources ?? []) expect(String(queue)).toMatch(/reevaluation_.*failures_queue/);
    expect(resourcesOf(eventDriven, "aws_sqs_queue_policy").map(([name]) => name)).not.toContainEqual(
      expect.stringMatching(/^reevaluation/),
    );
  });
});

describe("failed notifications", () => {
  it("alarm on the handler's NotificationsFailed and say that the alarm's own message may not arrive", () => {
    const [, alarm] = resourcesOf(eventDriven, "aws_cloudwatch_metric_alarm").find(
      ([, block]) => block.alarm_name === "ami-guard-notifications-failed",
    ) as [string, Block];
    expect(alarm).toMatchObject({
      namespace: METRIC_NAMESPACE,
      metric_name: METRIC.notificationsFailed,
      dimensions: { service: METRIC_SERVICE_DIMENSION.service },
      statistic: "Sum",
      threshold: 1,
      treat_missing_data: "notBreaching",
    });
    expect(String(alarm.alarm_description)).toContain("may not arrive");
    expect(String(alarm.alarm_description)).toContain("dashboard");
  });
});
