import { TEST_RUN_GOGC } from "../../tools/terraform/go-runtime";
import { planAppliedStack } from "./emulated-plans";
import type { BenchRow, BenchSuite, PlanCpuSample } from "./harness";
import { median } from "./harness";

const RUNS = Number(process.env.AMI_GUARD_BENCH_PROVIDER_GC_RUNS ?? 5);
/** Go's own default, the baseline, and the setting the test run gives its Go processes. */
const SETTINGS = ["100", TEST_RUN_GOGC] as const;

/**
 * Plans of the shipped configuration's stack applied on the emulator (scripts/bench/emulated-plans.ts),
 * under Go's default collector setting and under the test run's (tools/terraform/go-runtime.ts).
 */
const suite: BenchSuite = {
  name: "provider-gc",
  async run() {
    const results = await planAppliedStack(
      SETTINGS.map((gogc) => ({ name: `GOGC=${gogc}`, env: { GOGC: gogc } })),
      RUNS,
    );
    const resultOf = (gogc: string) => {
      const result = results.get(`GOGC=${gogc}`);
      if (!result) throw new Error(`no plans with GOGC=${gogc}`);
      return result;
    };
    const medianOf = (gogc: string, pick: (sample: PlanCpuSample) => number) =>
      median(resultOf(gogc).samples.map(pick));
    const measurements: [string, string, (gogc: string) => number][] = [
      ["provider CPU per plan of the applied stack", "CPU-s", (gogc) => medianOf(gogc, (s) => s.providerCpu)],
      [
        "terraform CPU per plan of the applied stack",
        "CPU-s",
        (gogc) => medianOf(gogc, (s) => s.terraformCpu),
      ],
      ["provider peak memory", "MiB", (gogc) => resultOf(gogc).providerPeakMiB],
    ];
    const [baselineSetting] = SETTINGS;
    const rows: BenchRow[] = [];
    for (const [what, unit, measure] of measurements) {
      const baseline = { name: `${what}, GOGC=${baselineSetting}`, value: measure(baselineSetting) };
      rows.push({
        suite: "provider-gc",
        name: `${baseline.name} (${RUNS} plans)`,
        value: baseline.value,
        unit,
      });
      for (const gogc of SETTINGS.slice(1)) {
        rows.push({
          suite: "provider-gc",
          name: `${what}, GOGC=${gogc} (${RUNS} plans)`,
          value: measure(gogc),
          unit,
          baseline,
        });
      }
    }
    return rows;
  },
};

export default suite;
