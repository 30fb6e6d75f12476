/*
 * The rule's parameters as text, apart from the construct: the configuration checks the limits on this text
 * without loading cdktf and the provider (lib/approved-amis-rule.ts re-exports it).
 */

/** The rule's InputParameters exactly as AWS Config receives them; the limits are checked on this text. */
export function ruleInputParameters(approvedAmiIds: readonly string[]): string {
  return JSON.stringify({ amiIds: approvedAmiIds.join(",") });
}
