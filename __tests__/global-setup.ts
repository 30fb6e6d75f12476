import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { TEST_RUN_GOGC } from "../tools/terraform/go-runtime";
import { POOL_VARIABLE, startPoolProcess } from "../tools/terraform/provider-pool";

/** What the test run found in the clone before it started, and the folder all its temporary files go to. */
export const RUN_STATE_VARIABLES = {
  runTemporaryRoot: "AMI_GUARD_TEST_RUN_TMPDIR",
  untrackedBefore: "AMI_GUARD_TEST_UNTRACKED_BEFORE",
  originalTemporaryRoot: "AMI_GUARD_TEST_ORIGINAL_TMPDIR",
} as const;

const REPOSITORY_ROOT = path.resolve(__dirname, "..");

/** Every path in the clone that git does not track, ignored ones included, except the installed packages. */
export function untrackedPaths(): string[] {
  const output = execFileSync(
    "git",
    ["status", "--porcelain", "--untracked-files=normal", "--ignored=traditional", "--", "."],
    { cwd: REPOSITORY_ROOT, encoding: "utf8" },
  );
  return output
    .split("\n")
    .filter((line) => line.startsWith("?? ") || line.startsWith("!! "))
    .map((line) => line.slice(3))
    .filter((file) => !file.startsWith("node_modules"));
}

/**
 * Runs once before every test file. Each test cleans up after itself; this makes the run as a whole
 * provable: every temporary file any test, terraform or child process writes lands in one folder of the
 * run's own (the workers inherit TMPDIR), which the teardown removes and checks nothing escaped.
 */
export function prepareRun(): void {
  const originalTemporaryRoot = tmpdir();
  const runTemporaryRoot = mkdtempSync(path.join(originalTemporaryRoot, "ami-guard-test-run-"));
  process.env[RUN_STATE_VARIABLES.originalTemporaryRoot] = originalTemporaryRoot;
  process.env[RUN_STATE_VARIABLES.runTemporaryRoot] = runTemporaryRoot;
  process.env[RUN_STATE_VARIABLES.untrackedBefore] = JSON.stringify(untrackedPaths());
  process.env.TMPDIR = runTemporaryRoot;
  // Every terraform, provider and esbuild process of the run collects less often (go-runtime.ts).
  process.env.GOGC ??= TEST_RUN_GOGC;
}

/** The run's folder as prepareRun makes it, and one pool of AWS provider processes for every terraform command. */
export default async function globalSetup(): Promise<void> {
  prepareRun();
  // `AMI_GUARD_TERRAFORM_PROVIDER_POOL=off npm test` runs every command with a provider of its own: the
  // baseline the pool is measured against, and the way to rule the pool out when a test fails.
  if (process.env[POOL_VARIABLE] === "off") {
    delete process.env[POOL_VARIABLE];
    return;
  }
  const runTemporaryRoot = process.env[RUN_STATE_VARIABLES.runTemporaryRoot] as string;
  // One pool of AWS provider processes for every terraform command of the run, in any worker.
  const pool = await startPoolProcess(path.join(runTemporaryRoot, "provider-pool.sock"));
  // jest runs the teardown in this process; globals are how the two share what the setup started.
  Object.assign(globalThis, { [RUN_RESOURCES]: { pool } });
  process.env[POOL_VARIABLE] = pool.socketPath;
}

/** The key on globalThis under which the setup leaves what the teardown stops. */
export const RUN_RESOURCES = "__amiGuardTestRunResources";
