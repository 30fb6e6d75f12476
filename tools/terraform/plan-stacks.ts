import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import * as path from "node:path";
import { mapWithConcurrency } from "./concurrency";
import { recordOfFailure, recordOfPlan, SUMMARY_SUFFIX } from "./plan-aggregate";
import { classifyChanges, countChanges, type PlanCounts, type PlanJson, summarizePlan } from "./plan-summary";
import {
  type ProviderInstallation,
  resolveProviderInstallation,
  terraformEnvironment,
} from "./provider-mirror";
import { prepareScratchStack } from "./scratch";
import { type CommandResult, checkTerraformBinary, runCommand, terraformBinary } from "./terraform-cli";

export const DEFAULT_SCRATCH_DIR = ".terraform-scratch";
export const DEFAULT_PLANS_DIR = "plans";
const PLAN_FILE = "tfplan";

export interface PlanStacksOptions {
  /** The folder synthesis wrote, holding `stacks/<stack>/cdk.tf.json`. */
  readonly synthDir: string;
  /** Stacks to plan, in the order their lines are reported. */
  readonly stackNames: readonly string[];
  /** Scratch copies, the CLI configuration and the shared plugin cache. @default ".terraform-scratch" */
  readonly scratchDir?: string;
  /** Where `<stack>.plan.txt`, `.plan.json` and `.plan.md` are kept. @default "plans" */
  readonly plansDir?: string;
  /** Stacks planned at the same time. @default - the number of cores */
  readonly concurrency?: number;
  /** Environment Terraform runs with (PATH, the mirror variable). @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** Mirror used when AMI_GUARD_PROVIDER_MIRROR is unset and it holds hashicorp/aws. @default "/opt/tf-plugins" */
  readonly defaultMirror?: string;
  /** Called once the binary and the providers are settled, before any stack starts. @default - nothing */
  readonly onReady?: (tooling: TerraformTooling) => void;
  /** Called as each stack finishes, so a long run reports progress. @default - nothing */
  readonly onStackFinished?: (result: StackPlanResult) => void;
  /**
   * What each stack is planned against. `offline`: a scratch copy with fake credentials and a copy of any
   * local state, so nothing real is touched. `backend`: the synthesized folder itself, with its real
   * backend and the caller's credentials, refreshing state and waiting up to 5 minutes for a state lock
   * (what CI does with the plan role). @default "offline"
   */
  readonly against?: PlanTarget;
}

export const PLAN_TARGETS = ["offline", "backend"] as const;
export type PlanTarget = (typeof PLAN_TARGETS)[number];

type TerraformStep = "prepare" | "init" | "validate" | "plan" | "show";

interface PlanFiles {
  readonly text: string;
  readonly json: string;
  readonly markdown: string;
  /** The small record the aggregated comment is built from (plan-aggregate.ts). */
  readonly summary: string;
}

export interface StackPlanSuccess {
  readonly ok: true;
  readonly stackName: string;
  readonly counts: PlanCounts;
  readonly plan: PlanJson;
  readonly files: PlanFiles;
}

interface StackPlanFailure {
  readonly ok: false;
  readonly stackName: string;
  readonly step: TerraformStep;
  /** What Terraform printed, errors first. */
  readonly output: string;
}

export type StackPlanResult = StackPlanSuccess | StackPlanFailure;

interface TerraformTooling {
  /** First line of `terraform version`. */
  readonly terraformVersion: string;
  readonly installation: ProviderInstallation;
}

export interface PlanRun extends TerraformTooling {
  readonly results: readonly StackPlanResult[];
}

class StepFailure extends Error {
  constructor(
    readonly step: TerraformStep,
    readonly output: string,
  ) {
    super(`terraform ${step} failed`);
  }
}

/**
 * Plans every stack offline: each in its own scratch copy, with fake credentials, providers from the
 * mirror and one plugin cache. The binary and the mirror are checked first, so a missing tool fails once
 * with its name rather than once per stack.
 */
export async function planStacks(options: PlanStacksOptions): Promise<PlanRun> {
  const env = options.env ?? process.env;
  const terraformVersion = await checkTerraformBinary(env);
  const installation = resolveProviderInstallation(env, { defaultMirror: options.defaultMirror });
  const scratchDir = path.resolve(options.scratchDir ?? DEFAULT_SCRATCH_DIR);
  const plansDir = path.resolve(options.plansDir ?? DEFAULT_PLANS_DIR);
  mkdirSync(scratchDir, { recursive: true });
  mkdirSync(plansDir, { recursive: true });
  const childEnv = terraformEnvironment(env, installation, scratchDir);
  const binary = terraformBinary(env);
  options.onReady?.({ terraformVersion, installation });
  const initOnce = firstCallAlone();

  const results = await mapWithConcurrency(
    options.stackNames,
    options.concurrency ?? availableParallelism(),
    async (stackName) => {
      const result = await planOneStack({
        stackName,
        synthDir: path.resolve(options.synthDir),
        scratchStacksDir: path.join(scratchDir, "stacks"),
        plansDir,
        run: (args, cwd) => runCommand(binary, args, { cwd, env: childEnv }),
        initOnce,
        against: options.against ?? "offline",
      });
      options.onStackFinished?.(result);
      return result;
    },
  );
  return { terraformVersion, installation, results };
}

