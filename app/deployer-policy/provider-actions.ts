/**
 * The IAM actions the pinned AWS provider (5.100.0) calls to create, read, update and delete each resource
 * type ami-guard deploys, with the provider source that makes the calls. The provider uses the AWS SDK for
 * Go v2, whose operations are named after the API actions, so each client call in the source is one action
 * here. Tag reads and writes come from the resource's `@Tags` annotation (the generated `tags_gen.go` of the
 * same service). A resource type missing from this table stops `npm run deployer-policy` with its name.
 */

const PROVIDER_SOURCE = "https://github.com/hashicorp/terraform-provider-aws/blob/v5.100.0/internal/service";

interface ResourceActions {
  readonly actions: readonly string[];
  /** The provider file whose create, read, update and delete functions make the calls. */
  readonly source: string;
}

const source = (file: string) => `${PROVIDER_SOURCE}/${file}`;

export const PROVIDER_ACTIONS: Readonly<Record<string, ResourceActions>> = {
  aws_cloudwatch_dashboard: {
    actions: ["cloudwatch:PutDashboard", "cloudwatch:GetDashboard", "cloudwatch:DeleteDashboards"],
    source: source("cloudwatch/dashboard.go"),
  },
  aws_cloudwatch_event_rule: {
    actions: [
      "events:PutRule",
      "events:DescribeRule",
      "events:DeleteRule",
      "events:EnableRule",
      "events:DisableRule",
      "events:ListTagsForResource",
      "events:TagResource",
      "events:UntagResource",
    ],
    source: source("events/rule.go"),
  },
  aws_cloudwatch_event_target: {
    actions: ["events:PutTargets", "events:ListTargetsByRule", "events:RemoveTargets"],
    source: source("events/target.go"),
  },
  aws_cloudwatch_log_group: {
    actions: [
      "logs:CreateLogGroup",
      "logs:DescribeLogGroups",
      "logs:DeleteLogGroup",
      "logs:PutRetentionPolicy",
      "logs:DeleteRetentionPolicy",
      "logs:AssociateKmsKey",
      "logs:DisassociateKmsKey",
      "logs:ListTagsForResource",
      "logs:TagResource",
      "logs:UntagResource",
    ],
    source: source("logs/group.go"),
  },
  aws_cloudwatch_metric_alarm: {
    actions: [
      "cloudwatch:PutMetricAlarm",
      "cloudwatch:DescribeAlarms",
      "cloudwatch:DeleteAlarms",
      "cloudwatch:ListTagsForResource",
      "cloudwatch:TagResource",
      "cloudwatch:UntagResource",
    ],
    source: source("cloudwatch/metric_alarm.go"),
  },
  aws_config_aggregate_authorization: {
    actions: [
      "config:PutAggregationAuthorization",
      "config:DescribeAggregationAuthorizations",
      "config:DeleteAggregationAuthorization",
      "config:ListTagsForResource",
      "config:TagResource",
      "config:UntagResource",
    ],
    source: source("configservice/aggregate_authorization.go"),
  },
  aws_config_config_rule: {
    actions: [
      "config:PutConfigRule",
      "config:DescribeConfigRules",
      "config:DeleteConfigRule",
      "config:ListTagsForResource",
      "config:TagResource",
      "config:UntagResource",
    ],
    source: source("configservice/config_rule.go"),
  },
  aws_config_configuration_aggregator: {
    actions: [
      "config:PutConfigurationAggregator",
      "config:DescribeConfigurationAggregators",
      "config:DeleteConfigurationAggregator",
      "config:ListTagsForResource",
      "config:TagResource",
      "config:UntagResource",
    ],
    source: source("configservice/configuration_aggregator.go"),
  },
  aws_config_configuration_recorder: {
    // Config assumes the recorder's role, so the caller passes it.
    actions: [
      "config:PutConfigurationRecorder",
      "config:DescribeConfigurationRecorders",
      "config:DeleteConfigurationRecorder",
      "iam:PassRole",
    ],
    source: source("configservice/configuration_recorder.go"),
  },
  aws_config_configuration_recorder_status: {
    actions: [
      "config:StartConfigurationRecorder",
      "config:StopConfigurationRecorder",
      "config:DescribeConfigurationRecorderStatus",
    ],
    source: source("configservice/configuration_recorder_status.go"),
  },
  aws_config_delivery_channel: {
    actions: ["config:PutDeliveryChannel", "config:DescribeDeliveryChannels", "config:DeleteDeliveryChannel"],
    source: source("configservice/delivery_channel.go"),
  },
  aws_config_remediation_configuration: {
    actions: [
      "config:PutRemediationConfigurations",
      "config:DescribeRemediationConfigurations",
      "config:DeleteRemediationConfiguration",
    ],
    source: source("configservice/remediation_configuration.go"),
  },
  aws_iam_role: {
    // Delete first removes inline and attached policies and instance profiles the role still has.
    actions: [
      "iam:CreateRole",
      "iam:GetRole",
      "iam:UpdateRole",
      "iam:UpdateAssumeRolePolicy",
      "iam:DeleteRole",
      "iam:ListRolePolicies",
      "iam:ListAttachedRolePolicies",
      "iam:ListInstanceProfilesForRole",
      "iam:RemoveRoleFromInstanceProfile",
      "iam:DeleteRolePolicy",
      "iam:DetachRolePolicy",
      "iam:TagRole",
      "iam:UntagRole",
    ],
    source: source("iam/role.go"),
  },
  aws_iam_role_policy: {
    actions: ["iam:PutRolePolicy", "iam:GetRolePolicy", "iam:DeleteRolePolicy"],
    source: source("iam/role_policy.go"),
  },
  aws_iam_role_policy_attachment: {
    actions: ["iam:AttachRolePolicy", "iam:ListAttachedRolePolicies", "iam:DetachRolePolicy"],
    source: source("iam/role_policy_attachment.go"),
  },
  aws_kms_key: {
    actions: [
      "kms:CreateKey",
      "kms:DescribeKey",
      "kms:GetKeyPolicy",
      "kms:PutKeyPolicy",
      "kms:GetKeyRotationStatus",
      "kms:EnableKeyRotation",
      "kms:DisableKeyRotation",
      "kms:EnableKey",
      "kms:DisableKey",
      "kms:UpdateKeyDescription",
      "kms:ScheduleKeyDeletion",
      "kms:ListResourceTags",
      "kms:TagResource",
      "kms:UntagResource",
    ],
    source: source("kms/key.go"),
  },
  aws_kms_alias: {
    actions: ["kms:CreateAlias", "kms:ListAliases", "kms:UpdateAlias", "kms:DeleteAlias"],
    source: source("kms/alias.go"),
  },
  aws_lambda_function: {
    // Lambda assumes the function's role, so the caller passes it.
    actions: [
      "lambda:CreateFunction",
      "lambda:GetFunction",
      "lambda:GetFunctionCodeSigningConfig",
      "lambda:ListVersionsByFunction",
      "lambda:UpdateFunctionCode",
      "lambda:UpdateFunctionConfiguration",
      "lambda:PutFunctionConcurrency",
      "lambda:DeleteFunctionConcurrency",
      "lambda:DeleteFunction",
      "lambda:ListTags",
      "lambda:TagResource",
      "lambda:UntagResource",
      "iam:PassRole",
    ],
    source: source("lambda/function.go"),
  },
  aws_lambda_function_event_invoke_config: {
    actions: [
      "lambda:PutFunctionEventInvokeConfig",
      "lambda:GetFunctionEventInvokeConfig",
      "lambda:UpdateFunctionEventInvokeConfig",
      "lambda:DeleteFunctionEventInvokeConfig",
    ],
    source: source("lambda/function_event_invoke_config.go"),
  },
  aws_lambda_permission: {
    actions: ["lambda:AddPermission", "lambda:GetPolicy", "lambda:RemovePermission"],
    source: source("lambda/permission.go"),
  },
  aws_organizations_policy: {
    actions: [
      "organizations:CreatePolicy",
      "organizations:DescribePolicy",
      "organizations:UpdatePolicy",
      "organizations:DeletePolicy",
      "organizations:ListTagsForResource",
      "organizations:TagResource",
      "organizations:UntagResource",
    ],
    source: source("organizations/policy.go"),
  },
  aws_organizations_policy_attachment: {
    actions: [
      "organizations:AttachPolicy",
      "organizations:ListTargetsForPolicy",
      "organizations:DetachPolicy",
    ],
    source: source("organizations/policy_attachment.go"),
  },
  aws_s3_bucket: {
    // The read fills every legacy inline attribute of the bucket, one Get call each.
    actions: [
      "s3:CreateBucket",
      "s3:ListBucket",
      "s3:DeleteBucket",
      "s3:GetBucketAcl",
      "s3:GetBucketCORS",
      "s3:GetBucketWebsite",
      "s3:GetBucketVersioning",
      "s3:GetAccelerateConfiguration",
      "s3:GetBucketRequestPayment",
      "s3:GetBucketLogging",
      "s3:GetLifecycleConfiguration",
      "s3:GetReplicationConfiguration",
      "s3:GetEncryptionConfiguration",
      "s3:GetBucketObjectLockConfiguration",
      "s3:GetBucketPolicy",
      "s3:GetBucketTagging",
      "s3:PutBucketTagging",
    ],
    source: source("s3/bucket.go"),
  },
  aws_s3_bucket_lifecycle_configuration: {
    // DeleteBucketLifecycle is authorized by s3:PutLifecycleConfiguration.
    actions: ["s3:PutLifecycleConfiguration", "s3:GetLifecycleConfiguration"],
    source: source("s3/bucket_lifecycle_configuration.go"),
  },
  aws_s3_bucket_ownership_controls: {
    actions: ["s3:PutBucketOwnershipControls", "s3:GetBucketOwnershipControls"],
    source: source("s3/bucket_ownership_controls.go"),
  },
  aws_s3_bucket_policy: {
    actions: ["s3:PutBucketPolicy", "s3:GetBucketPolicy", "s3:DeleteBucketPolicy"],
    source: source("s3/bucket_policy.go"),
  },
  aws_s3_bucket_public_access_block: {
    actions: ["s3:PutBucketPublicAccessBlock", "s3:GetBucketPublicAccessBlock"],
    source: source("s3/bucket_public_access_block.go"),
  },
  aws_s3_bucket_server_side_encryption_configuration: {
    actions: ["s3:PutEncryptionConfiguration", "s3:GetEncryptionConfiguration"],
    source: source("s3/bucket_server_side_encryption_configuration.go"),
  },
  aws_s3_bucket_versioning: {
    actions: ["s3:PutBucketVersioning", "s3:GetBucketVersioning"],
    source: source("s3/bucket_versioning.go"),
  },
  aws_scheduler_schedule: {
    // Scheduler assumes the schedule's execution role, so the caller passes it: the AWS managed policy
    // AmazonEventBridgeSchedulerFullAccess grants iam:PassRole with iam:PassedToService
    // scheduler.amazonaws.com for exactly this. Schedules take no tags in this provider version.
    actions: [
      "scheduler:CreateSchedule",
      "scheduler:GetSchedule",
      "scheduler:UpdateSchedule",
      "scheduler:DeleteSchedule",
      "iam:PassRole",
    ],
    source: source("scheduler/schedule.go"),
  },
  aws_sns_topic: {
    actions: [
      "sns:CreateTopic",
      "sns:GetTopicAttributes",
      "sns:SetTopicAttributes",
      "sns:DeleteTopic",
      "sns:ListTagsForResource",
      "sns:TagResource",
      "sns:UntagResource",
    ],
    source: source("sns/topic.go"),
  },
  aws_sns_topic_policy: {
    actions: ["sns:SetTopicAttributes", "sns:GetTopicAttributes"],
    source: source("sns/topic_policy.go"),
  },
  aws_sns_topic_subscription: {
    actions: [
      "sns:Subscribe",
      "sns:GetSubscriptionAttributes",
      "sns:SetSubscriptionAttributes",
      "sns:Unsubscribe",
    ],
    source: source("sns/topic_subscription.go"),
  },
  aws_sqs_queue: {
    actions: [
      "sqs:CreateQueue",
      "sqs:GetQueueUrl",
      "sqs:GetQueueAttributes",
      "sqs:SetQueueAttributes",
      "sqs:DeleteQueue",
      "sqs:ListQueueTags",
      "sqs:TagQueue",
      "sqs:UntagQueue",
    ],
    source: source("sqs/queue.go"),
  },
  aws_sqs_queue_policy: {
    actions: ["sqs:SetQueueAttributes", "sqs:GetQueueAttributes"],
    source: source("sqs/queue_policy.go"),
  },
};

