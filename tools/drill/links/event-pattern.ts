import { DrillBreak, type Say } from "../drill-break";
import { matchesEventPattern, UnsupportedPatternError } from "../event-pattern-matcher";
import { describeMismatch, firstPatternMismatch } from "../pattern-mismatch";
import type { PlannedResource, PlanView } from "../plan-view";
import { DRILL_INSTANCE_ID, type DrillEvent, fillSampleEvent, IGNORED_VARIANTS } from "../sample-event";

/** Config sends compliance changes to the default bus; a rule without a bus name listens there. */
export function busOf(resource: PlannedResource): string {
  const bus = resource.values.event_bus_name;
  return typeof bus === "string" ? bus : "default";
}

function parsePattern(resource: PlannedResource): unknown {
  try {
    return JSON.parse(String(resource.values.event_pattern));
  } catch (error) {
    throw new DrillBreak(
      "event-pattern",
      `✗ event rule ${resource.values.name}'s pattern is not JSON: ${(error as Error).message}`,
    );
  }
}

function matches(resource: PlannedResource, pattern: unknown, event: DrillEvent): boolean {
  try {
    return matchesEventPattern(pattern, event);
  } catch (error) {
    if (!(error instanceof UnsupportedPatternError)) throw error;
    throw new DrillBreak("event-pattern", `✗ event rule ${resource.values.name}: ${error.message}`);
  }
}

/** The event rule that lets the recorded event through, and lets none of its ignored variants through. */
export function checkPattern(
  view: PlanView,
  ruleName: string,
  event: DrillEvent,
  template: string,
  say: Say,
): PlannedResource {
  const candidates = view
    .resourcesOf("aws_cloudwatch_event_rule")
    .filter((resource) => typeof resource.values.event_pattern === "string");
  if (candidates.length === 0) {
    throw new DrillBreak(
      "event-pattern",
      "✗ the plan creates no EventBridge rule with an event pattern: compliance changes reach no function",
    );
  }
  const matching = candidates.filter((resource) => matches(resource, parsePattern(resource), event));
  const [eventRule] = matching;
  if (!eventRule) {
    const [first] = candidates as [PlannedResource];
    const mismatch = firstPatternMismatch(parsePattern(first), event);
    const name = first.values.name;
    if (mismatch?.field === "detail.configRuleName") {
      throw new DrillBreak(
        "event-pattern",
        `✗ event rule ${name}'s pattern names rule ${mismatch.expected.map((v) => JSON.stringify(v)).join(", ")} but the Config rule is "${ruleName}"`,
      );
    }
    throw new DrillBreak(
      "event-pattern",
      `✗ event rule ${name}'s pattern does not match the recorded NON_COMPLIANT event: ${mismatch ? describeMismatch(mismatch) : "no field explains it"}`,
    );
  }
  const name = eventRule.values.name;
  if (busOf(eventRule) !== "default") {
    throw new DrillBreak(
      "event-pattern",
      `✗ event rule ${name} listens on the event bus "${busOf(eventRule)}"; Config sends compliance changes to "default"`,
    );
  }
  say(`✓ event rule ${name}'s pattern matches the recorded NON_COMPLIANT event`);
  const pattern = parsePattern(eventRule);
  for (const variant of IGNORED_VARIANTS) {
    const ignored = variant.make(
      fillSampleEvent(template, {
        account: String(event.account),
        region: String(event.region),
        rule: ruleName,
        instance: DRILL_INSTANCE_ID,
      }),
    );
    if (matches(eventRule, pattern, ignored)) {
      throw new DrillBreak(
        "event-pattern",
        `✗ event rule ${name}'s pattern also matches the ${variant.label} variant: the function would be invoked for it`,
      );
    }
    say(`✓ event rule ${name}'s pattern ignores the ${variant.label} variant`);
  }
  return eventRule;
}
