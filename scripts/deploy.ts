/**
 * `npm run deploy`: a staged deploy (canary, then growing waves) that stops at the first failed stack and
 * resumes from its progress record. One process can run every wave; a CI matrix runs one wave's shard per
 * job (`--wave K --shard I/N`). docs/scale.md describes the flow; app/waves.ts holds the logic.
 *
 *   npm run deploy -- --plan-waves --stacks-file changed-stacks.json      the matrix of every wave job
 *   npm run deploy -- [--wave K] [--shard I/N] [--stacks-file FILE] [--progress-dir DIR]
 *                     (--auto-approve | --against offline) [--concurrency N]
 *   npm run deploy -- --report --stacks-file FILE [--progress-dir DIR]   what is done and what is left
 *
 * Exit 0: every stack asked for is deployed; 1: the deploy stopped (or the report found stacks left);
 * 2: usage or configuration error.
 */
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { type ChangedStacksFile, stackDigests } from "../.github/scripts/changed-stacks";
import type { AmiGuardConfig } from "../app/config";
import { ConfigError, loadConfig } from "../app/config/load";
import { doneStacks, PROGRESS_SUFFIX, readProgress, recordDone } from "../app/deploy-progress";
import {
  exitCodeFor,
  formatFindings,
  preflight,
  planStacks as preflightPlans,
  sdkClients,
} from "../app/preflight/preflight";
import {
  DEFAULT_STACKS_PER_SHARD,
  formatShard,
  GITHUB_MATRIX_JOB_LIMIT,
  parseShard,
  type Shard,
  shardMatrix,
  stacksOfShard,
} from "../app/shards";
import { outdirFromEnvironment, synthesizeAtomically } from "../app/synth";
import {
  formatOutcome,
  planWaves,
  runWaves,
  type StepResult,
  WAVE_DEFAULTS,
  type Wave,
  type WaveSettings,
} from "../app/waves";
import { planStacks } from "../tools/terraform/plan-stacks";
import { runCommand, terraformBinary } from "../tools/terraform/terraform-cli";

/** The wave jobs .github/workflows/deploy.yml declares; the configuration's maxWaves may not exceed it. */
export const WORKFLOW_WAVE_JOBS = 8;

class UsageError extends Error {}

function waveSettings(config: AmiGuardConfig): WaveSettings {
  return config.deployment ?? {};
}

function readChanged(file: string): ChangedStacksFile {
  const parsed = JSON.parse(readFileSync(file, "utf8")) as Partial<ChangedStacksFile>;
  if (!Array.isArray(parsed.changed) || typeof parsed.digests !== "object" || parsed.digests === null) {
    throw new UsageError(`--stacks-file ${file}: expected the file changed-stacks.ts --write produces`);
  }
  return parsed as ChangedStacksFile;
}

function output(lines: readonly string[]): void {
  if (process.env.GITHUB_OUTPUT) appendFileSync(process.env.GITHUB_OUTPUT, `${lines.join("\n")}\n`);
  process.stdout.write(`${lines.join("\n")}\n`);
}

/** `waves`, then `size<k>` and `matrix<k>` for every wave job the workflow declares (empty ones too). */
function planWavesCommand(
  config: AmiGuardConfig,
  changed: ChangedStacksFile,
  shardOptions: { readonly stacksPerShard: number; readonly maxShards: number },
): number {
  const waves = planWaves(changed.changed, waveSettings(config));
  const lines = [`waves=${waves.length}`];
  for (let k = 0; k < WORKFLOW_WAVE_JOBS; k++) {
    const size = waves[k]?.stacks.length ?? 0;
    lines.push(`size${k}=${size}`, `matrix${k}=${JSON.stringify(shardMatrix(size, shardOptions))}`);
  }
  output(lines);
  for (const wave of waves) {
    process.stderr.write(`${wave.name}: ${wave.stacks.length} stack(s)\n`);
  }
  return 0;
}