/**
 * The plugin cache is not safe for concurrent writers (hashicorp/terraform#31964: two inits installing
 * the same provider corrupt it): the first `init` fills it alone, and every later one only links to it.
 */
function firstCallAlone(): <T>(work: () => Promise<T>) => Promise<T> {
  let first: Promise<unknown> | undefined;
  return async (work) => {
    if (!first) {
      const running = work();
      first = running;
      return running;
    }
    await first.catch(() => undefined);
    return work();
  };
}

interface StackJob {
  readonly stackName: string;
  readonly synthDir: string;
  readonly scratchStacksDir: string;
  readonly plansDir: string;
  readonly run: (args: readonly string[], cwd: string) => Promise<CommandResult>;
  readonly initOnce: <T>(work: () => Promise<T>) => Promise<T>;
  readonly against: PlanTarget;
}

/** State lock waits in backend mode: a deploy holding the lock finishes its apply instead of failing the plan. */
const LOCK_TIMEOUT = "-lock-timeout=5m";

async function planOneStack(job: StackJob): Promise<StackPlanResult> {
  const { stackName } = job;
  const files: PlanFiles = {
    text: path.join(job.plansDir, `${stackName}.plan.txt`),
    json: path.join(job.plansDir, `${stackName}.plan.json`),
    markdown: path.join(job.plansDir, `${stackName}.plan.md`),
    summary: path.join(job.plansDir, `${stackName}${SUMMARY_SUFFIX}`),
  };
  // A failed run must not leave an earlier, successful plan of this stack looking current.
  for (const file of Object.values(files)) rmSync(file, { force: true });
  try {
    let workdir: string;
    try {
      workdir =
        job.against === "backend"
          ? path.join(job.synthDir, "stacks", stackName)
          : prepareScratchStack(job.synthDir, stackName, job.scratchStacksDir);
    } catch (error) {
      throw new StepFailure("prepare", (error as Error).message);
    }
    const step = async (name: TerraformStep, args: readonly string[]): Promise<string> => {
      const result = await job.run(args, workdir);
      if (result.exitCode !== 0) throw new StepFailure(name, `${result.stderr}${result.stdout}`.trim());
      return result.stdout;
    };
    await job.initOnce(() => step("init", ["init", "-input=false", "-no-color"]));
    // Offline, the credentials are fake, so refreshing existing resources can only fail: the plan compares
    // the configuration with the saved state as it is. Against the backend, it refreshes like any plan.
    const planArgs = [
      "plan",
      "-input=false",
      "-no-color",
      ...(job.against === "backend" ? [LOCK_TIMEOUT] : ["-refresh=false"]),
      `-out=${PLAN_FILE}`,
    ];
    // `plan` validates the configuration itself, so a separate `validate` (a provider start, about a third
    // of a stack's CPU) runs only when the plan fails: its verdict says whether the configuration or the
    // planning was at fault.
    const plannedRun = await job.run(planArgs, workdir);
    if (plannedRun.exitCode !== 0) {
      await step("validate", ["validate", "-no-color"]);
      throw new StepFailure("plan", `${plannedRun.stderr}${plannedRun.stdout}`.trim());
    }
    const planned = plannedRun.stdout;
    // The plan's own output is what `terraform show -no-color` renders for the saved plan, after the lines
    // reporting data sources being read; taking it from there saves one provider start per stack.
    const text = withoutProgressLines(planned);
    const json = await step("show", ["show", "-json", PLAN_FILE]);
    const plan = JSON.parse(json) as PlanJson;
    writeFileSync(files.text, text);
    writeFileSync(files.json, json);
    writeFileSync(files.markdown, summarizePlan(stackName, plan));
    writeFileSync(files.summary, JSON.stringify(recordOfPlan(stackName, plan)));
    return { ok: true, stackName, counts: countChanges(classifyChanges(plan)), plan, files };
  } catch (error) {
    if (error instanceof StepFailure) {
      // The record says it failed, so the aggregated comment names the stack instead of missing it.
      writeFileSync(files.summary, JSON.stringify(recordOfFailure(stackName, error.step)));
      return { ok: false, stackName, step: error.step, output: error.output };
    }
    throw error;
  }
}

const PROGRESS_LINE = /^\S+: (Reading\.\.\.|Read complete after .*)$/;

/** Drops the leading `<data source>: Reading...` / `Read complete after …` lines Terraform prints while planning. */
function withoutProgressLines(planOutput: string): string {
  const lines = planOutput.split("\n");
  const first = lines.findIndex((line) => !PROGRESS_LINE.test(line));
  return lines.slice(first === -1 ? lines.length : first).join("\n");
}
