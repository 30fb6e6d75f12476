import { rmSync } from "node:fs";
import type { PoolProcess } from "../tools/terraform/provider-pool";
import { RUN_RESOURCES, RUN_STATE_VARIABLES, untrackedPaths } from "./global-setup";

/**
 * Removes the run's temporary folder (every test writes below os.tmpdir(), which the setup pointed there),
 * then fails the run when a test left files in the clone: those are bugs to fix, so they are named, not
 * removed.
 */
export default async function globalTeardown(): Promise<void> {
  await stopRunResources();
  finishRun();
}

async function stopRunResources(): Promise<void> {
  const resources = (globalThis as Record<string, unknown>)[RUN_RESOURCES] as
    | { pool: PoolProcess }
    | undefined;
  await resources?.pool.stop();
}

export function finishRun(): void {
  const runTemporaryRoot = process.env[RUN_STATE_VARIABLES.runTemporaryRoot];
  const originalTemporaryRoot = process.env[RUN_STATE_VARIABLES.originalTemporaryRoot];
  if (runTemporaryRoot) rmSync(runTemporaryRoot, { recursive: true, force: true });
  if (originalTemporaryRoot) process.env.TMPDIR = originalTemporaryRoot;

  const before = new Set<string>(JSON.parse(process.env[RUN_STATE_VARIABLES.untrackedBefore] ?? "[]"));
  const leftInClone = untrackedPaths().filter((file) => !before.has(file));
  if (leftInClone.length > 0) {
    throw new Error(
      `The test run left files in the clone:\n  ${leftInClone.join("\n  ")}\nTests write only below os.tmpdir().`,
    );
  }
}
