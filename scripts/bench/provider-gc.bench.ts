import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { parseConfig } from "../../app/config/load";
import { synthesizeAtomically } from "../../app/synth";
import { AwsEmulator } from "../../tools/emulator/emulator";
import { EmulatedStack, failureOf } from "../../tools/emulator/emulator-stack";
import { TEST_RUN_GOGC } from "../../tools/terraform/go-runtime";
import { POOL_VARIABLE, ProviderPool, servePool } from "../../tools/terraform/provider-pool";
import type { BenchRow, BenchSuite, PlanCpuSample } from "./harness";
import { childrenCpuSeconds, median, processCpuSeconds } from "./harness";

const repoRoot = path.resolve(__dirname, "..", "..");
const RUNS = Number(process.env.AMI_GUARD_BENCH_PROVIDER_GC_RUNS ?? 5);
/** Go's own default, the baseline, and the setting the test run gives its Go processes. */
const SETTINGS = ["100", TEST_RUN_GOGC] as const;
const ACCOUNT = "111122223333";
function peakMemoryMiB(pid: number): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (!match) throw new Error(`no VmHWM for process ${pid}`);
  return Number(match[1]) / 1024;
}

/**
 * The shipped configuration's stack applied on the emulator (moto_server), then planned again and again
 * with a lent provider (tools/terraform/provider-pool.ts), under Go's default collector setting and under
 * the test run's (tools/terraform/go-runtime.ts). The plans skip the refresh, so the emulator's answers do
 * not enter the figures. Settings take turns within each round, so load from elsewhere on the shared
 * machine falls on both alike.
 */
const suite: BenchSuite = {
  name: "provider-gc",
  async run() {
    const root = mkdtempSync(path.join(tmpdir(), "ami-guard-bench-provider-gc-"));
    const pool = new ProviderPool();
    let server: Server | undefined;
    let emulator: AwsEmulator | undefined;
    try {
      const socketPath = path.join(root, "pool.sock");
      server = await servePool(pool, socketPath);
      emulator = await AwsEmulator.start({ accountIds: [ACCOUNT] });
      const raw = JSON.parse(readFileSync(path.join(repoRoot, "ami-guard.config.json"), "utf8"));
      const synth = await synthesizeAtomically(
        parseConfig({ ...raw, targets: [{ accountId: ACCOUNT, region: "eu-central-1" }] }, "bench"),
        path.join(root, "cdktf.out"),
        root,
      );
      const stack = await EmulatedStack.prepare({
        synthDir: synth.outdir,
        stackName: synth.stackNames[0] as string,
        accountId: ACCOUNT,
        workDir: path.join(root, "work"),
        endpointUrl: emulator.url,
        env: { ...process.env, [POOL_VARIABLE]: socketPath },
      });
      const applied = await stack.apply();
      if (applied.exitCode !== 0) throw new Error(failureOf("apply", applied));
      const samples = new Map<string, PlanCpuSample[]>(SETTINGS.map((gogc) => [gogc, []]));
      const providerOf = new Map<string, number>();
      for (let round = 0; round <= RUNS; round++) {
        for (const gogc of SETTINGS) {
          const known = new Set(pool.processIds());
          const pid = providerOf.get(gogc);
          const providerBefore = pid === undefined ? 0 : processCpuSeconds(pid);
          const terraformBefore = childrenCpuSeconds();
          const plan = await stack.run(["plan", "-input=false", "-no-color", "-refresh=false"], {
            GOGC: gogc,
          });
          if (plan.exitCode !== 0) throw new Error(failureOf(`plan with GOGC=${gogc}`, plan));
          const terraformCpu = childrenCpuSeconds() - terraformBefore;
          if (pid === undefined) {
            // Round 0 starts each setting's provider; its start-up is not what the setting changes.
            const started = pool.processIds().find((id) => !known.has(id));
            if (started === undefined) throw new Error(`the plan with GOGC=${gogc} borrowed no provider`);
            providerOf.set(gogc, started);
            continue;
          }
          samples.get(gogc)?.push({ providerCpu: processCpuSeconds(pid) - providerBefore, terraformCpu });
        }
      }
      const [baselineSetting] = SETTINGS;
      const medianOf = (gogc: string, pick: (sample: PlanCpuSample) => number) =>
        median((samples.get(gogc) ?? []).map(pick));
      const measurements: [string, string, (gogc: string) => number][] = [
        [
          "provider CPU per plan of the applied stack",
          "CPU-s",
          (gogc) => medianOf(gogc, (s) => s.providerCpu),
        ],
        [
          "terraform CPU per plan of the applied stack",
          "CPU-s",
          (gogc) => medianOf(gogc, (s) => s.terraformCpu),
        ],
        ["provider peak memory", "MiB", (gogc) => peakMemoryMiB(providerOf.get(gogc) as number)],
      ];
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
    } finally {
      await emulator?.stop();
      await pool.close();
      await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
      rmSync(root, { recursive: true, force: true });
    }
  },
};

export default suite;
