import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { type BenchSuite, median } from "./harness";

const repoRoot = path.resolve(__dirname, "..", "..");
const RUNS = Number(process.env.AMI_GUARD_BENCH_TEST_RUNS ?? 3);

interface TestRun {
  readonly seconds: number;
  readonly passed: boolean;
}

function runTests(): TestRun {
  const start = process.hrtime.bigint();
  const result = spawnSync("npm", ["test", "--silent"], {
    cwd: repoRoot,
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
  });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (result.error) throw new Error(`cannot run npm test: ${result.error.message}`);
  if (result.status !== 0)
    process.stderr.write(`npm test failed (exit ${result.status}):\n${result.stderr.slice(-3000)}\n`);
  return { seconds, passed: result.status === 0 };
}

/**
 * `npm test` end to end (type check, lint, every jest suite with its real terraform validate and plan), each
 * run in a fresh process. A failed run is timed too, but named in the row, so a broken suite cannot pass
 * for a fast one.
 */
const suite: BenchSuite = {
  name: "tests",
  async run() {
    const runs = Array.from({ length: RUNS }, runTests);
    const failed = runs.filter((run) => !run.passed).length;
    const samples = runs.map((run) => `${run.seconds.toFixed(1)}${run.passed ? "" : " (failed)"}`);
    return [
      {
        suite: "tests",
        name: `npm test: median wall of ${RUNS} runs (${samples.join(", ")} s)${failed > 0 ? `; ${failed} FAILED` : ""}`,
        value: median(runs.map((run) => run.seconds)),
        unit: "s",
        target: "≤ 90 s on two cores",
      },
    ];
  },
};

export default suite;
