import { mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import * as path from "node:path";
import { Worker } from "node:worker_threads";
import { Manifest } from "cdktf";
import { buildApp, stackNamesFor } from "./app";
import type { AmiGuardConfig } from "./config";
import { buildLambdaBundle, type LambdaBundle } from "./lambda-bundle";
import type { SynthBatch, SynthBatchResult } from "./synth-worker";

export interface SynthResult {
  readonly outdir: string;
  readonly stackNames: readonly string[];
  readonly bundle?: LambdaBundle;
}

/** A synthesis as it ran: its result and how the work was split. */
export interface SynthRun extends SynthResult {
  /** Worker threads the stacks were synthesized in, at most so many at once: 0 for the calling thread. */
  readonly workers: number;
  /** Batches of stacks, each synthesized in a fresh worker thread (0 without workers). */
  readonly batches: number;
}

/** Set to a number of worker threads (0: synthesize in this thread) to override the automatic choice. */
export const SYNTH_WORKERS_VARIABLE = "AMI_GUARD_SYNTH_WORKERS";
/**
 * Below this many stacks a synthesis stays in the calling thread: starting a worker (loading cdktf and the
 * provider classes again) costs about as much as synthesizing this many stacks.
 */
export const STACKS_PER_THREAD_MINIMUM = 40;
/**
 * Stacks one worker synthesizes before it ends and a fresh one takes the next batch. cdktf holds every
 * stack it built until its thread ends (about half a MiB each), so this bounds the memory of a synthesis of any
 * size (docs/synthesis-at-scale.md has the measurements).
 */
export const STACKS_PER_BATCH = 250;

export interface SynthOptions {
  /**
   * Worker threads that synthesize batches of stacks in parallel, or 0 to synthesize in the calling thread.
   * @default - AMI_GUARD_SYNTH_WORKERS when set, else 0 below STACKS_PER_THREAD_MINIMUM stacks per core and
   * otherwise one per core (os.availableParallelism())
   */
  readonly workers?: number;
  /** Stacks one worker thread synthesizes before a fresh one takes over. @default STACKS_PER_BATCH */
  readonly stacksPerBatch?: number;
}

/**
 * Synthesizes into a scratch folder beside `outdir` and swaps it in only when everything succeeded, so a
 * failed run never leaves a half-written or stale `cdktf.out` for a later `terraform plan` to pick up.
 */
export async function synthesizeAtomically(
  config: AmiGuardConfig,
  outdir: string,
  /** With the local backend, the folder that keeps each stack's state. @default process.cwd() */
  localStateDirectory: string = process.cwd(),
  options: SynthOptions = {},
): Promise<SynthRun> {
  const finalDir = path.resolve(outdir);
  const scratchDir = `${finalDir}.partial-${process.pid}`;
  const bundleDir = mkdtempSync(path.join(tmpdir(), "ami-guard-bundle-"));
  try {
    mkdirSync(path.dirname(finalDir), { recursive: true });
    const needsBundle = config.targets.some((target) => target.mode === "event-driven");
    const bundle = needsBundle ? await buildLambdaBundle({ outdir: bundleDir }) : undefined;
    const localState = { directory: localStateDirectory, finalOutdir: finalDir };
    const stackCount = stackNamesFor(config).length;
    const perBatch = options.stacksPerBatch ?? STACKS_PER_BATCH;
    const workers = workerCount(stackCount, options.workers);
    // At least one batch per worker, so both cores work even when every stack fits in one batch.
    const batches = workers === 0 ? 0 : Math.max(workers, Math.ceil(stackCount / perBatch));
    const stackNames =
      workers === 0
        ? withoutSourceMappedStacks(() => {
            const app = buildApp(config, { outdir: scratchDir, bundle, localState });
            app.synth();
            return app.node.children.map((child) => child.node.id);
          })
        : await synthesizeInWorkers(
            { config, bundle, outdir: scratchDir, localState },
            stackCount,
            workers,
            batches,
          );
    replaceFolder(scratchDir, finalDir);
    return { outdir: finalDir, stackNames, bundle, workers, batches };
  } catch (error) {
    rmSync(scratchDir, { recursive: true, force: true });
    rmSync(finalDir, { recursive: true, force: true });
    throw error;
  } finally {
    rmSync(bundleDir, { recursive: true, force: true });
  }
}

/** The worker threads a synthesis of `stackCount` stacks uses: 0 means the calling thread. */
export function workerCount(
  stackCount: number,
  requested: number | undefined,
  env: NodeJS.ProcessEnv = process.env,
  cores: number = availableParallelism(),
): number {
  const fromEnvironment = env[SYNTH_WORKERS_VARIABLE];
  const chosen =
    requested ??
    (fromEnvironment === undefined || fromEnvironment === "" ? undefined : Number(fromEnvironment));
  if (chosen !== undefined) {
    if (!Number.isInteger(chosen) || chosen < 0)
      throw new Error(
        `${SYNTH_WORKERS_VARIABLE} (or the workers option) must be a whole number of threads, 0 for none; got "${requested ?? fromEnvironment}"`,
      );
    return Math.min(chosen, stackCount);
  }
  return stackCount < STACKS_PER_THREAD_MINIMUM * Math.max(cores, 2) ? 0 : cores;
}

/**
 * The old output goes aside before the new one takes its place and is removed after, so the swap is two
 * renames however large the output is, and a reader never sees a folder that is half old, half new.
 */
function replaceFolder(newDir: string, finalDir: string): void {
  const oldDir = `${finalDir}.old-${process.pid}`;
  rmSync(oldDir, { recursive: true, force: true });
  let movedAside = false;
  try {
    renameSync(finalDir, oldDir);
    movedAside = true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  renameSync(newDir, finalDir);
  if (movedAside) rmSync(oldDir, { recursive: true, force: true });
}

/**
 * Token creation stacks are captured for every token cdktf makes and only ever shown in its own errors;
 * formatting each through the source maps tsx registers was a third of a large synthesis. An error leaving
 * `run` formats its stack when first read, after the maps are back on.
 */
function withoutSourceMappedStacks<T>(run: () => T): T {
  const previous = process.sourceMapsEnabled;
  if (previous) process.setSourceMapsEnabled(false);
  try {
    return run();
  } finally {
    if (previous) process.setSourceMapsEnabled(true);
  }
}

interface SharedBatchInput {
  readonly config: AmiGuardConfig;
  readonly bundle?: LambdaBundle;
  readonly outdir: string;
  readonly localState: SynthBatch["localState"];
}

/**
 * Batches of stacks in worker threads, at most `workers` at once and each in a fresh thread. Each batch
 * writes into its own folder; its stack folders are then moved into the scratch folder, and the manifest
 * is written once, from every batch's entries, by cdktf's own Manifest class (so its bytes are cdktf's).
 */
async function synthesizeInWorkers(
  input: SharedBatchInput,
  stackCount: number,
  workers: number,
  batchCount: number,
): Promise<string[]> {
  // Contiguous and as even as can be, so the batches taken in order keep the configuration's order.
  const batches: SynthBatch[] = Array.from({ length: batchCount }, (_, index) => ({
    ...input,
    outdir: path.join(input.outdir, `.batch-${index}`),
    start: Math.floor((index * stackCount) / batchCount),
    end: Math.floor(((index + 1) * stackCount) / batchCount),
  }));
  mkdirSync(path.join(input.outdir, Manifest.stacksFolder), { recursive: true });
  const results: SynthBatchResult[] = new Array(batchCount);
  const running = new Set<Worker>();
  let next = 0;
  let failure: unknown;
  const runNext = async (): Promise<void> => {
    while (next < batchCount && failure === undefined) {
      const index = next++;
      const batch = batches[index] as SynthBatch;
      try {
        results[index] = await runBatch(batch, running);
        moveStacks(batch.outdir, input.outdir);
      } catch (error) {
        failure ??= error;
        // The first failure ends the synthesis; the other batches would only be thrown away.
        await Promise.all([...running].map((worker) => worker.terminate()));
      }
    }
  };
  await Promise.all(Array.from({ length: workers }, runNext));
  if (failure !== undefined) throw failure;
  const first = results[0];
  if (!first) throw new Error("synthesis produced no batch");
  const manifest = new Manifest(first.manifestVersion, input.outdir, false);
  for (const result of results) Object.assign(manifest.stacks, result.manifestStacks);
  manifest.writeToFile();
  return results.flatMap((result) => result.stackNames);
}

const WORKER_ENTRY = path.join(__dirname, "synth-worker.ts");

/**
 * The worker loads TypeScript through tsx's register API unless the thread already can (it inherits
 * `--import tsx` from `npm run synth`), so the same code runs under tsx, jest or plain node.
 */
const WORKER_BOOTSTRAP = `
const { workerData } = require("node:worker_threads");
if (!require.extensions[".ts"]) require(workerData.tsxApi).register();
require(workerData.entry);
`;

function runBatch(batch: SynthBatch, running: Set<Worker>): Promise<SynthBatchResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER_BOOTSTRAP, {
      eval: true,
      workerData: { ...batch, entry: WORKER_ENTRY, tsxApi: require.resolve("tsx/cjs/api") },
    });
    running.add(worker);
    let result: SynthBatchResult | undefined;
    worker.on("message", (message: SynthBatchResult) => {
      result = message;
    });
    worker.on("error", (error) => {
      result = undefined;
      reject(error);
    });
    worker.on("exit", (code) => {
      running.delete(worker);
      if (result) resolve(result);
      else
        reject(
          new Error(`synthesis of stacks ${batch.start + 1}–${batch.end} stopped (worker exit code ${code})`),
        );
    });
  });
}

function moveStacks(batchDir: string, outdir: string): void {
  const from = path.join(batchDir, Manifest.stacksFolder);
  for (const stack of readdirSync(from)) {
    renameSync(path.join(from, stack), path.join(outdir, Manifest.stacksFolder, stack));
  }
  rmSync(batchDir, { recursive: true, force: true });
}

/** The folder cdktf's CLI asks for (CDKTF_OUTDIR), or `cdktf.out` when the app runs on its own. */
export function outdirFromEnvironment(env: NodeJS.ProcessEnv = process.env): string {
  return env.CDKTF_OUTDIR || "cdktf.out";
}