/** Data sources that only compute locally and call no API (see the FACTS on offline plans). */
export const LOCAL_DATA_SOURCES: readonly string[] = [
  "aws_iam_policy_document",
  "aws_partition",
  "aws_region",
];

/**
 * The provider itself: with allowed_account_ids it asks STS whose credentials it holds, before anything else
 * (https://registry.terraform.io/providers/hashicorp/aws/5.100.0/docs#allowed_account_ids).
 */
export const PROVIDER_CONFIGURATION_ACTIONS: readonly string[] = ["sts:GetCallerIdentity"];

/**
 * Terraform's S3 backend: list the bucket, read and write the state object, and with S3 native locking
 * write and delete `<key>.tflock`; with DynamoDB locking, read, write and delete the lock item
 * (https://developer.hashicorp.com/terraform/language/backend/s3#permissions-required).
 */
export const STATE_BUCKET_ACTIONS: readonly string[] = ["s3:ListBucket"];
export const STATE_OBJECT_ACTIONS: readonly string[] = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"];
export const LOCK_TABLE_ACTIONS: readonly string[] = [
  "dynamodb:DescribeTable",
  "dynamodb:GetItem",
  "dynamodb:PutItem",
  "dynamodb:DeleteItem",
];

/** The reads of `npm run preflight` (app/preflight/observe.ts). */
export const PREFLIGHT_ACTIONS: readonly string[] = [
  "sts:GetCallerIdentity",
  "ec2:DescribeRegions",
  "config:DescribeConfigurationRecorders",
  "config:DescribeDeliveryChannels",
  "config:DescribeConfigurationRecorderStatus",
  "config:DescribeConfigRules",
  "config:ListTagsForResource",
  "lambda:GetAccountSettings",
  "lambda:GetFunctionConcurrency",
  "sns:ListSubscriptionsByTopic",
];

/**
 * The preflight's reads for the prevention stack (app/preflight/observe.ts): the organization's feature set
 * and the policy types enabled on its root. Granted only when the configuration deploys prevention.
 */
export const PREVENTION_PREFLIGHT_ACTIONS: readonly string[] = [
  "organizations:DescribeOrganization",
  "organizations:ListRoots",
];

/**
 * Resources of Terraform's built-in provider: they live in the state only and call no AWS API
 * (https://developer.hashicorp.com/terraform/language/resources/terraform-data).
 */
export const TERRAFORM_BUILTIN_RESOURCES: readonly string[] = ["terraform_data"];
