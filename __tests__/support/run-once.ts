import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { RUN_STATE_VARIABLES } from "../global-setup";

type Outcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

/**
 * Builds `name` once per test run, whichever test file asks first, and hands every other file (in any jest
 * worker) the same JSON result: real Terraform plans cost seconds of CPU each, and several files read the
 * same ones. The folder lives in the run's temporary root, which the global teardown removes. A failed build
 * fails every file that asked for it, with the builder's error.
 */
export async function runOnce<T>(
  name: string,
  build: (folder: string) => Promise<T>,
  options: { readonly waitMs?: number } = {},
): Promise<{ readonly folder: string; readonly value: T }> {
  const root = process.env[RUN_STATE_VARIABLES.runTemporaryRoot];
  if (!root) {
    throw new Error(
      `${RUN_STATE_VARIABLES.runTemporaryRoot} is unset: run the tests through jest's global setup`,
    );
  }
  const folder = path.join(root, `once-${name}`);
  const outcomeFile = path.join(folder, "outcome.json");
  let builder = true;
  try {
    mkdirSync(folder);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    builder = false;
  }
  if (builder) {
    let outcome: Outcome<T>;
    try {
      outcome = { ok: true, value: await build(folder) };
    } catch (error) {
      outcome = { ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) };
    }
    // Written whole, then renamed, so a waiting reader never sees half a file.
    writeFileSync(`${outcomeFile}.partial`, JSON.stringify(outcome));
    renameSync(`${outcomeFile}.partial`, outcomeFile);
    if (!outcome.ok) throw new Error(`building ${name} failed:\n${outcome.error}`);
    return { folder, value: outcome.value };
  }
  const deadline = Date.now() + (options.waitMs ?? 280_000);
  for (;;) {
    let text: string | undefined;
    try {
      text = readFileSync(outcomeFile, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
    if (text !== undefined) {
      const outcome = JSON.parse(text) as Outcome<T>;
      if (!outcome.ok) throw new Error(`building ${name} failed in another test file:\n${outcome.error}`);
      return { folder, value: outcome.value };
    }
    if (Date.now() > deadline)
      throw new Error(`${name} was not built within ${options.waitMs ?? 280_000} ms`);
    await sleep(200);
  }
}
