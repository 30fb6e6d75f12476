import { DrillBreak, type Say } from "../drill-break";
import { matchesEventPattern, UnsupportedPatternError } from "../event-pattern-matcher";
import type { PlannedResource, PlanView } from "../plan-view";
import {
  DRILL_INSTANCE_ID,
  fillSampleEvent,
  readSampleEventTemplate,
  SAMPLE_INSTANCE_RUNNING_EVENT_PATH,
} from "../sample-event";
import { busOf } from "./event-pattern";
import { checkTarget } from "./event-target";
import { checkPermission } from "./invoke-permission";

/**
 * Config reports a compliance change only when compliance changes: an unapproved instance started again
 * after its stop reaches the function only through a rule that matches EC2's running-state event, targets
 * the same function, and may invoke it.
 */
export function checkInstanceRunningRule(
  view: PlanView,
  fn: PlannedResource,
  target: { readonly accountId: string; readonly region: string },
  say: Say,
): void {
  const event = fillSampleEvent(readSampleEventTemplate(SAMPLE_INSTANCE_RUNNING_EVENT_PATH), {
    account: target.accountId,
    region: target.region,
    rule: "",
    instance: DRILL_INSTANCE_ID,
  });
  const matching = view
    .resourcesOf("aws_cloudwatch_event_rule")
    .filter((resource) => typeof resource.values.event_pattern === "string" && busOf(resource) === "default")
    .filter((resource) => {
      try {
        return matchesEventPattern(JSON.parse(String(resource.values.event_pattern)), event);
      } catch (error) {
        if (error instanceof UnsupportedPatternError || error instanceof SyntaxError) return false;
        throw error;
      }
    });
  const [rule] = matching;
  if (!rule) {
    throw new DrillBreak(
      "instance-running",
      "✗ no EventBridge rule on the default bus matches EC2's running-state event: an unapproved instance started again after its stop would run unseen",
    );
  }
  say(`✓ event rule ${rule.values.name} lets EC2's running-state event for ${DRILL_INSTANCE_ID} through`);
  const runningFn = checkTarget(view, rule, say);
  if (runningFn.address !== fn.address) {
    throw new DrillBreak(
      "instance-running",
      `✗ event rule ${rule.values.name} sends running-state events to ${runningFn.values.function_name}, not to ${fn.values.function_name}, the function the compliance rule invokes`,
    );
  }
  checkPermission(view, fn, rule, say);
}
