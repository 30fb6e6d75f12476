import type { CloudwatchEventRule } from "@cdktf/provider-aws/lib/cloudwatch-event-rule";
import {
  CloudwatchEventTarget,
  type CloudwatchEventTargetConfig,
} from "@cdktf/provider-aws/lib/cloudwatch-event-target";
import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { LambdaFunctionEventInvokeConfig } from "@cdktf/provider-aws/lib/lambda-function-event-invoke-config";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { SqsQueuePolicy } from "@cdktf/provider-aws/lib/sqs-queue-policy";
import type { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";

/** SQS's maximum retention: a dead-lettered remediation must outlive a holiday fortnight. */
export const DEAD_LETTER_RETENTION_SECONDS = 14 * 24 * 60 * 60;

/**
 * Lambda's asynchronous retries after a function error (0-2). Two gives a transient throttle or API
 * error two more chances, a minute and then two apart, before the event is dead-lettered.
 */
const FUNCTION_MAXIMUM_RETRY_ATTEMPTS = 2;
/**
 * How long an event may wait in Lambda's queue (throttled by reserved concurrency, or between retries).
 * An hour: past that an instance has run an unapproved AMI long enough that a person should look, which
 * the dead-letter alarm makes happen.
 */
const FUNCTION_MAXIMUM_EVENT_AGE_SECONDS = 60 * 60;
/** EventBridge's own delivery retries, bounded the same way (its defaults are 185 attempts over 24 hours). */
const EVENT_TARGET_RETRY_POLICY = {
  maximumEventAgeInSeconds: 60 * 60,
  maximumRetryAttempts: 20,
} as const;

export interface DeadLetterQueueProps {
  readonly queueName: string;
  /**
   * The EventBridge rule whose target dead-letters into this queue; only that rule may send.
   * @default - no queue policy (senders are granted through their IAM role)
   */
  readonly eventRuleArn?: string;
}

/**
 * An SQS queue that keeps failed events for 14 days, encrypted by SQS (SSE-SQS): the senders, Lambda
 * destinations and EventBridge, need no key grants that way, and the messages hold only event payloads.
 */
export class DeadLetterQueue extends Construct {
  readonly queue: SqsQueue;

  constructor(scope: Construct, id: string, props: DeadLetterQueueProps) {
    super(scope, id);
    this.queue = new SqsQueue(this, "queue", {
      name: props.queueName,
      messageRetentionSeconds: DEAD_LETTER_RETENTION_SECONDS,
      sqsManagedSseEnabled: true,
    });
    if (!props.eventRuleArn) return;
    const policy = new DataAwsIamPolicyDocument(this, "policy-document", {
      statement: [
        {
          sid: "OnlyTheRuleDeadLetters",
          effect: "Allow",
          principals: [{ type: "Service", identifiers: ["events.amazonaws.com"] }],
          actions: ["sqs:SendMessage"],
          resources: [this.queue.arn],
          condition: [{ test: "ArnEquals", variable: "aws:SourceArn", values: [props.eventRuleArn] }],
        },
      ],
    });
    new SqsQueuePolicy(this, "policy", { queueUrl: this.queue.url, policy: policy.json });
  }
}

export interface DeadLetteredTargetProps {
  readonly rule: CloudwatchEventRule;
  /** The queue that keeps events EventBridge could not deliver; only `rule` may send to it. */
  readonly queueName: string;
  /** Everything about the target but its rule and its failure handling. */
  readonly target: Omit<CloudwatchEventTargetConfig, "rule" | "retryPolicy" | "deadLetterConfig">;
}

/**
 * A rule's target with bounded delivery retries, then a dead-letter queue only that rule may send to.
 * Created in `scope` as `delivery-failure-queue` and `target`, the ids every caller's addresses carry.
 */
export function addDeadLetteredTarget(scope: Construct, props: DeadLetteredTargetProps): DeadLetterQueue {
  const queue = new DeadLetterQueue(scope, "delivery-failure-queue", {
    queueName: props.queueName,
    eventRuleArn: props.rule.arn,
  });
  new CloudwatchEventTarget(scope, "target", {
    ...props.target,
    rule: props.rule.name,
    retryPolicy: { ...EVENT_TARGET_RETRY_POLICY },
    deadLetterConfig: { arn: queue.queue.arn },
  });
  return queue;
}

export interface AsyncInvokeFailureHandlingProps {
  readonly functionName: string;
  /** Where events go once retries or event age run out; the function's role must be allowed to send. */
  readonly failureQueue: DeadLetterQueue;
  /** The role policy that grants sqs:SendMessage: Lambda checks it when the destination is set. */
  readonly dependsOn: ITerraformDependable[];
}

/**
 * Bounded asynchronous retries, then the `on_failure` destination. The destination record carries the
 * original event as `requestPayload`, which `npm run redrive` sends back once the cause is fixed.
 */
export class AsyncInvokeFailureHandling extends Construct {
  readonly invokeConfig: LambdaFunctionEventInvokeConfig;

  constructor(scope: Construct, id: string, props: AsyncInvokeFailureHandlingProps) {
    super(scope, id);
    this.invokeConfig = new LambdaFunctionEventInvokeConfig(this, "config", {
      functionName: props.functionName,
      maximumRetryAttempts: FUNCTION_MAXIMUM_RETRY_ATTEMPTS,
      maximumEventAgeInSeconds: FUNCTION_MAXIMUM_EVENT_AGE_SECONDS,
      destinationConfig: { onFailure: { destination: props.failureQueue.queue.arn } },
      dependsOn: props.dependsOn,
    });
  }
}
