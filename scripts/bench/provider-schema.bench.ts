import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { parseConfig } from "../../app/config/load";
import { synthesizeAtomically } from "../../app/synth";
import { resolveProviderInstallation, terraformEnvironment } from "../../tools/terraform/provider-mirror";
import {
  installedProviderBinary,
  POOL_VARIABLE,
  ProviderPool,
  providerEnvironment,
} from "../../tools/terraform/provider-pool";
import { typesInScope } from "../../tools/terraform/schema-scope";
import { prepareScratchStack } from "../../tools/terraform/scratch";
import { runCommand } from "../../tools/terraform/terraform-cli";
import type { BenchRow, BenchSuite, PlanCpuSample } from "./harness";
import { childrenCpuSeconds, median, processCpuSeconds } from "./harness";

const repoRoot = path.resolve(__dirname, "..", "..");
const RUNS = Number(process.env.AMI_GUARD_BENCH_PROVIDER_SCHEMA_RUNS ?? 5);
/** The provider's whole schema (the baseline, what Terraform gets outside the pool), then the scoped one. */
const SETTINGS = ["whole", "scoped"] as const;
type Setting = (typeof SETTINGS)[number];

/** Resource, data source and ephemeral resource types in the provider's schema, as Terraform lists them. */
async function schemaTypeCount(dir: string, env: NodeJS.ProcessEnv): Promise<number> {
  const shown = await runCommand("terraform", ["providers", "schema", "-json"], { cwd: dir, env });
  if (shown.exitCode !== 0) throw new Error(`terraform providers schema failed:\n${shown.stderr}`);
  const schemas = JSON.parse(shown.stdout) as {
    provider_schemas: Record<string, Record<string, Record<string, unknown> | undefined>>;
  };
  const aws = Object.values(schemas.provider_schemas)[0] ?? {};
  return ["resource_schemas", "data_source_schemas", "ephemeral_resource_schemas"].reduce(
    (total, kind) => total + Object.keys(aws[kind] ?? {}).length,
    0,
  );
}

const typeCountRow = (value: number, where: string): BenchRow => ({
  suite: "provider-schema",
  name: `types in ${where}`,
  value,
  unit: "types",
});

/**
 * The shipped configuration's stack planned offline again and again with a lent provider
 * (tools/terraform/provider-pool.ts), Terraform getting the provider's whole schema or the one scoped to
 * the stack's types (tools/terraform/schema-scope.ts). The two take turns in each round, on one provider
 * process, so load from elsewhere on the shared machine falls on both alike.
 */
const suite: BenchSuite = {
  name: "provider-schema",
  async run() {
    const root = mkdtempSync(path.join(tmpdir(), "ami-guard-bench-provider-schema-"));
    const pool = new ProviderPool();
    try {
      const raw = JSON.parse(readFileSync(path.join(repoRoot, "ami-guard.config.json"), "utf8"));
      const synth = await synthesizeAtomically(parseConfig(raw, "bench"), path.join(root, "cdktf.out"), root);
      const dir = prepareScratchStack(
        synth.outdir,
        synth.stackNames[0] as string,
        path.join(root, "scratch"),
      );
      const { [POOL_VARIABLE]: _pool, ...withoutRunPool } = process.env;
      const env = terraformEnvironment(withoutRunPool, resolveProviderInstallation(process.env), root);
      const init = await runCommand("terraform", ["init", "-input=false", "-no-color"], { cwd: dir, env });
      if (init.exitCode !== 0) throw new Error(`terraform init failed:\n${init.stderr}`);
      const binary = installedProviderBinary(dir);
      if (!binary) throw new Error(`terraform init installed no aws provider in ${dir}`);
      const rows: BenchRow[] = [typeCountRow(await schemaTypeCount(dir, env), "the provider's schema")];
      rows.push(typeCountRow(typesInScope(dir)?.size ?? Number.NaN, "the shipped stack's scope"));
      const samples = new Map<Setting, PlanCpuSample[]>(SETTINGS.map((setting) => [setting, []]));
      for (let round = 0; round <= RUNS; round++) {
        for (const setting of SETTINGS) {
          const lease = await pool.lease({
            binary,
            dir,
            env: providerEnvironment(env),
            wholeSchema: setting === "whole",
          });
          const [pid] = pool.processIds();
          if (pid === undefined) throw new Error("the pool lent no provider process");
          const providerBefore = processCpuSeconds(pid);
          const terraformBefore = childrenCpuSeconds();
          const plan = await runCommand("terraform", ["plan", "-input=false", "-no-color"], {
            cwd: dir,
            env: { ...env, TF_REATTACH_PROVIDERS: lease.reattach },
          });
          pool.release(lease.id);
          if (plan.exitCode !== 0)
            throw new Error(`terraform plan (${setting} schema) failed:\n${plan.stderr}`);
          // Round 0 starts the provider and lets it build its schema once: not what the setting changes.
          if (round === 0) continue;
          samples.get(setting)?.push({
            terraformCpu: childrenCpuSeconds() - terraformBefore,
            providerCpu: processCpuSeconds(pid) - providerBefore,
          });
        }
      }
      const medianOf = (setting: Setting, pick: (sample: PlanCpuSample) => number) =>
        median((samples.get(setting) ?? []).map(pick));
      for (const [what, pick] of [
        ["terraform CPU per offline plan of the shipped stack", (s: PlanCpuSample) => s.terraformCpu],
        ["provider CPU per offline plan of the shipped stack", (s: PlanCpuSample) => s.providerCpu],
      ] as const) {
        const baseline = { name: `${what}, whole schema`, value: medianOf("whole", pick) };
        rows.push({
          suite: "provider-schema",
          name: `${baseline.name} (${RUNS} plans)`,
          value: baseline.value,
          unit: "CPU-s",
        });
        rows.push({
          suite: "provider-schema",
          name: `${what}, scoped schema (${RUNS} plans)`,
          value: medianOf("scoped", pick),
          unit: "CPU-s",
          baseline,
        });
      }
      return rows;
    } finally {
      await pool.close();
      rmSync(root, { recursive: true, force: true });
    }
  },
};

export default suite;
