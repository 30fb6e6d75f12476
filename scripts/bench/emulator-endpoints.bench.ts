import { planAppliedStack } from "./emulated-plans";
import type { BenchRow, BenchSuite, PlanCpuSample } from "./harness";
import { median } from "./harness";

const RUNS = Number(process.env.AMI_GUARD_BENCH_EMULATOR_ENDPOINTS_RUNS ?? 5);
const EMULATOR_URL_ONLY = "AWS_ENDPOINT_URL alone";
const ENDPOINTS_BLOCK = "an endpoints block for one service";

/**
 * Plans of the shipped configuration's stack applied on the emulator (scripts/bench/emulated-plans.ts),
 * routed as the harness routes them (tools/emulator/emulator-stack.ts: AWS_ENDPOINT_URL, no `endpoints`
 * block) against the baseline of the same plans with an `endpoints` block naming a single service merged
 * over the provider. The block's URL is the emulator's too: only the provider's work differs.
 */
const suite: BenchSuite = {
  name: "emulator-endpoints",
  async run() {
    const results = await planAppliedStack(
      [
        {
          name: ENDPOINTS_BLOCK,
          override: (emulatorUrl) => ({ provider: { aws: [{ endpoints: [{ sts: emulatorUrl }] }] } }),
        },
        { name: EMULATOR_URL_ONLY },
      ],
      RUNS,
    );
    const medianOf = (setting: string, pick: (sample: PlanCpuSample) => number) =>
      median((results.get(setting)?.samples ?? []).map(pick));
    const rows: BenchRow[] = [];
    for (const [what, pick] of [
      ["provider CPU per plan of the applied stack", (s: PlanCpuSample) => s.providerCpu],
      ["terraform CPU per plan of the applied stack", (s: PlanCpuSample) => s.terraformCpu],
    ] as const) {
      const baseline = { name: `${what}, ${ENDPOINTS_BLOCK}`, value: medianOf(ENDPOINTS_BLOCK, pick) };
      rows.push({
        suite: "emulator-endpoints",
        name: `${baseline.name} (${RUNS} plans)`,
        value: baseline.value,
        unit: "CPU-s",
      });
      rows.push({
        suite: "emulator-endpoints",
        name: `${what}, ${EMULATOR_URL_ONLY} (${RUNS} plans)`,
        value: medianOf(EMULATOR_URL_ONLY, pick),
        unit: "CPU-s",
        baseline,
      });
    }
    return rows;
  },
};

export default suite;
