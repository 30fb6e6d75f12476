import { HANDLER_ENVIRONMENT } from "../../../lib/contract";
import { DrillBreak, firstObject, type Say } from "../drill-break";
import { describeStandIn, isObject, type PlannedResource, type PlanView, type StandIn } from "../plan-view";

/** The variables the plan gives the function: planned values when known, else its configuration. */
function resolveEnvironment(view: PlanView, fn: PlannedResource): Map<string, StandIn> {
  const known = firstObject(fn.values.environment)?.variables;
  if (isObject(known))
    return new Map(Object.entries(known).map(([name, value]) => [name, { value: String(value) }]));
  const unknown = firstObject(fn.afterUnknown.environment)?.variables;
  if (unknown !== true) return new Map();
  const expression = firstObject(fn.expressions.environment)?.variables;
  if (!isObject(expression) || !isObject(expression.constant_value)) {
    throw new DrillBreak(
      "function-environment",
      `✗ ${fn.address}'s environment is unknown until apply and its configuration gives no map to stand in from`,
    );
  }
  const variables = new Map<string, StandIn>();
  for (const [name, text] of Object.entries(expression.constant_value)) {
    try {
      variables.set(name, view.resolveTemplate(String(text), `${fn.address} variable ${name}`));
    } catch (error) {
      throw new DrillBreak("function-environment", `✗ ${(error as Error).message}`);
    }
  }
  return variables;
}

export function checkEnvironment(view: PlanView, fn: PlannedResource, say: Say): Record<string, string> {
  const variables = resolveEnvironment(view, fn);
  const names = [...variables.keys()].sort();
  const read = Object.values(HANDLER_ENVIRONMENT);
  const missing = read.filter((name) => !variables.has(name));
  if (missing.length > 0) {
    throw new DrillBreak(
      "function-environment",
      `✗ the function's environment does not set ${missing.join(", ")}, which the handler reads (handler/environment.ts); it sets ${names.join(", ") || "nothing"}`,
    );
  }
  say(`✓ the function's environment sets every variable the handler reads: ${read.join(", ")}`);
  for (const [name, standIn] of variables) {
    if (standIn.standsInFor) say(`· ${name}=${standIn.value}${describeStandIn(standIn)}`);
  }
  return Object.fromEntries([...variables].map(([name, standIn]) => [name, standIn.value]));
}
