import { CONFIG_RULE_SCOPE_FORMS, EC2_TAG_KEY_LIMITS } from "./aws-facts";
import { EC2_INSTANCE_RESOURCE_TYPE } from "./contract";

/** The Config rule's `scope` block for a scope, in the provider's terms. */
export interface RuleScopeBlock {
  readonly complianceResourceTypes?: string[];
  readonly tagKey?: string;
  readonly tagValue?: string;
}

/**
 * Which instances a pipeline evaluates and may stop. A pipeline alone in its account and region can take
 * every instance; pipelines side by side must each take the instances tagged for them, or each would stop
 * the other's instances (in effect the account would run the intersection of their lists).
 */
export class InstanceScope {
  /** Every EC2 instance in the account and region: the scope of a pipeline that is alone there. */
  static allInstances(): InstanceScope {
    return new InstanceScope(undefined);
  }

  /**
   * Only instances carrying tag `key` with exactly `value`. Pipelines side by side use one key with
   * different values (`team=web`, `team=data`), so no instance can belong to two of them.
   */
  static tagged(key: string, value: string): InstanceScope {
    return new InstanceScope({ key, value });
  }

  private constructor(
    /** `undefined` for every instance. */
    readonly tag: { readonly key: string; readonly value: string } | undefined,
  ) {}

  /** The rule's scope: resource types for every instance, the tag alone (the documented form) otherwise. */
  ruleScope(): RuleScopeBlock {
    return this.tag
      ? { tagKey: this.tag.key, tagValue: this.tag.value }
      : { complianceResourceTypes: [EC2_INSTANCE_RESOURCE_TYPE] };
  }

  /** `every instance` or `instances tagged team=web`, for messages. */
  describe(): string {
    return this.tag ? `instances tagged ${this.tag.key}=${this.tag.value}` : "every instance";
  }
}

/** Problems of a scope a JavaScript caller may have built by hand, or with bad tag text. */
export function instanceScopeProblems(scope: unknown): string[] {
  if (!(scope instanceof InstanceScope))
    return ["instanceScope: must be InstanceScope.allInstances() or InstanceScope.tagged(key, value)"];
  if (!scope.tag) return [];
  const problems: string[] = [];
  const { key, value } = scope.tag;
  const { tagKeyMaxLength, tagValueMaxLength } = CONFIG_RULE_SCOPE_FORMS.value;
  if (typeof key !== "string" || key.length === 0 || key.length > tagKeyMaxLength)
    problems.push(
      `instanceScope: the tag key must have 1 to ${tagKeyMaxLength} characters (${CONFIG_RULE_SCOPE_FORMS.source})`,
    );
  else if (key.toLowerCase().startsWith(EC2_TAG_KEY_LIMITS.value.reservedPrefix))
    problems.push(
      `instanceScope: the tag key must not start with "${EC2_TAG_KEY_LIMITS.value.reservedPrefix}", which AWS reserves`,
    );
  // An empty value would scope the rule to the key alone: instances of every value, every team.
  if (typeof value !== "string" || value.length === 0 || value.length > tagValueMaxLength)
    problems.push(
      `instanceScope: the tag value must have 1 to ${tagValueMaxLength} characters (${CONFIG_RULE_SCOPE_FORMS.source})`,
    );
  return problems;
}
