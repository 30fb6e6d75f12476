import type { ConfigConfigRule } from "@cdktf/provider-aws/lib/config-config-rule";
import { SchedulerSchedule, type SchedulerScheduleTarget } from "@cdktf/provider-aws/lib/scheduler-schedule";
import { anyToHclTerraform, anyToTerraform, hashMapper, hashMapperHcl, TerraformResource } from "cdktf";
import { Construct } from "constructs";
import { SCHEDULER_RETRY_POLICY_LIMITS } from "./aws-facts";
import { DeadLetterQueue } from "./failure-handling";
import { ServiceRole } from "./iam";
import type { ResourceNames } from "./names";
import { AFTER_CHANGE_DELAY_MINUTES, DEFAULT_REEVALUATION_INTERVAL_HOURS } from "./reevaluation-timing";
import { type AwsRegion, partitionOf } from "./regions";
import { terraformLiteral } from "./terraform-literal";

export { AFTER_CHANGE_DELAY_MINUTES, DEFAULT_REEVALUATION_INTERVAL_HOURS } from "./reevaluation-timing";

/**
 * Re-evaluates the approved-AMI rule on a schedule and soon after every change of its list.
 *
 * Why: Config evaluates the managed rule when an instance's configuration changes, and a change of the
 * rule's parameters does not re-evaluate anything (AWS suggests StartConfigRulesEvaluation after a rule
 * update: https://docs.aws.amazon.com/config/latest/APIReference/API_StartConfigRulesEvaluation.html).
 * Without this, an instance running an AMI the list just dropped stays COMPLIANT until it changes.
 *
 * How: EventBridge Scheduler's universal target calls config:StartConfigRulesEvaluation directly, with no
 * function of ours (https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-targets-universal.html:
 * `arn:<partition>:scheduler:::aws-sdk:<service>:<apiAction>`, the request as JSON `Input`).
 */

/** The universal target for Config's StartConfigRulesEvaluation, in the stack's partition. */
export function startConfigRulesEvaluationTarget(region: AwsRegion): string {
  return `arn:${partitionOf(region)}:scheduler:::aws-sdk:config:startConfigRulesEvaluation`;
}

/** Every schedule of ours lives in the account's default group; the role's trust names that group. */
export const SCHEDULE_GROUP_NAME = "default";

/**
 * Scheduler's retries of a failed call, sized for LimitExceededException: Config refuses a call while an
 * evaluation runs and more than one a minute (CONFIG_RULES_EVALUATION_LIMIT in aws-facts.ts), so the retries must
 * span well over a minute. Scheduler retries "with exponential backoff" until either bound is reached
 * (SCHEDULER_RETRY_POLICY_LIMITS) and documents neither the backoff's base nor which errors it
 * retries, so the attempts are the most it allows and the hour is what ends them; a call that still fails
 * goes to the schedule's dead-letter queue, whose alarm says so.
 */
export const REEVALUATION_RETRY = {
  maximumRetryAttempts: SCHEDULER_RETRY_POLICY_LIMITS.value.maximumRetryAttempts.max,
  maximumEventAgeInSeconds: 3600,
} as const;

/**
 * The one Terraform expression of ours that is not a plain reference: the time, taken at apply, five
 * minutes ahead, in the form `at()` takes (yyyy-mm-ddThh:mm:ss).
 */
export const AFTER_CHANGE_TIME_EXPRESSION = `formatdate("YYYY-MM-DD'T'hh:mm:ss", timeadd(timestamp(), "${AFTER_CHANGE_DELAY_MINUTES}m"))`;

export interface RuleReevaluationProps {
  /** The rule to re-evaluate; its `input_parameters` holds the approved list. */
  readonly rule: ConfigConfigRule;
  /** The rule's name, as configured (the schedules' input names it). */
  readonly ruleName: string;
  readonly accountId: string;
  readonly region: AwsRegion;
  /** The role's and the schedules' names (lib/names.ts). */
  readonly names: Pick<
    ResourceNames,
    | "reevaluationRoleName"
    | "reevaluationScheduleName"
    | "afterChangeScheduleName"
    | "reevaluationFailuresQueueName"
    | "afterChangeFailuresQueueName"
  >;
  /** Hours between two scheduled evaluations, 1 to 168. @default 24 */
  readonly intervalHours?: number;
}

