import { DrillBreak, type Say } from "../drill-break";
import type { PlannedResource, PlanView } from "../plan-view";
import { checkReevaluation, ReevaluationBreak } from "../reevaluation";

/** The schedule that re-evaluates the Config rule, checked by reevaluation.ts. */
export function checkRuleReevaluation(view: PlanView, ruleName: string, say: Say): void {
  const rule = view
    .resourcesOf("aws_config_config_rule")
    .find((candidate) => candidate.values.name === ruleName) as PlannedResource;
  try {
    for (const line of checkReevaluation(view, { address: rule.address, name: ruleName })) say(line);
  } catch (error) {
    if (error instanceof ReevaluationBreak) throw new DrillBreak("reevaluation", error.message);
    throw error;
  }
}
