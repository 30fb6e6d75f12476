import { COMPLIANCE_CHANGE_EVENT, EC2_INSTANCE_RESOURCE_TYPE, INSTANCE_STATE_CHANGE_EVENT } from "./contract";

/** EventBridge's documented limit on an event pattern. */
const MAX_EVENT_PATTERN_LENGTH = 2048;

/**
 * Matches only what the function may act on: a compliance change of this rule that made an EC2 instance
 * NON_COMPLIANT. Everything else never invokes the function, which keeps cost and noise down; the function
 * still checks every field itself, because the pattern is not its only caller (redrives, tests).
 */
export function remediationEventPattern(ruleName: string) {
  return {
    source: [COMPLIANCE_CHANGE_EVENT.source],
    "detail-type": [COMPLIANCE_CHANGE_EVENT.detailType],
    detail: {
      messageType: [COMPLIANCE_CHANGE_EVENT.messageType],
      configRuleName: [ruleName],
      resourceType: [EC2_INSTANCE_RESOURCE_TYPE],
      newEvaluationResult: { complianceType: [COMPLIANCE_CHANGE_EVENT.nonCompliant] },
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

/**
 * Matches every instance of the account and region entering `running`: Config reports a compliance change
 * only when compliance changes, so an unapproved instance started again after its stop sends nothing else.
 * The function asks Config whether the instance is NON_COMPLIANT before it acts.
 */
export function instanceRunningEventPattern() {
  return {
    source: [INSTANCE_STATE_CHANGE_EVENT.source],
    "detail-type": [INSTANCE_STATE_CHANGE_EVENT.detailType],
    detail: { state: [INSTANCE_STATE_CHANGE_EVENT.running] },
  };
}
