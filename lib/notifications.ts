import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SnsTopicPolicy } from "@cdktf/provider-aws/lib/sns-topic-policy";
import { SnsTopicSubscription } from "@cdktf/provider-aws/lib/sns-topic-subscription";
import { Construct } from "constructs";
import type { SNS_EMAIL_NEEDS_CONFIRMATION } from "./aws-facts";
import type { EncryptionKey } from "./kms";
import { DEFAULT_NAME_PREFIX, resourceNames } from "./names";
import { type AwsRegion, partitionOf } from "./regions";

export const NOTIFICATION_TOPIC_NAME = `${DEFAULT_NAME_PREFIX}-notifications`;
/** Every alarm ami-guard creates is named with this prefix; the topic accepts alarms matching it only. */
export const ALARM_NAME_PREFIX = `${DEFAULT_NAME_PREFIX}-`;

export interface NotificationTopicProps {
  readonly accountId: string;
  readonly region: AwsRegion;
  readonly encryptionKey: EncryptionKey;
  /** @default [] */
  readonly emails?: readonly string[];
  /**
   * EventBridge rules allowed to publish (their ARNs). The key must grant EventBridge as well.
   * @default - none
   */
  readonly publishingRuleArns?: readonly string[];
  /**
   * Prefix of the topic's name and of the alarm names it accepts ({@link resourceNames}).
   * @default "ami-guard"
   */
  readonly namePrefix?: string;
}

/**
 * The SNS topic that pages people: remediated, guarded and failed events from the function, alarms, and in
 * automatic mode failed remediation executions. Encrypted with the stack's key, which grants the publishers.
 */
export class NotificationTopic extends Construct {
  readonly topic: SnsTopic;
  /**
   * One per address. Each delivers nothing until its recipient confirms it from the email SNS sends
   * ({@link SNS_EMAIL_NEEDS_CONFIRMATION}); `pendingConfirmation` says which have not.
   */
  readonly emailSubscriptions: readonly {
    readonly email: string;
    readonly subscription: SnsTopicSubscription;
  }[];

  constructor(scope: Construct, id: string, props: NotificationTopicProps) {
    super(scope, id);
    const partition = partitionOf(props.region);
    const names = resourceNames(props.namePrefix ?? DEFAULT_NAME_PREFIX, props.region);
    this.topic = new SnsTopic(this, "topic", {
      name: names.topicName,
      kmsMasterKeyId: props.encryptionKey.key.arn,
    });
    this.emailSubscriptions = (props.emails ?? []).map((email, index) => ({
      email,
      subscription: new SnsTopicSubscription(this, `email-${index}`, {
        topicArn: this.topic.arn,
        protocol: "email",
        endpoint: email,
      }),
    }));

    const ruleArns = props.publishingRuleArns ?? [];
    const policy = new DataAwsIamPolicyDocument(this, "policy-document", {
      statement: [
        {
          sid: "AlarmsPublish",
          effect: "Allow",
          principals: [{ type: "Service", identifiers: ["cloudwatch.amazonaws.com"] }],
          actions: ["sns:Publish"],
          resources: [this.topic.arn],
          condition: [
            { test: "StringEquals", variable: "aws:SourceAccount", values: [props.accountId] },
            {
              test: "ArnLike",
              variable: "aws:SourceArn",
              values: [
                `arn:${partition}:cloudwatch:${props.region}:${props.accountId}:alarm:${names.alarmNamePrefix}*`,
              ],
            },
          ],
        },
        ...(ruleArns.length > 0
          ? [
              {
                sid: "RulesPublish",
                effect: "Allow",
                principals: [{ type: "Service", identifiers: ["events.amazonaws.com"] }],
                actions: ["sns:Publish"],
                resources: [this.topic.arn],
                condition: [{ test: "ArnEquals", variable: "aws:SourceArn", values: [...ruleArns] }],
              },
            ]
          : []),
        {
          sid: "DenyInsecureTransport",
          effect: "Deny",
          principals: [{ type: "*", identifiers: ["*"] }],
          actions: ["sns:Publish"],
          resources: [this.topic.arn],
          condition: [{ test: "Bool", variable: "aws:SecureTransport", values: ["false"] }],
        },
      ],
    });
    new SnsTopicPolicy(this, "policy", { arn: this.topic.arn, policy: policy.json });
  }
}
