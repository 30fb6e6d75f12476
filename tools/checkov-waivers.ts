/**
 * The checkov checks ami-guard does not pass, each with the reason a platform team can accept. This is
 * the one place waivers live: the policy suite fails on a check that fails without a waiver here, and on
 * a waiver whose check passes (so a fixed finding cannot keep its stale excuse). To run checkov itself
 * on `cdktf.out`, pass these ids to `--skip-check`.
 */
export const CHECKOV_WAIVERS: Readonly<Record<string, string>> = {
  CKV_AWS_18:
    "S3 access logging needs a second bucket per account and region (and that bucket's own logging). The Config bucket is written only by AWS Config; who read or changed it is recorded by CloudTrail, which platform teams run account-wide.",
  CKV_AWS_145:
    "The Config bucket uses SSE-S3 (AES256) with public access blocked and TLS enforced. A CMK would cost a key per account and region even in audit mode, add KMS charges per delivery, and need a key grant for Config; the snapshots hold EC2 instance configuration, not secrets.",
  CKV_AWS_115:
    "No concurrency is reserved by default: a reservation must leave the account 100 executions unreserved (Lambda's PutFunctionConcurrency reference), new accounts often have a quota of 10, and a refused reservation fails the first apply after the function was created. Set remediation.reservedConcurrentExecutions once npm run preflight shows the account can spare it; the check then passes.",
  CKV_AWS_116:
    "The function is invoked asynchronously; its failures go to an on_failure destination (an SQS queue), which AWS recommends over dead_letter_config and which records the error with the event. Setting both would dead-letter every failure twice.",
  CKV_AWS_117:
    "The function only calls AWS APIs (Config, EC2, SNS) over their public endpoints; a VPC would add subnets, security groups and endpoints or a NAT gateway, and protect nothing the function reaches.",
  CKV_AWS_173:
    "The function's environment holds no secrets: the rule name, account id, region, dry-run flag, tag key and topic ARN. Lambda encrypts it at rest with an AWS-owned key; a CMK would add a key grant to the function's role for no confidentiality gain.",
  CKV_AWS_272:
    "Code signing needs an AWS Signer profile that the deploying platform team owns; ami-guard builds a reproducible zip whose hash the plan shows (source_code_hash), so review sees any change to the code.",
};
