import { type Block, refersTo, resourcesOf, type SynthesizedStack } from "./stacks";

/**
 * The checkov checks a platform team runs on these resource types, re-encoded over cdktf's JSON with
 * the semantics of checkov's own implementation (bridgecrewio/checkov, checkov/terraform/checks). Graph
 * checks (CKV2_*) and the S3 checks, which checkov also resolves through the separate
 * `aws_s3_bucket_*` resources of AWS provider 4+, follow references to the bucket.
 */
export interface CheckovCheck {
  readonly id: string;
  readonly title: string;
  readonly resourceType: string;
  readonly passes: (block: Block, name: string, stack: SynthesizedStack) => boolean;
}

const linked = (stack: SynthesizedStack, type: string, bucketName: string): Block[] =>
  resourcesOf(stack, type)
    .filter(([, block]) => refersTo(block.bucket, "aws_s3_bucket", bucketName))
    .map(([, block]) => block);

const first = <T>(value: T | T[] | undefined): T | undefined => (Array.isArray(value) ? value[0] : value);

const sseAlgorithms = (bucket: Block, name: string, stack: SynthesizedStack): string[] => {
  const rules = [
    ...linked(stack, "aws_s3_bucket_server_side_encryption_configuration", name).flatMap(
      (sse) => (sse.rule as Block[] | undefined) ?? [],
    ),
    ...(((first(bucket.server_side_encryption_configuration as Block[] | Block) as Block | undefined)?.rule as
      | Block[]
      | undefined) ?? []),
  ];
  return rules
    .map(
      (rule) => first(rule.apply_server_side_encryption_by_default as Block[] | Block) as Block | undefined,
    )
    .map((byDefault) => String(byDefault?.sse_algorithm ?? ""));
};

