import { rmSync } from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { ConfigError, loadConfig } from "../app/config/load";
import { outdirFromEnvironment, synthesizeAtomically } from "../app/synth";
import {
  DEFAULT_PLANS_DIR,
  DEFAULT_SCRATCH_DIR,
  planStacks,
  type StackPlanResult,
} from "../tools/terraform/plan-stacks";
import { formatPlanLine } from "../tools/terraform/plan-summary";
import { TerraformToolingError } from "../tools/terraform/terraform-cli";

const USAGE = `npm run plan [-- --concurrency N] [--stack <name> ...] [--plans-dir DIR] [--scratch-dir DIR]`;

interface PlanArguments {
  readonly concurrency?: number;
  readonly stacks: readonly string[];
  readonly plansDir: string;
  readonly scratchDir: string;
}

function parseArguments(argv: readonly string[]): PlanArguments {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      concurrency: { type: "string" },
      stack: { type: "string", multiple: true },
      "plans-dir": { type: "string" },
      "scratch-dir": { type: "string" },
    },
    strict: true,
  });
  let concurrency: number | undefined;
  if (values.concurrency !== undefined) {
    concurrency = Number(values.concurrency);
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new UsageError(`--concurrency must be a whole number ≥ 1, got "${values.concurrency}"`);
    }
  }
  return {
    concurrency,
    stacks: values.stack ?? [],
    plansDir: values["plans-dir"] ?? DEFAULT_PLANS_DIR,
    scratchDir: values["scratch-dir"] ?? DEFAULT_SCRATCH_DIR,
  };
}

class UsageError extends Error {}

function reportStack(result: StackPlanResult): void {
  if (result.ok) {
    process.stdout.write(`${result.stackName}: ${formatPlanLine(result.counts)}\n`);
    return;
  }
  process.stdout.write(`${result.stackName}: FAILED in terraform ${result.step}\n`);
  process.stderr.write(`--- ${result.stackName}: terraform ${result.step} ---\n${result.output}\n\n`);
}

async function main(): Promise<void> {
  let args: PlanArguments;
  try {
    args = parseArguments(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\nusage: ${USAGE}\n`);
    process.exitCode = 1;
    return;
  }
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\nNothing was synthesized or planned.\n`);
    process.exitCode = 1;
    return;
  }
  const outdir = outdirFromEnvironment();
  const synth = await synthesizeAtomically(config, outdir);
  const unknown = args.stacks.filter((name) => !synth.stackNames.includes(name));
  if (unknown.length > 0) {
    process.stderr.write(
      `--stack ${unknown.join(", ")}: no such stack; this configuration has ${synth.stackNames.join(", ")}\n`,
    );
    process.exitCode = 1;
    return;
  }
  const stackNames = args.stacks.length > 0 ? args.stacks : synth.stackNames;
  // A full run replaces the folder, so plans of stacks the configuration no longer has do not linger.
  if (args.stacks.length === 0) rmSync(args.plansDir, { recursive: true, force: true });

  let run: Awaited<ReturnType<typeof planStacks>>;
  try {
    run = await planStacks({
      synthDir: synth.outdir,
      stackNames,
      plansDir: args.plansDir,
      scratchDir: args.scratchDir,
      concurrency: args.concurrency,
      onReady: ({ installation }) => {
        if (installation.note) process.stdout.write(`${installation.note}\n`);
      },
      onStackFinished: reportStack,
    });
  } catch (error) {
    if (!(error instanceof TerraformToolingError)) throw error;
    process.stderr.write(`${error.message}\nNothing was planned.\n`);
    process.exitCode = 1;
    return;
  }
  const planned = run.results.filter((result) => result.ok);
  const failed = run.results.filter((result) => !result.ok);
  const total = planned.reduce(
    (sum, result) => ({
      add: sum.add + result.counts.add,
      change: sum.change + result.counts.change,
      destroy: sum.destroy + result.counts.destroy,
    }),
    { add: 0, change: 0, destroy: 0 },
  );
  process.stdout.write(
    `Total: ${planned.length} of ${run.results.length} stack(s) planned, ${total.add} to add, ${total.change} to change, ${total.destroy} to destroy. Plans in ${path.relative(process.cwd(), path.resolve(args.plansDir)) || "."}/\n`,
  );
  if (failed.length > 0) {
    process.stderr.write(`${failed.length} stack(s) failed: ${failed.map((r) => r.stackName).join(", ")}\n`);
    process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `ami-guard plan failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
});
