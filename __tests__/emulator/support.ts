import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import type { AmiGuardConfig } from "../../app/config";
import { parseConfig } from "../../app/config/load";
import { type SynthResult, synthesizeAtomically } from "../../app/synth";
import { failureOf, type TimedResult } from "../../tools/emulator/emulator-stack";

export const REPO_ROOT = path.resolve(__dirname, "..", "..");
/** The previous release's synthesis of the shipped configuration (see fixtures/release-0.1.0/README.md). */
export const RELEASE_FIXTURE_DIR = path.join(__dirname, "fixtures", "release-0.1.0");

/** The shipped configuration as a user clones it. */
export function shippedRawConfig(): Record<string, unknown> {
  return JSON.parse(readFileSync(path.join(REPO_ROOT, "ami-guard.config.json"), "utf8")) as Record<
    string,
    unknown
  >;
}

export function scratchFolder(prefix: string): string {
  return mkdtempSync(path.join(tmpdir(), `ami-guard-${prefix}-`));
}

/** Synthesizes `raw` into a folder of its own below `root`. */
export async function synthesize(
  raw: Record<string, unknown>,
  root: string,
  name: string,
): Promise<SynthResult> {
  const config: AmiGuardConfig = parseConfig(raw, `${name} configuration`);
  return synthesizeAtomically(config, path.join(root, name, "cdktf.out"), path.join(root, name));
}

/** The step's result, or an error carrying Terraform's own output into the test report. */
export function succeeded(step: string, result: TimedResult): TimedResult {
  if (result.exitCode !== 0) throw new Error(failureOf(step, result));
  return result;
}

/** `plan -detailed-exitcode` found nothing to change; otherwise the plan itself is the error. */
export function emptyPlan(step: string, result: TimedResult): TimedResult {
  if (result.exitCode !== 0) {
    throw new Error(
      `${step}: expected no changes (exit 0), got exit ${result.exitCode}\n${failureOf(step, result)}`,
    );
  }
  return result;
}

/**
 * The release's stack JSON with its Lambda zip pointed at the one this code built: the release's zip was
 * never committed (a binary of a few hundred kB that synthesis rebuilds), and the code the function runs is
 * not what an upgrade of the infrastructure is about. Its `source_code_hash` stays the release's.
 */
export function releaseStackFile(stackName: string, currentStackJsonFile: string, into: string): string {
  const release = JSON.parse(
    readFileSync(path.join(RELEASE_FIXTURE_DIR, `${stackName}.tf.json`), "utf8"),
  ) as {
    resource: { aws_lambda_function?: Record<string, { filename: string }> };
  };
  const current = JSON.parse(readFileSync(currentStackJsonFile, "utf8")) as typeof release;
  const currentZip = Object.values(current.resource.aws_lambda_function ?? {})[0]?.filename;
  for (const fn of Object.values(release.resource.aws_lambda_function ?? {})) {
    if (!currentZip) throw new Error("this code's synthesis has no Lambda zip to point the release at");
    fn.filename = currentZip;
  }
  const file = path.join(into, `${stackName}.release.tf.json`);
  writeFileSync(file, JSON.stringify(release));
  return file;
}

/** Seconds per step and stack, printed when the file ends so every run reports its figures. */
export class Timings {
  private readonly rows: { stack: string; step: string; seconds: number }[] = [];

  add(stack: string, step: string, result: { readonly seconds: number }): void {
    this.rows.push({ stack, step, seconds: result.seconds });
  }

  report(): string {
    return this.rows
      .map((row) => `${row.stack.padEnd(14)} ${row.step.padEnd(28)} ${row.seconds.toFixed(1)} s`)
      .join("\n");
  }
}

/** Runs `next` once `previous` settled, whatever its outcome, so cleanup steps always run. */
export async function afterSettled<T>(previous: Promise<unknown>, next: () => Promise<T>): Promise<T> {
  await previous.catch(() => undefined);
  return next();
}
