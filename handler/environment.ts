/**
 * The contract between the synthesized `aws_lambda_function` and the handler: the stack sets exactly
 * these variables (it imports this module), and the handler reads nothing else of its own.
 */
export const HANDLER_ENVIRONMENT = {
  /** The Config rule this function was deployed for; events about any other rule are ignored. */
  ruleName: "AMI_GUARD_RULE_NAME",
  /** The account and region of the stack; events from anywhere else are ignored. */
  accountId: "AMI_GUARD_ACCOUNT_ID",
  region: "AMI_GUARD_REGION",
  /** "true": log and notify what would happen, start nothing. */
  dryRun: "AMI_GUARD_DRY_RUN",
  /** Tag whose value "true", or an ISO date in the future, exempts an instance. */
  exemptionTagKey: "AMI_GUARD_EXEMPTION_TAG_KEY",
  /** SNS topic for remediated, guarded and failed events. */
  topicArn: "AMI_GUARD_TOPIC_ARN",
} as const;

export type HandlerEnvironmentKey = keyof typeof HANDLER_ENVIRONMENT;
