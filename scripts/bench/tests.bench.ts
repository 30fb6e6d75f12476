import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { type BenchRow, type BenchSuite, median } from "./harness";

const repoRoot = path.resolve(__dirname, "..", "..");
/** One round by default: the whole suite takes minutes, so a median of several would take a quarter hour. */
const RUNS = Number(process.env.AMI_GUARD_BENCH_TEST_RUNS ?? 1);
/** Another checkout (an earlier commit, say) whose suite is timed in the same rounds, as the baseline. */
const BASELINE_CHECKOUT = process.env.AMI_GUARD_BENCH_TESTS_BASELINE;

interface Timed {
  readonly seconds: number;
  readonly passed: boolean;
}

function timed(
  command: string,
  args: readonly string[],
  cwd: string,
  env: NodeJS.ProcessEnv = process.env,
): Timed {
  const start = process.hrtime.bigint();
  const result = spawnSync(command, args, { cwd, env, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (result.error) throw new Error(`cannot run ${command}: ${result.error.message}`);
  if (result.status !== 0) {
    process.stderr.write(
      `${command} ${args.join(" ")} in ${cwd} failed (exit ${result.status}):\n${`${result.stdout}${result.stderr}`.slice(-3000)}\n`,
    );
  }
  return { seconds, passed: result.status === 0 };
}

/** The three steps of `npm test`, each timed on its own, and the fast tier (`npm run test:fast`). */
const STEPS = {
  typecheck: ["npx", ["tsc", "--noEmit", "-p", "."]],
  lint: ["npx", ["biome", "check", "."]],
  jest: ["npx", ["jest", "--silent"]],
  "fast tier": ["npx", ["jest", "-c", "jest.fast.config.js", "--silent"]],
} as const satisfies Record<string, readonly [string, readonly string[]]>;
type Step = keyof typeof STEPS;

/**
 * With AMI_GUARD_BENCH_TESTS_POOL_BASELINE=1, every round also runs jest with each terraform command
 * starting its own AWS provider, as before the run's provider pool (tools/terraform/provider-pool.ts):
 * the jest row's baseline, measured in the same rounds.
 */
const POOL_BASELINE = process.env.AMI_GUARD_BENCH_TESTS_POOL_BASELINE === "1";
const WITHOUT_POOL = "jest, without the provider pool";

function row(label: string, step: Step, samples: readonly Timed[], baseline?: BenchRow): BenchRow {
  const failed = samples.filter((sample) => !sample.passed).length;
  const listed = samples.map((s) => `${s.seconds.toFixed(1)}${s.passed ? "" : "!"}`).join(", ");
  return {
    suite: "tests",
    name: `${label}: ${step}, median of ${samples.length} (${listed} s)${failed > 0 ? `, ${failed} FAILED (!)` : ""}`,
    value: median(samples.map((sample) => sample.seconds)),
    unit: "s",
    ...(baseline ? { baseline: { name: baseline.name, value: baseline.value } } : {}),
    ...(step === "jest" ? { target: "every suite ≤ 300 s on two idle cores" } : {}),
    ...(step === "fast tier" ? { target: "≤ 30 s on two idle cores" } : {}),
  };
}

/**
 * `npm test` step by step (type check, lint, and every jest suite with its real terraform validate and plan),
 * each in a fresh process. With AMI_GUARD_BENCH_TESTS_BASELINE the other checkout takes its turn in every
 * round, so load from elsewhere on the shared machine falls on both alike. A failed run is timed too and
 * marked, so a broken suite cannot pass for a fast one.
 */
const suite: BenchSuite = {
  name: "tests",
  async run() {
    const checkouts = [
      ...(BASELINE_CHECKOUT ? [{ label: `baseline ${BASELINE_CHECKOUT}`, cwd: BASELINE_CHECKOUT }] : []),
      { label: "this checkout", cwd: repoRoot },
    ];
    const samples = new Map<string, Timed[]>();
    for (let round = 0; round < RUNS; round++) {
      for (const checkout of checkouts) {
        for (const [step, [command, args]] of Object.entries(STEPS)) {
          const key = `${checkout.label}/${step}`;
          process.stderr.write(`bench tests: round ${round + 1}, ${key}\n`);
          samples.set(key, [...(samples.get(key) ?? []), timed(command, args, checkout.cwd)]);
        }
        if (POOL_BASELINE) {
          const key = `${checkout.label}/${WITHOUT_POOL}`;
          process.stderr.write(`bench tests: round ${round + 1}, ${key}\n`);
          const [command, args] = STEPS.jest;
          const env = { ...process.env, AMI_GUARD_TERRAFORM_PROVIDER_POOL: "off" };
          samples.set(key, [...(samples.get(key) ?? []), timed(command, args, checkout.cwd, env)]);
        }
      }
    }
    const rows: BenchRow[] = [];
    const baselineRows = new Map<Step, BenchRow>();
    for (const checkout of checkouts) {
      if (POOL_BASELINE && !BASELINE_CHECKOUT) {
        const made = row(
          `${checkout.label}, ${WITHOUT_POOL}`,
          "jest",
          samples.get(`${checkout.label}/${WITHOUT_POOL}`) ?? [],
        );
        baselineRows.set("jest", made);
        rows.push(made);
      }
      for (const step of Object.keys(STEPS) as Step[]) {
        const made = row(
          checkout.label,
          step,
          samples.get(`${checkout.label}/${step}`) ?? [],
          baselineRows.get(step),
        );
        if (checkout.cwd !== repoRoot) baselineRows.set(step, made);
        rows.push(made);
      }
    }
    return rows;
  },
};

export default suite;
