import { DrillBreak, type DrillLink, type Say } from "../drill-break";
import { describeStandIn, type PlannedResource, type PlanView, type StandIn } from "../plan-view";
import { busOf } from "./event-pattern";

export function functionArn(view: PlanView, fn: PlannedResource): string {
  return view.fakeValueOf(`${fn.address}.arn`);
}

export function resolved(
  view: PlanView,
  resource: PlannedResource,
  attribute: string,
  link: DrillLink,
): StandIn | undefined {
  try {
    return view.stringAttribute(resource, attribute);
  } catch (error) {
    throw new DrillBreak(link, `✗ ${(error as Error).message}`);
  }
}

/** The function the rule's target invokes. */
export function checkTarget(view: PlanView, eventRule: PlannedResource, say: Say): PlannedResource {
  const ruleName = eventRule.values.name;
  const targets = view
    .resourcesOf("aws_cloudwatch_event_target")
    .filter((target) => target.values.rule === ruleName && busOf(target) === busOf(eventRule));
  if (targets.length === 0) {
    throw new DrillBreak(
      "event-target",
      `✗ event rule ${ruleName} has no target: the events it matches would go nowhere`,
    );
  }
  const functions = view.resourcesOf("aws_lambda_function");
  const sentTo: string[] = [];
  for (const target of targets) {
    const arn = resolved(view, target, "arn", "event-target");
    if (!arn) continue;
    sentTo.push(arn.value);
    const fn = functions.find((candidate) => functionArn(view, candidate) === arn.value);
    if (fn) {
      say(
        `✓ event rule ${ruleName}'s target "${target.values.target_id}" invokes function ${fn.values.function_name}, ${arn.value}${describeStandIn(arn)}`,
      );
      return fn;
    }
  }
  throw new DrillBreak(
    "event-target",
    `✗ event rule ${ruleName}'s target(s) send events to ${sentTo.join(", ") || "(no known ARN)"}, which is no function this stack creates (${functions.map((fn) => functionArn(view, fn)).join(", ") || "none"})`,
  );
}
