import { parentPort, workerData } from "node:worker_threads";
import { buildApp } from "./app";
import type { AmiGuardConfig } from "./config";
import type { LambdaBundle } from "./lambda-bundle";

/** What the parent sends one worker: a contiguous batch of the stacks `buildApp` builds. */
export interface SynthBatch {
  readonly config: AmiGuardConfig;
  readonly bundle?: LambdaBundle;
  readonly outdir: string;
  readonly localState: { readonly directory: string; readonly finalOutdir: string };
  readonly start: number;
  readonly end: number;
}

/** What a worker answers: its stacks in build order, and their entries of cdktf's manifest. */
export interface SynthBatchResult {
  readonly stackNames: string[];
  readonly manifestVersion: string;
  readonly manifestStacks: Record<string, unknown>;
}

/**
 * cdktf captures a full stack trace for every token it makes (`Error.captureStackTrace` into a plain object)
 * and keeps it as lines of text, shown only if that token later fails to resolve. Capturing and formatting
 * them was a third of a large synthesis, and holding them most of its memory (docs/synthesis-at-scale.md).
 * This thread only synthesizes, so captures into anything but an Error are skipped here; errors keep their
 * stacks. A construct's token error names where the token was made when synthesized in one thread
 * (AMI_GUARD_SYNTH_WORKERS=0).
 */
function skipTokenCreationStacks(): void {
  const capture = Error.captureStackTrace;
  const captureErrorsOnly: typeof Error.captureStackTrace = (target, below) => {
    if (target instanceof Error) capture(target, below);
  };
  Error.captureStackTrace = captureErrorsOnly;
}

/**
 * One batch, in a worker thread of its own. The thread ends after the batch: cdktf keeps every token it
 * ever made in a process-wide map that references the constructs, so a stack's tree can only be freed
 * with the isolate that built it.
 */
function synthesizeBatch(batch: SynthBatch): SynthBatchResult {
  const app = buildApp(batch.config, {
    outdir: batch.outdir,
    bundle: batch.bundle,
    localState: batch.localState,
    stacks: { start: batch.start, end: batch.end },
  });
  app.synth();
  return {
    stackNames: app.node.children.map((child) => child.node.id),
    manifestVersion: app.manifest.version,
    manifestStacks: { ...app.manifest.stacks },
  };
}

skipTokenCreationStacks();
parentPort?.postMessage(synthesizeBatch(workerData as SynthBatch));
