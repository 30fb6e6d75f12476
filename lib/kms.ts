import {
  DataAwsIamPolicyDocument,
  type DataAwsIamPolicyDocumentStatement,
} from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { Construct } from "constructs";
import { DEFAULT_NAME_PREFIX, resourceNames } from "./names";
import { type AwsRegion, partitionOf } from "./regions";

/**
 * What the account's own IAM policies may be granted on the key. A key policy must name these for the
 * account, or no IAM policy can grant them; listing them instead of `kms:*` keeps key deletion and
 * policy changes visible in review (the administrative set is AWS's documented "key administrators" set).
 */
const KEY_ADMINISTRATION_ACTIONS = [
  "kms:CancelKeyDeletion",
  "kms:Create*",
  "kms:Delete*",
  "kms:Describe*",
  "kms:Disable*",
  "kms:Enable*",
  "kms:Get*",
  "kms:List*",
  "kms:Put*",
  "kms:Revoke*",
  "kms:RotateKeyOnDemand",
  "kms:ScheduleKeyDeletion",
  "kms:TagResource",
  "kms:UntagResource",
  "kms:Update*",
] as const;
const KEY_USAGE_ACTIONS = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"] as const;
/** What a publisher to an encrypted topic needs: SNS encrypts each message with a data key. */
export const TOPIC_PUBLISHER_KEY_ACTIONS = ["kms:Decrypt", "kms:GenerateDataKey*"];

export interface EncryptionKeyProps {
  readonly accountId: string;
  readonly region: AwsRegion;
  /**
   * EventBridge rules publish to the encrypted topic (automatic mode).
   * @default false
   */
  readonly allowEventBridge?: boolean;
  /**
   * Log groups CloudWatch Logs encrypts with this key.
   * @default - none
   */
  readonly logGroupNames?: readonly string[];
  /**
   * Prefix of the key's alias ({@link resourceNames}).
   * @default "ami-guard"
   */
  readonly namePrefix?: string;
}

/** The CloudWatch Logs service principal, which unlike most services carries the region and partition suffix. */
export function logsServicePrincipal(region: AwsRegion): string {
  return partitionOf(region) === "aws-cn"
    ? `logs.${region}.amazonaws.com.cn`
    : `logs.${region}.amazonaws.com`;
}

/**
 * The stack's customer-managed key for the notification topic and the function's logs. The AWS-managed
 * `alias/aws/sns` key cannot be used: its policy cannot grant CloudWatch alarms or EventBridge, so alarms
 * would fail to publish without a trace.
 */
export class EncryptionKey extends Construct {
  readonly key: KmsKey;

  constructor(scope: Construct, id: string, props: EncryptionKeyProps) {
    super(scope, id);
    const partition = partitionOf(props.region);
    const { accountId, region } = props;
    const statements: DataAwsIamPolicyDocumentStatement[] = [
      {
        // In a key policy "*" is this key. Without this statement no IAM policy in the account could use it.
        sid: "AccountAdministersAndDelegates",
        effect: "Allow",
        principals: [{ type: "AWS", identifiers: [`arn:${partition}:iam::${accountId}:root`] }],
        actions: [...KEY_ADMINISTRATION_ACTIONS, ...KEY_USAGE_ACTIONS],
        resources: ["*"],
      },
      {
        sid: "CloudWatchAlarmsPublish",
        effect: "Allow",
        principals: [{ type: "Service", identifiers: ["cloudwatch.amazonaws.com"] }],
        actions: TOPIC_PUBLISHER_KEY_ACTIONS,
        resources: ["*"],
        condition: [{ test: "StringEquals", variable: "aws:SourceAccount", values: [accountId] }],
      },
    ];
    if (props.allowEventBridge) {
      statements.push({
        // AWS documents that EventBridge's KMS requests carry no aws:SourceAccount or aws:SourceArn, so a
        // condition here would silently drop every notification; the topic policy binds the rule instead.
        sid: "EventBridgePublish",
        effect: "Allow",
        principals: [{ type: "Service", identifiers: ["events.amazonaws.com"] }],
        actions: TOPIC_PUBLISHER_KEY_ACTIONS,
        resources: ["*"],
      });
    }
    const logGroupArns = (props.logGroupNames ?? []).map(
      (name) => `arn:${partition}:logs:${region}:${accountId}:log-group:${name}`,
    );
    if (logGroupArns.length > 0) {
      statements.push({
        sid: "CloudWatchLogsEncrypt",
        effect: "Allow",
        principals: [{ type: "Service", identifiers: [logsServicePrincipal(region)] }],
        // No kms:Describe*: DescribeKey carries no encryption context, so under this condition it could
        // never be granted (Service Authorization Reference).
        actions: ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*"],
        resources: ["*"],
        condition: [
          { test: "ArnEquals", variable: "kms:EncryptionContext:aws:logs:arn", values: logGroupArns },
        ],
      });
    }
    const policy = new DataAwsIamPolicyDocument(this, "policy", { statement: statements });
    this.key = new KmsKey(this, "key", {
      description: "ami-guard: encrypts the notification topic and the remediation function's logs.",
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      policy: policy.json,
    });
    new KmsAlias(this, "alias", {
      name: resourceNames(props.namePrefix ?? DEFAULT_NAME_PREFIX, region).keyAlias,
      targetKeyId: this.key.keyId,
    });
  }
}
