import * as path from "node:path";
import { stackNameFor } from "../../app/ami-guard-stack";
import type { AmiGuardConfig, Target } from "../../app/config";
import { synthesizeAtomically } from "../../app/synth";
import { AwsLoopback } from "../loopback/aws-loopback";
import {
  DEFAULT_PLANS_DIR,
  DEFAULT_SCRATCH_DIR,
  type PlanStacksOptions,
  planStacks,
  type StackPlanResult,
} from "../terraform/plan-stacks";
import { formatPlanLine } from "../terraform/plan-summary";
import { drillStack, type StackDrillReport } from "./drill-stack";
import { readSampleEventTemplate, SAMPLE_EVENT_PATH } from "./sample-event";

/** The drill plans exactly as `npm run plan` does, with the same folders and settings. */
interface DrillOptions extends Pick<PlanStacksOptions, "scratchDir" | "plansDir" | "concurrency" | "env"> {
  readonly config: AmiGuardConfig;
  /** Where synthesis writes the stacks. @default "cdktf.out" */
  readonly synthDir?: string;
  /** The recorded event. @default SAMPLE_EVENT_PATH */
  readonly sampleEventPath?: string;
  /** Called with each line as it is decided, so a long run prints as it goes. @default - nothing */
  readonly onLine?: (line: string) => void;
}

export interface DrillRun {
  readonly reports: readonly StackDrillReport[];
  /** Stacks not drilled because an earlier one broke. */
  readonly skipped: readonly string[];
  /** The first break, named: `<stack>: <link>: <message>`. */
  readonly firstBreak?: string;
}

function targetOf(config: AmiGuardConfig, stackName: string): Target {
  const target = config.targets.find((candidate) => stackNameFor(candidate) === stackName);
  if (!target) throw new Error(`${stackName} is not a stack of the configuration`);
  return target;
}

function planFailure(result: Extract<StackPlanResult, { ok: false }>, target: Target): StackDrillReport {
  return {
    stackName: result.stackName,
    mode: target.mode,
    steps: [],
    broken: {
      link: "plan",
      message: `✗ terraform ${result.step} failed, so there is no plan to drill:\n${result.output}`,
    },
  };
}

/**
 * Synthesizes and plans every stack of the configuration exactly as `npm run plan` does (always fresh: a
 * drill of a stale plan would prove an old wiring), then drills each stack from its plan, stopping at the
 * first break.
 */
export async function drillConfiguration(options: DrillOptions): Promise<DrillRun> {
  const say = options.onLine ?? (() => undefined);
  const template = readSampleEventTemplate(options.sampleEventPath ?? SAMPLE_EVENT_PATH);
  const synth = await synthesizeAtomically(options.config, options.synthDir ?? "cdktf.out");
  const scratchDir = path.resolve(options.scratchDir ?? DEFAULT_SCRATCH_DIR);
  const run = await planStacks({
    synthDir: synth.outdir,
    stackNames: synth.stackNames,
    scratchDir,
    plansDir: options.plansDir ?? DEFAULT_PLANS_DIR,
    ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
    ...(options.env ? { env: options.env } : {}),
    onStackFinished: (result) =>
      say(
        result.ok
          ? `planned ${result.stackName}: ${formatPlanLine(result.counts)}`
          : `planned ${result.stackName}: FAILED in terraform ${result.step}`,
      ),
  });
  return drillPlans({
    config: options.config,
    results: run.results,
    scratchDir,
    eventTemplate: template,
    say,
  });
}

interface DrillPlansInput {
  readonly config: AmiGuardConfig;
  /** The plans of the configuration's stacks, in the order they are drilled. */
  readonly results: readonly StackPlanResult[];
  /** The scratch folder the plans were made in, holding `stacks/<stack>` with each stack's assets. */
  readonly scratchDir: string;
  readonly eventTemplate: string;
  readonly say: (line: string) => void;
}

/** Drills each planned stack from its plan, stopping at the first break. */
export async function drillPlans(input: DrillPlansInput): Promise<DrillRun> {
  const { say } = input;
  const aws = await AwsLoopback.start();
  const reports: StackDrillReport[] = [];
  try {
    for (const [index, result] of input.results.entries()) {
      say(`${result.stackName}:`);
      const target = targetOf(input.config, result.stackName);
      const report = result.ok
        ? await drillStack({
            stackName: result.stackName,
            target,
            plan: result.plan,
            planDir: path.join(input.scratchDir, "stacks", result.stackName),
            eventTemplate: input.eventTemplate,
            aws,
            onStep: (line) => say(`  ${line}`),
          })
        : planFailure(result, target);
      reports.push(report);
      if (report.broken) {
        say(`  ${report.broken.message}`);
        return {
          reports,
          skipped: input.results.slice(index + 1).map((later) => later.stackName),
          firstBreak: `${report.stackName}: ${report.broken.link}: ${report.broken.message}`,
        };
      }
    }
    return { reports, skipped: [] };
  } finally {
    await aws.stop();
  }
}