function reportCommand(config: AmiGuardConfig, changed: ChangedStacksFile, progressDir: string): number {
  const waves = planWaves(changed.changed, waveSettings(config));
  const done = doneStacks(readProgress(progressDir), changed.digests);
  const lines = ["| Wave | Stacks | Done |", "| --- | ---: | ---: |"];
  const left: string[] = [];
  for (const wave of waves) {
    const finished = wave.stacks.filter((stack) => done.has(stack));
    left.push(...wave.stacks.filter((stack) => !done.has(stack)));
    lines.push(`| ${wave.name} | ${wave.stacks.length} | ${finished.length} |`);
  }
  const verdict =
    left.length === 0
      ? `Every one of ${changed.changed.length} changed stack(s) is deployed.`
      : `${left.length} of ${changed.changed.length} changed stack(s) are not deployed: ${left.join(", ")}. Re-run the failed jobs: what is done is skipped.`;
  const text = `${lines.join("\n")}\n\n${verdict}\n`;
  process.stdout.write(text);
  if (process.env.GITHUB_STEP_SUMMARY)
    appendFileSync(process.env.GITHUB_STEP_SUMMARY, `## Deploy\n\n${text}`);
  return left.length === 0 ? 0 : 1;
}

interface DeployArguments {
  readonly wave?: number;
  readonly shard?: Shard;
  readonly changed?: ChangedStacksFile;
  readonly progressDir: string;
  readonly against: "backend" | "offline";
  readonly concurrency: number;
}

/** Init, apply and the outputs, in the synthesized folder with its real backend: what `cdktf deploy` runs. */
async function applyStack(synthDir: string, stack: string, outputsDir: string): Promise<StepResult> {
  const cwd = path.join(synthDir, "stacks", stack);
  const env = { ...process.env, TF_IN_AUTOMATION: "1", TF_INPUT: "0", CHECKPOINT_DISABLE: "1" };
  const binary = terraformBinary(env);
  for (const args of [
    ["init", "-input=false", "-no-color"],
    ["apply", "-input=false", "-no-color", "-auto-approve", "-lock-timeout=5m"],
  ]) {
    const result = await runCommand(binary, args, { cwd, env });
    process.stdout.write(result.stdout);
    if (result.exitCode !== 0) {
      process.stderr.write(result.stderr);
      return {
        ok: false,
        reason: `terraform ${args[0]} failed: ${result.stderr.trim().split("\n").slice(-3).join(" ")}`,
      };
    }
  }
  const outputs = await runCommand(binary, ["output", "-json"], { cwd, env });
  if (outputs.exitCode === 0) writeFileSync(path.join(outputsDir, `${stack}.json`), outputs.stdout);
  return { ok: true };
}

async function deployCommand(config: AmiGuardConfig, args: DeployArguments): Promise<number> {
  const synth = await synthesizeAtomically(config, outdirFromEnvironment());
  const digests = stackDigests(synth.outdir);
  const changed = args.changed;
  if (changed) {
    // The stacks to deploy were compared on another runner: its synthesis must be this one.
    const differing = changed.changed.filter((stack) => changed.digests[stack] !== digests.get(stack));
    if (differing.length > 0) {
      process.stderr.write(
        `This runner synthesized ${differing.join(", ")} differently from the run that compared the stacks: refusing to deploy what was not compared.${config.backend.type === "local" ? ' (A local backend\'s state path is part of the synthesis and differs between folders: CI needs backend.type "s3", see docs/cli.md.)' : ""}\n`,
      );
      return 2;
    }
  }
  const stacks = changed ? changed.changed : synth.stackNames;
  const allWaves = planWaves(stacks, waveSettings(config));
  let waves: Wave[] = allWaves;
  if (args.wave !== undefined) {
    const wave = allWaves[args.wave];
    waves = wave ? [wave] : [];
  }
  if (args.shard) {
    const shard = args.shard;
    waves = waves.map((wave) => ({ ...wave, stacks: stacksOfShard(wave.stacks, shard) }));
  }
  const digestOf = Object.fromEntries(digests);
  const done = doneStacks(readProgress(args.progressDir), digestOf);
  const progressFile = path.join(
    args.progressDir,
    `wave${args.wave ?? "s"}-shard${args.shard ? formatShard(args.shard).replace("/", "of") : "all"}-${Date.now()}${PROGRESS_SUFFIX}`,
  );
  const outputsDir = path.resolve("outputs");
  mkdirSync(outputsDir, { recursive: true });
  const plans = preflightPlans(config);
  process.stdout.write(
    `${waves.map((wave) => `${wave.name}: ${wave.stacks.length} stack(s)`).join("\n") || "No stack to deploy here."}\n`,
  );
  const outcome = await runWaves({
    waves,
    done,
    concurrency: args.concurrency,
    preflight: async (wave, pending) => {
      if (args.against === "offline") {
        process.stdout.write(`${wave.name}: preflight skipped (an offline rehearsal calls no AWS API)\n`);
        return { ok: true };
      }
      const findings = await preflight(
        plans.filter((plan) => pending.includes(plan.stack)),
        sdkClients(),
      );
      process.stdout.write(`${formatFindings(findings)}\n`);
      return exitCodeFor(findings) === 0
        ? { ok: true }
        : { ok: false, reason: `preflight blocked ${wave.name}; see its findings above` };
    },
    deploy: async (stack) => {
      process.stdout.write(`deploying ${stack}\n`);
      if (args.against === "backend") return applyStack(synth.outdir, stack, outputsDir);
      const run = await planStacks({
        synthDir: synth.outdir,
        stackNames: [stack],
        against: "offline",
        plansDir: outputsDir,
        scratchDir: path.resolve(".terraform-scratch"),
        concurrency: 1,
      });
      const result = run.results[0];
      return result?.ok
        ? { ok: true }
        : {
            ok: false,
            reason: `offline plan failed in terraform ${result?.ok === false ? result.step : "?"}`,
          };
    },
    record: (stack) => recordDone(progressFile, stack, digestOf[stack] as string),
  });
  const text = formatOutcome(outcome);
  process.stdout.write(`${text}\n`);
  if (process.env.GITHUB_STEP_SUMMARY)
    appendFileSync(process.env.GITHUB_STEP_SUMMARY, `\`\`\`\n${text}\n\`\`\`\n`);
  return outcome.status === "complete" ? 0 : 1;
}