export const CHECKOV_CHECKS: readonly CheckovCheck[] = [
  {
    id: "CKV_AWS_18",
    title: "Ensure the S3 bucket has access logging enabled",
    resourceType: "aws_s3_bucket",
    passes: (bucket, name, stack) =>
      bucket.logging !== undefined || linked(stack, "aws_s3_bucket_logging", name).length > 0,
  },
  {
    id: "CKV_AWS_19",
    title: "Ensure all data stored in the S3 bucket is securely encrypted at rest",
    resourceType: "aws_s3_bucket",
    passes: (bucket, name, stack) =>
      sseAlgorithms(bucket, name, stack).some((a) => ["AES256", "aws:kms", "aws:kms:dsse"].includes(a)),
  },
  {
    id: "CKV_AWS_21",
    title: "Ensure all data stored in the S3 bucket have versioning enabled",
    resourceType: "aws_s3_bucket",
    passes: (bucket, name, stack) =>
      (first(bucket.versioning as Block[] | Block) as Block | undefined)?.enabled === true ||
      linked(stack, "aws_s3_bucket_versioning", name).some(
        (v) =>
          (first(v.versioning_configuration as Block[] | Block) as Block | undefined)?.status === "Enabled",
      ),
  },
  {
    id: "CKV_AWS_26",
    title: "Ensure all data stored in the SNS topic is encrypted",
    resourceType: "aws_sns_topic",
    passes: (topic) => typeof topic.kms_master_key_id === "string" && topic.kms_master_key_id !== "",
  },
  {
    id: "CKV_AWS_115",
    title: "Ensure that AWS Lambda function is configured for function-level concurrent execution limit",
    resourceType: "aws_lambda_function",
    passes: (fn) => fn.reserved_concurrent_executions !== undefined,
  },
  {
    id: "CKV_AWS_116",
    title: "Ensure that AWS Lambda function is configured for a Dead Letter Queue(DLQ)",
    resourceType: "aws_lambda_function",
    passes: (fn) =>
      Boolean((first(fn.dead_letter_config as Block[] | Block) as Block | undefined)?.target_arn),
  },
  {
    id: "CKV_AWS_117",
    title: "Ensure that AWS Lambda function is configured inside a VPC",
    resourceType: "aws_lambda_function",
    passes: (fn) => {
      const vpc = first(fn.vpc_config as Block[] | Block) as Block | undefined;
      return Array.isArray(vpc?.subnet_ids) && vpc.subnet_ids.length > 0;
    },
  },
  {
    id: "CKV_AWS_145",
    title: "Ensure that S3 buckets are encrypted with KMS by default",
    resourceType: "aws_s3_bucket",
    passes: (bucket, name, stack) =>
      sseAlgorithms(bucket, name, stack).some((a) => a === "aws:kms" || a === "aws:kms:dsse"),
  },
  {
    id: "CKV_AWS_158",
    title: "Ensure that CloudWatch Log Group is encrypted by KMS",
    resourceType: "aws_cloudwatch_log_group",
    passes: (group) => typeof group.kms_key_id === "string" && group.kms_key_id !== "",
  },
  {
    id: "CKV_AWS_173",
    title: "Check encryption settings for Lambda environmental variable",
    resourceType: "aws_lambda_function",
    passes: (fn) =>
      fn.environment === undefined || (typeof fn.kms_key_arn === "string" && fn.kms_key_arn !== ""),
  },
  {
    id: "CKV_AWS_272",
    title: "Ensure AWS Lambda function is configured to validate code-signing",
    resourceType: "aws_lambda_function",
    passes: (fn) => typeof fn.code_signing_config_arn === "string" && fn.code_signing_config_arn !== "",
  },
  {
    id: "CKV_AWS_301",
    title: "Ensure that AWS Lambda function is not publicly accessible",
    resourceType: "aws_lambda_permission",
    passes: (permission) => permission.principal !== "*",
  },
  {
    id: "CKV_AWS_338",
    title: "Ensure CloudWatch log groups retains logs for at least 1 year",
    resourceType: "aws_cloudwatch_log_group",
    passes: (group) =>
      typeof group.retention_in_days === "number" &&
      (group.retention_in_days === 0 || group.retention_in_days >= 365),
  },
  {
    id: "CKV_AWS_364",
    title:
      "Ensure that AWS Lambda function permissions delegated to AWS services are limited by SourceArn or SourceAccount",
    resourceType: "aws_lambda_permission",
    passes: (permission) =>
      !/^[\w.-]+\.amazonaws\.com$/.test(String(permission.principal)) ||
      permission.source_arn !== undefined ||
      permission.source_account !== undefined,
  },
  {
    id: "CKV2_AWS_6",
    title: "Ensure that S3 bucket has a Public Access block",
    resourceType: "aws_s3_bucket",
    passes: (_bucket, name, stack) =>
      linked(stack, "aws_s3_bucket_public_access_block", name).some(
        (block) => block.block_public_acls === true && block.block_public_policy === true,
      ),
  },
  {
    id: "CKV2_AWS_61",
    title: "Ensure that an S3 bucket has a lifecycle configuration",
    resourceType: "aws_s3_bucket",
    passes: (bucket, name, stack) =>
      bucket.lifecycle_rule !== undefined ||
      linked(stack, "aws_s3_bucket_lifecycle_configuration", name).some((lifecycle) =>
        ((lifecycle.rule as Block[] | undefined) ?? []).some((rule) => rule.status === "Enabled"),
      ),
  },
];

interface CheckResult {
  readonly id: string;
  readonly resource: string;
  readonly passed: boolean;
}

export function runChecks(
  stack: SynthesizedStack,
  checks: readonly CheckovCheck[] = CHECKOV_CHECKS,
): CheckResult[] {
  return checks.flatMap((check) =>
    resourcesOf(stack, check.resourceType).map(([name, block]) => ({
      id: check.id,
      resource: `${check.resourceType}.${name}`,
      passed: check.passes(block, name, stack),
    })),
  );
}
