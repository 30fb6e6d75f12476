import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { parseConfig } from "../../app/config/load";
import { synthesizeAtomically } from "../../app/synth";
import { AwsEmulator } from "../../tools/emulator/emulator";
import { EmulatedStack, failureOf } from "../../tools/emulator/emulator-stack";
import { POOL_VARIABLE, ProviderPool, servePool } from "../../tools/terraform/provider-pool";
import type { PlanCpuSample } from "./harness";
import { childrenCpuSeconds, processCpuSeconds } from "./harness";

const repoRoot = path.resolve(__dirname, "..", "..");
const ACCOUNT = "111122223333";
/** Terraform merges it over the stack for one setting's plans; it is removed before the next setting's. */
const SETTING_OVERRIDE_FILE = "bench_setting_override.tf.json";

/** One way of running the provider: variables for its process, and configuration merged over the stack. */
export interface ProviderSetting {
  readonly name: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly override?: (emulatorUrl: string) => Record<string, unknown>;
}

export interface SettingResult {
  readonly samples: PlanCpuSample[];
  /**
   * Peak resident memory of the provider process that served the setting's plans; for a setting served by
   * the apply's process, the apply's peak counts too.
   */
  readonly providerPeakMiB: number;
}

function peakMemoryMiB(pid: number): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (!match) throw new Error(`no VmHWM for process ${pid}`);
  return Number(match[1]) / 1024;
}

/**
 * The shipped configuration's stack applied on the emulator (moto_server), then planned `runs` times per
 * setting with a lent provider (tools/terraform/provider-pool.ts). The
 * plans skip the refresh, so the emulator's answers do not enter the figures. Settings take turns within
 * each round, so load from elsewhere on the shared machine falls on all alike; round 0 starts each
 * setting's provider and is not counted.
 */
export async function planAppliedStack(
  settings: readonly ProviderSetting[],
  runs: number,
): Promise<Map<string, SettingResult>> {
  const root = mkdtempSync(path.join(tmpdir(), "ami-guard-bench-emulated-plans-"));
  const pool = new ProviderPool();
  let server: Server | undefined;
  let emulator: AwsEmulator | undefined;
  try {
    const socketPath = path.join(root, "pool.sock");
    server = await servePool(pool, socketPath);
    emulator = await AwsEmulator.start({ accountIds: [ACCOUNT] });
    const emulatorUrl = emulator.url;
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
    const samples = new Map<string, PlanCpuSample[]>(settings.map((setting) => [setting.name, []]));
    const providerOf = new Map<string, number>();
    const overrideFile = path.join(stack.dir, SETTING_OVERRIDE_FILE);
    for (let round = 0; round <= runs; round++) {
      for (const setting of settings) {
        const known = new Set(pool.processIds());
        const pid = providerOf.get(setting.name);
        const providerBefore = pid === undefined ? 0 : processCpuSeconds(pid);
        const terraformBefore = childrenCpuSeconds();
        if (setting.override) writeFileSync(overrideFile, JSON.stringify(setting.override(emulatorUrl)));
        const plan = await stack
          .run(["plan", "-input=false", "-no-color", "-refresh=false"], setting.env)
          .finally(() => rmSync(overrideFile, { force: true }));
        if (plan.exitCode !== 0) throw new Error(failureOf(`plan with ${setting.name}`, plan));
        const terraformCpu = childrenCpuSeconds() - terraformBefore;
        if (pid === undefined) {
          // A setting whose variables the pool keys on (GOGC) starts a process of its own; one that differs
          // only in configuration is served by the process the apply started, the pool's only one then.
          const current = pool.processIds();
          const started =
            current.find((id) => !known.has(id)) ?? (current.length === 1 ? current[0] : undefined);
          if (started === undefined) throw new Error(`cannot tell which provider served ${setting.name}`);
          providerOf.set(setting.name, started);
          continue;
        }
        samples
          .get(setting.name)
          ?.push({ providerCpu: processCpuSeconds(pid) - providerBefore, terraformCpu });
      }
    }
    return new Map(
      settings.map((setting) => [
        setting.name,
        {
          samples: samples.get(setting.name) ?? [],
          providerPeakMiB: peakMemoryMiB(providerOf.get(setting.name) as number),
        },
      ]),
    );
  } finally {
    await emulator?.stop();
    await pool.close();
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    rmSync(root, { recursive: true, force: true });
  }
}
