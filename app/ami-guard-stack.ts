import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { LocalBackend, S3Backend, TerraformOutput, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import { AggregationAuthorization } from "../lib/aggregator";
import {
  eventRuleArn,
  FAILED_REMEDIATION_RULE_NAME,
  FailedRemediationNotifications,
  PipelineAlarms,
} from "../lib/alarms";
import { ApprovedAmisRule } from "../lib/approved-amis-rule";
import { ConfigRecording } from "../lib/config-recording";
import { RemediationDashboard } from "../lib/dashboard";
import { EventDrivenRemediation, FUNCTION_LOG_GROUP_NAME } from "../lib/event-driven-remediation";
import { EncryptionKey } from "../lib/kms";
import { NotificationTopic } from "../lib/notifications";
import { partitionOf } from "../lib/regions";
import { StopInstanceRemediation } from "../lib/remediation";
import { terraformLiteral, terraformLiteralMap } from "../lib/terraform-literal";
import type { AmiGuardConfig, BackendConfig, Target } from "./config";
import type { LambdaBundle } from "./lambda-bundle";

export interface AmiGuardStackProps {
  readonly config: AmiGuardConfig;
  readonly target: Target;
  /** The bundled handler; required when the target's mode is event-driven. */
  readonly bundle?: LambdaBundle;
  /**
   * With the local backend, where the state file lives, relative to the stack's synthesized folder (where
   * Terraform runs). It must lie outside the synthesized output, which every synthesis replaces.
   * @default "terraform.<stack>.tfstate", inside the stack's folder
   */
  readonly localStatePath?: string;
}

/** The tag every resource of a stack carries (provider default_tags), naming the stack that owns it. */
export const STACK_TAG_KEY = "ami-guard:stack";

/** The IAM role Terraform assumes in the target account, or undefined for the caller's own credentials. */
export function assumeRoleArnFor(
  target: Pick<Target, "accountId" | "region" | "assumeRoleName">,
): string | undefined {
  return target.assumeRoleName
    ? `arn:${partitionOf(target.region)}:iam::${target.accountId}:role/${target.assumeRoleName}`
    : undefined;
}

/** `ami-guard-111122223333-eu-central-1`: the account and region a stack deploys to, readable in every plan. */
export function stackNameFor(target: Pick<Target, "accountId" | "region">): string {
  return `ami-guard-${target.accountId}-${target.region}`;
}

/** Where a stack keeps its state: one key per account and region, so reordering targets moves nothing. */
export function stateKeyFor(keyPrefix: string, target: Pick<Target, "accountId" | "region">): string {
  const prefix = keyPrefix.replace(/\/+$/, "");
  return `${prefix ? `${prefix}/` : ""}${target.accountId}/${target.region}/terraform.tfstate`;
}

/** The compliance pipeline of one account and region. */
export class AmiGuardStack extends TerraformStack {
  constructor(scope: Construct, props: AmiGuardStackProps) {
    const { config, target } = props;
    super(scope, stackNameFor(target));

    new AwsProvider(this, "aws", {
      region: target.region,
      // Terraform refuses to touch any other account, whatever credentials the runner has.
      allowedAccountIds: [target.accountId],
      ...(target.assumeRoleName
        ? { assumeRole: [{ roleArn: assumeRoleArnFor(target), sessionName: "ami-guard" }] }
        : {}),
      // The schema admits only AWS's tag characters; escaping anyway means a "${" can never become an expression.
      defaultTags: [{ tags: { ...terraformLiteralMap(config.tags), [STACK_TAG_KEY]: stackNameFor(target) } }],
    });
    this.configureBackend(config.backend, target, props.localStatePath);

    const recording =
      target.recorder === "create"
        ? new ConfigRecording(this, "recording", { accountId: target.accountId, region: target.region })
        : undefined;

    const rule = new ApprovedAmisRule(this, "approved-amis", {
      ruleName: config.ruleName,
      approvedAmiIds: config.approvedAmiIds,
      // Rules evaluate only once the recorder runs; with an existing recorder there is nothing to wait for.
      dependsOn: recording ? [recording.recorderStatus] : undefined,
    });
    new TerraformOutput(this, "rule_name", { value: rule.rule.name, description: "The AWS Config rule." });
    new TerraformOutput(this, "rule_arn", { value: rule.rule.arn });
    new TerraformOutput(this, "remediation_mode", { value: target.mode });
    if (recording) {
      new TerraformOutput(this, "config_bucket", {
        value: recording.bucket.bucket,
        description: "Config's delivery bucket.",
      });
      new TerraformOutput(this, "config_role_arn", { value: recording.role.role.arn });
    }

    if (config.aggregator) {
      new AggregationAuthorization(this, "aggregation-authorization", {
        accountId: config.aggregator.accountId,
        region: config.aggregator.region,
      });
    }

    if (target.mode === "audit") return;

    const remediation = new StopInstanceRemediation(this, "remediation", {
      ruleName: rule.rule.name,
      accountId: target.accountId,
      region: target.region,
      automatic: target.mode === "automatic" ? config.automatic : undefined,
    });
    new TerraformOutput(this, "automation_role_arn", { value: remediation.automationRole.role.arn });

    // Every mode that remediates can see a started stop fail later in SSM, so every one of them notifies.
    const eventDriven = target.mode === "event-driven";
    const encryptionKey = new EncryptionKey(this, "encryption-key", {
      accountId: target.accountId,
      region: target.region,
      allowEventBridge: true,
      logGroupNames: eventDriven ? [FUNCTION_LOG_GROUP_NAME] : [],
    });
    const notifications = new NotificationTopic(this, "notifications", {
      accountId: target.accountId,
      region: target.region,
      encryptionKey,
      emails: config.notificationEmails,
      publishingRuleArns: [eventRuleArn(target.region, target.accountId, FAILED_REMEDIATION_RULE_NAME)],
    });
    const topic = notifications.topic;
    new TerraformOutput(this, "notification_topic_arn", { value: topic.arn });
    if (notifications.emailSubscriptions.length > 0) {
      new TerraformOutput(this, "email_subscriptions_pending_confirmation", {
        value: Object.fromEntries(
          notifications.emailSubscriptions.map(({ email, subscription }) => [
            email,
            subscription.pendingConfirmation,
          ]),
        ),
        description:
          "true for each address that has not yet followed the confirmation link SNS mailed it: it receives nothing until it does.",
      });
    }

    const failedRemediation = new FailedRemediationNotifications(this, "failed-remediation", {
      accountId: target.accountId,
      region: target.region,
      topic,
    });
    if (!eventDriven) {
      const alarms = new PipelineAlarms(this, "alarms", {
        topic,
        deadLetterQueues: [
          { alarm: "notification-delivery-failures-queue", queue: failedRemediation.deliveryFailures },
        ],
      });
      new RemediationDashboard(this, "dashboard", {
        accountId: target.accountId,
        region: target.region,
        deadLetterQueues: [
          {
            label: "notification delivery failures",
            queueName: failedRemediation.deliveryFailures.queue.name,
          },
        ],
        alarmNames: alarms.alarms.map((alarm) => alarm.alarmName),
      });
      return;
    }

    if (!props.bundle)
      throw new Error(`${stackNameFor(target)}: mode "event-driven" needs the bundled handler`);
    const remediationFunction = new EventDrivenRemediation(this, "event-driven", {
      ruleName: config.ruleName,
      accountId: target.accountId,
      region: target.region,
      bundle: props.bundle,
      dryRun: target.dryRun,
      exemptionTagKey: config.exemptionTagKey,
      topic,
      encryptionKey,
      remediationConfiguration: remediation.configuration,
      automationRoleArn: remediation.automationRole.role.arn,
      reservedConcurrentExecutions: config.reservedConcurrentExecutions,
    });
    const alarms = new PipelineAlarms(this, "alarms", {
      topic,
      functionName: remediationFunction.function.functionName,
      deadLetterQueues: [
        { alarm: "function-failures-queue", queue: remediationFunction.failureQueue },
        { alarm: "event-delivery-failures-queue", queue: remediationFunction.deliveryFailureQueue },
        { alarm: "notification-delivery-failures-queue", queue: failedRemediation.deliveryFailures },
      ],
    });
    new RemediationDashboard(this, "dashboard", {
      accountId: target.accountId,
      region: target.region,
      functionName: remediationFunction.function.functionName,
      deadLetterQueues: [
        { label: "function failures", queueName: remediationFunction.failureQueue.queue.name },
        { label: "event delivery failures", queueName: remediationFunction.deliveryFailureQueue.queue.name },
        {
          label: "notification delivery failures",
          queueName: failedRemediation.deliveryFailures.queue.name,
        },
      ],
      alarmNames: alarms.alarms.map((alarm) => alarm.alarmName),
    });
    new TerraformOutput(this, "function_name", { value: remediationFunction.function.functionName });
    new TerraformOutput(this, "function_role_arn", { value: remediationFunction.role.role.arn });
    new TerraformOutput(this, "event_rule_arn", { value: remediationFunction.eventRule.arn });
    new TerraformOutput(this, "function_failure_queue_url", {
      value: remediationFunction.failureQueue.queue.url,
      description:
        "Events the function failed on; `npm run redrive` sends them back once the cause is fixed.",
    });
  }

  private configureBackend(backend: BackendConfig, target: Target, localStatePath?: string): void {
    if (backend.type === "local") {
      new LocalBackend(this, { path: localStatePath ?? `terraform.${stackNameFor(target)}.tfstate` });
      return;
    }
    const s3 = new S3Backend(this, {
      bucket: backend.bucket,
      key: stateKeyFor(backend.keyPrefix, target),
      region: backend.region,
      encrypt: true,
      ...(backend.locking === "dynamodb" && backend.dynamodbTable
        ? { dynamodbTable: terraformLiteral(backend.dynamodbTable) }
        : {}),
    });
    // cdktf 0.21 predates S3 native locking (Terraform 1.10), so the argument goes in as an override.
    if (backend.locking === "lockfile") s3.addOverride("use_lockfile", true);
  }
}
