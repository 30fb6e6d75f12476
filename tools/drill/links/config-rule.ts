import { DrillBreak, EC2_INSTANCE, firstObject, type Say } from "../drill-break";
import type { PlanView } from "../plan-view";

const CONFIG_RULE_IDENTIFIER = "APPROVED_AMIS_BY_ID";

/** The one Config rule running the managed rule over EC2 instances; returns its name. */
export function checkConfigRule(view: PlanView, say: Say): string {
  const rules = view
    .resourcesOf("aws_config_config_rule")
    .filter((rule) => firstObject(rule.values.source)?.source_identifier === CONFIG_RULE_IDENTIFIER);
  const [rule] = rules;
  if (!rule || rules.length !== 1) {
    throw new DrillBreak(
      "config-rule",
      `✗ the plan creates ${rules.length} Config rule(s) with the managed rule ${CONFIG_RULE_IDENTIFIER}, not exactly one`,
    );
  }
  const name = rule.values.name;
  if (typeof name !== "string")
    throw new DrillBreak("config-rule", `✗ the Config rule ${rule.address} has no known name`);
  const scope = firstObject(rule.values.scope)?.compliance_resource_types;
  if (!Array.isArray(scope) || !scope.includes(EC2_INSTANCE)) {
    throw new DrillBreak(
      "config-rule",
      `✗ Config rule ${name} is scoped to ${JSON.stringify(scope ?? [])}, not ${EC2_INSTANCE}: it would evaluate no instance`,
    );
  }
  say(`✓ Config rule ${name} (${CONFIG_RULE_IDENTIFIER}) evaluates ${EC2_INSTANCE}`);
  return name;
}