async function main(argv: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      "plan-waves": { type: "boolean", default: false },
      report: { type: "boolean", default: false },
      wave: { type: "string" },
      shard: { type: "string" },
      "stacks-file": { type: "string" },
      "progress-dir": { type: "string", default: "deploy-progress" },
      "stacks-per-shard": { type: "string", default: String(DEFAULT_STACKS_PER_SHARD) },
      "max-shards": { type: "string", default: String(GITHUB_MATRIX_JOB_LIMIT.value) },
      against: { type: "string", default: "backend" },
      "auto-approve": { type: "boolean", default: false },
      concurrency: { type: "string", default: "2" },
    },
    strict: true,
  });
  const config = loadConfig();
  const maxWaves = config.deployment?.maxWaves ?? WAVE_DEFAULTS.maxWaves;
  if (maxWaves > WORKFLOW_WAVE_JOBS) {
    throw new UsageError(
      `deployment.maxWaves is ${maxWaves}; the deploy workflow has ${WORKFLOW_WAVE_JOBS} wave jobs`,
    );
  }
  const changed = values["stacks-file"] ? readChanged(values["stacks-file"]) : undefined;
  if (values["plan-waves"] || values.report) {
    if (!changed) throw new UsageError("--plan-waves and --report need --stacks-file");
    return values["plan-waves"]
      ? planWavesCommand(config, changed, {
          stacksPerShard: Number(values["stacks-per-shard"]),
          maxShards: Number(values["max-shards"]),
        })
      : reportCommand(config, changed, values["progress-dir"]);
  }
  if (values.against !== "backend" && values.against !== "offline") {
    throw new UsageError(`--against must be "backend" or "offline", got "${values.against}"`);
  }
  if (values.against === "backend" && !values["auto-approve"]) {
    throw new UsageError(
      "npm run deploy applies to the real accounts: pass --auto-approve, or --against offline to rehearse with offline plans",
    );
  }
  const wave = values.wave === undefined ? undefined : Number(values.wave);
  if (wave !== undefined && (!Number.isInteger(wave) || wave < 0 || wave >= WORKFLOW_WAVE_JOBS)) {
    throw new UsageError(
      `--wave must be a whole number from 0 to ${WORKFLOW_WAVE_JOBS - 1}, got "${values.wave}"`,
    );
  }
  const concurrency = Number(values.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new UsageError(`--concurrency must be a whole number ≥ 1, got "${values.concurrency}"`);
  }
  let shard: Shard | undefined;
  try {
    shard = values.shard === undefined ? undefined : parseShard(values.shard);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  return deployCommand(config, {
    ...(wave === undefined ? {} : { wave }),
    ...(shard ? { shard } : {}),
    ...(changed ? { changed } : {}),
    progressDir: values["progress-dir"],
    against: values.against,
    concurrency,
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (
      error instanceof UsageError ||
      error instanceof ConfigError ||
      (error as { code?: string }).code === "ERR_PARSE_ARGS_UNKNOWN_OPTION"
    ) {
      process.stderr.write(`${(error as Error).message}\n`);
      process.exitCode = 2;
      return;
    }
    process.stderr.write(
      `deploy failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  },
);