export class RuleReevaluation extends Construct {
  readonly role: ServiceRole;
  /** Runs every `intervalHours`. */
  readonly recurring: SchedulerSchedule;
  /**
   * Runs once, a few minutes after the apply that created it; never updated in place, replaced whenever
   * the rule's list, the rule itself, the role or the schedule's own settings change.
   */
  readonly afterChange: SchedulerSchedule;
  /** Calls Scheduler could not make after its retries, one queue per schedule. */
  readonly recurringFailures: DeadLetterQueue;
  readonly afterChangeFailures: DeadLetterQueue;
  /** The after-change schedule's own settings, whose change replaces it. */
  readonly afterChangeSettings: ReplacementTrigger;

  constructor(scope: Construct, id: string, props: RuleReevaluationProps) {
    super(scope, id);
    const interval = props.intervalHours ?? DEFAULT_REEVALUATION_INTERVAL_HOURS;
    if (!Number.isInteger(interval) || interval < 1 || interval > 168) {
      throw new Error(`intervalHours must be a whole number from 1 to 168, not ${interval}`);
    }
    const partition = partitionOf(props.region);

    // Scheduler dead-letters as the schedule's execution role, so the role grants the send and the queues
    // carry no policy (SCHEDULER_DEAD_LETTERS_AS_EXECUTION_ROLE in aws-facts.ts); SSE-SQS like every other queue here.
    this.recurringFailures = new DeadLetterQueue(this, "recurring-failures", {
      queueName: props.names.reevaluationFailuresQueueName,
    });
    this.afterChangeFailures = new DeadLetterQueue(this, "after-change-failures", {
      queueName: props.names.afterChangeFailuresQueueName,
    });

    this.role = new ServiceRole(this, "role", {
      roleName: props.names.reevaluationRoleName,
      description: "Assumed by EventBridge Scheduler to re-evaluate the ami-guard Config rule.",
      service: "scheduler.amazonaws.com",
      accountId: props.accountId,
      // Scheduler sends aws:SourceAccount and, as aws:SourceArn, the schedule *group*'s ARN
      // (https://docs.aws.amazon.com/scheduler/latest/UserGuide/cross-service-confused-deputy-prevention.html).
      sourceArn: `arn:${partition}:scheduler:${props.region}:${props.accountId}:schedule-group/${SCHEDULE_GROUP_NAME}`,
      statements: [
        {
          // The ConfigRule resource type's ARN ends in the rule's id, not its name: the rule's own arn.
          sid: "StartRuleEvaluation",
          effect: "Allow",
          actions: ["config:StartConfigRulesEvaluation"],
          resources: [props.rule.arn],
        },
        {
          // The documentation's example allows it on *; the two queues are all Scheduler sends to.
          sid: "DeadLetterFailedCalls",
          effect: "Allow",
          actions: ["sqs:SendMessage"],
          resources: [this.recurringFailures.queue.arn, this.afterChangeFailures.queue.arn],
        },
      ],
    });

    const target = (queue: DeadLetterQueue): SchedulerScheduleTarget => ({
      arn: startConfigRulesEvaluationTarget(props.region),
      roleArn: this.role.role.arn,
      input: terraformLiteral(JSON.stringify({ ConfigRuleNames: [props.ruleName] })),
      retryPolicy: { ...REEVALUATION_RETRY },
      deadLetterConfig: { arn: queue.queue.arn },
    });

    this.recurring = new SchedulerSchedule(this, "recurring", {
      name: props.names.reevaluationScheduleName,
      groupName: SCHEDULE_GROUP_NAME,
      description: `Re-evaluates every instance against the approved AMI list every ${interval} hours.`,
      scheduleExpression: `rate(${interval} ${interval === 1 ? "hour" : "hours"})`,
      flexibleTimeWindow: { mode: "OFF" },
      target: target(this.recurringFailures),
      dependsOn: [this.role.policy, props.rule],
    });

    const afterChangeTarget = target(this.afterChangeFailures);
    const afterChangeDescription = `Re-evaluates every instance ${AFTER_CHANGE_DELAY_MINUTES} minutes after the approved AMI list changed.`;
    // Everything of the one-time schedule that an update would send again. UpdateSchedule replaces the
    // whole schedule, so an in-place update re-sends an at() time already past, and what Scheduler does
    // then is undocumented: a change of any of these replaces the schedule instead, with a fresh time.
    this.afterChangeSettings = new ReplacementTrigger(this, "after-change-settings", {
      triggersReplace: {
        description: afterChangeDescription,
        input: afterChangeTarget.input,
        retry_policy: JSON.stringify(REEVALUATION_RETRY),
        dead_letter_arn: this.afterChangeFailures.queue.arn,
        flexible_time_window: "OFF",
        timezone: "UTC",
      },
    });

    // A one-time schedule at a time taken when Terraform applies it (timestamp() is unknown until apply),
    // so a saved plan applied late never asks for a time already past. ignore_changes = all: Terraform never
    // updates it in place (not even the time, so a plan with no change shows nothing); replace_triggered_by
    // recreates it, with a fresh time, when the list (the rule's parameters), the rule (its ARN: a rename
    // replaces the rule), the role, or the schedule's own settings change, and the plan names the reason.
    const runAt = `\${${AFTER_CHANGE_TIME_EXPRESSION}}`;
    const ruleAddress = `${props.rule.terraformResourceType}.${props.rule.friendlyUniqueId}`;
    this.afterChange = new SchedulerSchedule(this, "after-change", {
      name: props.names.afterChangeScheduleName,
      groupName: SCHEDULE_GROUP_NAME,
      description: afterChangeDescription,
      scheduleExpression: `at(${runAt})`,
      scheduleExpressionTimezone: "UTC",
      flexibleTimeWindow: { mode: "OFF" },
      target: afterChangeTarget,
      dependsOn: [this.role.policy, props.rule],
      lifecycle: {
        ignoreChanges: "all",
        replaceTriggeredBy: [
          `${ruleAddress}.input_parameters`,
          `${ruleAddress}.arn`,
          `${this.role.role.terraformResourceType}.${this.role.role.friendlyUniqueId}.arn`,
          `${this.afterChangeSettings.terraformResourceType}.${this.afterChangeSettings.friendlyUniqueId}`,
        ],
      },
    });
  }
}

/**
 * Terraform's built-in `terraform_data` with `triggers_replace` only, synthesized exactly as cdktf's
 * DataResource. That class adds a validation which runs `terraform version` in a child process for every
 * instance at synthesis: it made synthesis need Terraform on PATH (a library consumer, a CI job that only
 * synthesizes) and cost one process per stack. The Terraform this project supports (1.10 or later, README)
 * has had `terraform_data` since 1.4.
 */
export class ReplacementTrigger extends TerraformResource {
  private readonly triggers: Record<string, unknown>;

  constructor(scope: Construct, id: string, config: { readonly triggersReplace: Record<string, unknown> }) {
    super(scope, id, {
      terraformResourceType: "terraform_data",
      terraformGeneratorMetadata: { providerName: "terraform" },
    });
    this.triggers = config.triggersReplace;
  }

  protected override synthesizeAttributes(): { [name: string]: unknown } {
    return { triggers_replace: hashMapper(anyToTerraform)(this.triggers) };
  }

  protected override synthesizeHclAttributes(): { [name: string]: unknown } {
    return { triggers_replace: hashMapperHcl(anyToHclTerraform)(this.triggers) };
  }
}
