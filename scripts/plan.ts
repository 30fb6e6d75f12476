import { readFileSync, rmSync } from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { formatWarnings, loadConfigForCommand } from "../app/config/load";
import { formatShard, parseShard, type Shard, stacksOfShard } from "../app/shards";
import { outdirFromEnvironment, synthesizeAtomically } from "../app/synth";
import {
  DEFAULT_PLANS_DIR,
  DEFAULT_SCRATCH_DIR,
  PLAN_TARGETS,
  type PlanTarget,
  planStacks,
  type StackPlanResult,
} from "../tools/terraform/plan-stacks";
import { formatPlanLine } from "../tools/terraform/plan-summary";
import { TerraformToolingError } from "../tools/terraform/terraform-cli";

const USAGE = `npm run plan [-- --concurrency N] [--stack <name> ...] [--stacks-file FILE] [--shard I/N] [--against offline|backend] [--plans-dir DIR] [--scratch-dir DIR]`;

interface PlanArguments {
  readonly concurrency?: number;
  readonly stacks: readonly string[];
  /** A JSON file naming the stacks to plan: an array, or changed-stacks.ts's `{ "changed": [...] }`. */
  readonly stacksFile?: string;
  readonly shard?: Shard;
  readonly against: PlanTarget;
  readonly plansDir: string;
  readonly scratchDir: string;
}

function parseArguments(argv: readonly string[]): PlanArguments {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      concurrency: { type: "string" },
      stack: { type: "string", multiple: true },
      "stacks-file": { type: "string" },
      shard: { type: "string" },
      against: { type: "string", default: "offline" },
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
  let shard: Shard | undefined;
  if (values.shard !== undefined) {
    try {
      shard = parseShard(values.shard);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
  }
  const against = values.against as PlanTarget;
  if (!PLAN_TARGETS.includes(against)) {
    throw new UsageError(
      `--against must be ${PLAN_TARGETS.map((t) => `"${t}"`).join(" or ")}, got "${against}"`,
    );
  }
  return {
    concurrency,
    stacks: values.stack ?? [],
    ...(values["stacks-file"] ? { stacksFile: values["stacks-file"] } : {}),
    ...(shard ? { shard } : {}),
    against,
    plansDir: values["plans-dir"] ?? DEFAULT_PLANS_DIR,
    scratchDir: values["scratch-dir"] ?? DEFAULT_SCRATCH_DIR,
  };
}

class UsageError extends Error {}

function readStacksFile(file: string): string[] {
  const parsed: unknown = JSON.parse(readFileSync(file, "utf8"));
  const list = Array.isArray(parsed) ? parsed : (parsed as { changed?: unknown } | null)?.changed;
  if (!Array.isArray(list) || !list.every((item) => typeof item === "string")) {
    throw new UsageError(
      `--stacks-file ${file}: expected a JSON array of stack names or { "changed": [...] }`,
    );
  }
  return list;
}

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
  const config = loadConfigForCommand("Nothing was synthesized or planned.");
  if (!config) return;
  process.stderr.write(formatWarnings(config));
  const outdir = outdirFromEnvironment();
  const synth = await synthesizeAtomically(config, outdir);
  let fromFile: string[] | undefined;
  try {
    fromFile = args.stacksFile ? readStacksFile(args.stacksFile) : undefined;
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exitCode = 1;
    return;
  }
  const named = [...args.stacks, ...(fromFile ?? [])];
  const unknown = named.filter((name) => !synth.stackNames.includes(name));
  if (unknown.length > 0) {
    process.stderr.write(
      `${args.stacksFile && fromFile?.some((name) => unknown.includes(name)) ? `--stacks-file ${args.stacksFile}` : "--stack"} ${unknown.join(", ")}: no such stack; this configuration has ${synth.stackNames.join(", ")}\n`,
    );
    process.exitCode = 1;
    return;
  }
  const selected = args.stacks.length > 0 || fromFile ? [...new Set(named)] : synth.stackNames;
  const stackNames = args.shard ? stacksOfShard(selected, args.shard) : selected;
  if (args.shard) {
    process.stdout.write(
      `Shard ${formatShard(args.shard)}: ${stackNames.length} of ${selected.length} stack(s).\n`,
    );
  }
  // A full run replaces the folder, so plans of stacks the configuration no longer has do not linger.
  if (args.stacks.length === 0 && !fromFile && !args.shard)
    rmSync(args.plansDir, { recursive: true, force: true });

  let run: Awaited<ReturnType<typeof planStacks>>;
  try {
    run = await planStacks({
      synthDir: synth.outdir,
      stackNames,
      plansDir: args.plansDir,
      scratchDir: args.scratchDir,
      concurrency: args.concurrency,
      against: args.against,
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
