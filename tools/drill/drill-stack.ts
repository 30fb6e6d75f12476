import type { RemediationMode } from "../../app/config/schema";
import type { AwsLoopback } from "../loopback/aws-loopback";
import { DrillBreak, type DrillLink, type Say } from "./drill-break";
import { checkConfigRule } from "./links/config-rule";
import { checkPattern } from "./links/event-pattern";
import { checkTarget } from "./links/event-target";
import { checkEnvironment } from "./links/function-environment";
import { runFunction } from "./links/function-run";
import { checkInstanceRunningRule } from "./links/instance-running";
import { checkPermission } from "./links/invoke-permission";
import { checkRuleReevaluation } from "./links/reevaluation";
import { checkRemediation } from "./links/remediation";
import { type DrillPlanJson, PlanView } from "./plan-view";
import { DRILL_INSTANCE_ID, fillSampleEvent } from "./sample-event";

interface StackDrillInput {
  readonly stackName: string;
  /** What the configuration deploys the stack for; the plan is checked against it. */
  readonly target: { readonly accountId: string; readonly region: string; readonly mode: RemediationMode };
  /** `terraform show -json` of the stack's offline plan. */
  readonly plan: DrillPlanJson;
  /** The folder the plan was made in: the plan's relative file names (the Lambda zip) resolve against it. */
  readonly planDir: string;
  /** The recorded event's text, placeholders unfilled. */
  readonly eventTemplate: string;
  /** The loopback AWS endpoint the function runs against (event-driven stacks only). */
  readonly aws?: AwsLoopback;
  /** Called with each step's line as it passes (`✓ …`) or is noted (`· …`). @default - nothing */
  readonly onStep?: (line: string) => void;
}

export interface StackDrillReport {
  readonly stackName: string;
  readonly mode: RemediationMode;
  /** Each passed or noted step, in order. */
  readonly steps: readonly string[];
  /** The first link that broke; undefined when the whole path holds. */
  readonly broken?: { readonly link: DrillLink; readonly message: string };
}

/** Walks the stack's path from its plan and reports each step; stops at the first link that breaks. */
export async function drillStack(input: StackDrillInput): Promise<StackDrillReport> {
  const steps: string[] = [];
  const say = (line: string) => {
    steps.push(line);
    input.onStep?.(line);
  };
  const report = { stackName: input.stackName, mode: input.target.mode };
  try {
    await walk(input, say);
    return { ...report, steps };
  } catch (error) {
    if (error instanceof DrillBreak)
      return { ...report, steps, broken: { link: error.link, message: error.message } };
    throw error;
  }
}

async function walk(input: StackDrillInput, say: Say): Promise<void> {
  const view = new PlanView(input.plan, input.target);
  const planRegion = view.providerRegion();
  if (planRegion !== input.target.region) {
    throw new DrillBreak(
      "plan",
      `✗ the plan's aws provider deploys to region ${planRegion ?? "(unknown)"}, but the stack's target is ${input.target.region}`,
    );
  }
  const rule = checkConfigRule(view, say);
  checkRuleReevaluation(view, rule, say);
  const mode = input.target.mode;
  if (mode === "audit") {
    say("· audit mode: the rule only reports compliance; no remediation, event rule or function to drill");
    return;
  }
  if (mode === "manual" || mode === "automatic") {
    checkRemediation(view, rule, mode, say);
    return;
  }
  const event = fillSampleEvent(input.eventTemplate, {
    account: input.target.accountId,
    region: input.target.region,
    rule,
    instance: DRILL_INSTANCE_ID,
  });
  say(
    `· the recorded event, filled in: account ${input.target.accountId}, region ${input.target.region}, rule ${rule}, instance ${DRILL_INSTANCE_ID}`,
  );
  const eventRule = checkPattern(view, rule, event, input.eventTemplate, say);
  const fn = checkTarget(view, eventRule, say);
  checkPermission(view, fn, eventRule, say);
  checkInstanceRunningRule(view, fn, input.target, say);
  const variables = checkEnvironment(view, fn, say);
  if (!input.aws)
    throw new Error("an event-driven stack needs the loopback AWS endpoint to run its function");
  await runFunction({ view, fn, variables, event, rule, planDir: input.planDir, aws: input.aws }, say);
  checkRemediation(view, rule, mode, say);
}
