import { EC2_INSTANCE_RESOURCE_TYPE } from "./approved-amis-rule";

/** EventBridge's documented limit on an event pattern. */
export const MAX_EVENT_PATTERN_LENGTH = 2048;

/**
 * Matches only what the function may act on: a compliance change of this rule that made an EC2 instance
 * NON_COMPLIANT. Everything else never invokes the function, which keeps cost and noise down; the function
 * still checks every field itself, because the pattern is not its only caller (redrives, tests).
 */
export function remediationEventPattern(ruleName: string) {
  return {
    source: ["aws.config"],
    "detail-type": ["Config Rules Compliance Change"],
    detail: {
      messageType: ["ComplianceChangeNotification"],
      configRuleName: [ruleName],
      resourceType: [EC2_INSTANCE_RESOURCE_TYPE],
      newEvaluationResult: { complianceType: ["NON_COMPLIANT"] },
    },
  };
}

export function renderEventPattern(ruleName: string): string {
  const pattern = JSON.stringify(remediationEventPattern(ruleName));
  if (pattern.length > MAX_EVENT_PATTERN_LENGTH) {
    throw new Error(
      `the event pattern is ${pattern.length} characters; EventBridge accepts ${MAX_EVENT_PATTERN_LENGTH}`,
    );
  }
  return pattern;
}
