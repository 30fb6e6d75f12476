import { mkdirSync, mkdtempSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { buildApp } from "./app";
import type { AmiGuardConfig } from "./config";
import { buildLambdaBundle, type LambdaBundle } from "./lambda-bundle";

export interface SynthResult {
  readonly outdir: string;
  readonly stackNames: readonly string[];
  readonly bundle?: LambdaBundle;
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
): Promise<SynthResult> {
  const finalDir = path.resolve(outdir);
  const scratchDir = `${finalDir}.partial-${process.pid}`;
  const bundleDir = mkdtempSync(path.join(tmpdir(), "ami-guard-bundle-"));
  try {
    mkdirSync(path.dirname(finalDir), { recursive: true });
    const needsBundle = config.targets.some((target) => target.mode === "event-driven");
    const bundle = needsBundle ? await buildLambdaBundle({ outdir: bundleDir }) : undefined;
    const app = buildApp(config, {
      outdir: scratchDir,
      bundle,
      localState: { directory: localStateDirectory, finalOutdir: finalDir },
    });
    app.synth();
    rmSync(finalDir, { recursive: true, force: true });
    renameSync(scratchDir, finalDir);
    return { outdir: finalDir, stackNames: app.node.children.map((child) => child.node.id), bundle };
  } catch (error) {
    rmSync(scratchDir, { recursive: true, force: true });
    rmSync(finalDir, { recursive: true, force: true });
    throw error;
  } finally {
    rmSync(bundleDir, { recursive: true, force: true });
  }
}

/** The folder cdktf's CLI asks for (CDKTF_OUTDIR), or `cdktf.out` when the app runs on its own. */
export function outdirFromEnvironment(env: NodeJS.ProcessEnv = process.env): string {
  return env.CDKTF_OUTDIR || "cdktf.out";
}
