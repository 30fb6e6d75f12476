import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { stacksOfShard } from "../../app/shards";
import { type BenchRow, type BenchSuite, measureProcess, median } from "./harness";

const repoRoot = path.resolve(__dirname, "..", "..");
const RUNS = Number(process.env.AMI_GUARD_BENCH_SHARD_RUNS ?? 3);
const SHARDS = 2;

/** Six stacks (three accounts × two regions) in audit mode: the plan of one shard is what a CI job runs. */
const ACCOUNTS = ["410000000000", "410000001111", "410000002222"];
const REGIONS = ["eu-west-1", "us-east-1"];
const CONFIG = {
  approvedAmiIds: ["ami-0abcdef1234567890"],
  targetGroups: [{ accountIds: ACCOUNTS, regions: REGIONS, mode: "audit", recorder: "existing" }],
  backend: { type: "s3", bucket: "ami-guard-bench-state", region: "eu-west-1" },
};
const STACKS = ACCOUNTS.flatMap((account) => REGIONS.map((region) => `ami-guard-${account}-${region}`));

interface ShardCase {
  readonly name: string;
  readonly args: readonly string[];
  readonly stacks: number;
}

/**
 * Baseline: the same stacks named one by one with --stack, so the ratio isolates what --shard adds (the
 * selection) from what planning fewer stacks saves; the whole configuration is measured beside both.
 */
function cases(): ShardCase[] {
  const first = stacksOfShard(STACKS, { index: 1, count: SHARDS });
  return [
    {
      name: `--stack × ${first.length} (shard 1's stacks, named)`,
      args: first.flatMap((stack) => ["--stack", stack]),
      stacks: first.length,
    },
    { name: `--shard 1/${SHARDS}`, args: ["--shard", `1/${SHARDS}`], stacks: first.length },
    { name: `all ${STACKS.length} stacks, no shard`, args: [], stacks: STACKS.length },
  ];
}

function measure(configFile: string, c: ShardCase): number {
  const work = mkdtempSync(path.join(tmpdir(), "ami-guard-bench-shard-"));
  try {
    const measured = measureProcess(
      process.execPath,
      [
        "--import",
        "tsx",
        path.join(repoRoot, "scripts", "plan.ts"),
        ...c.args,
        "--concurrency",
        "2",
        "--plans-dir",
        path.join(work, "plans"),
        "--scratch-dir",
        path.join(work, "scratch"),
      ],
      {
        cwd: repoRoot,
        env: { ...process.env, AMI_GUARD_CONFIG: configFile, CDKTF_OUTDIR: path.join(work, "cdktf.out") },
      },
    );
    const planned = measured.stdout.split("\n").filter((line) => line.includes(": Plan: ")).length;
    if (planned !== c.stacks) throw new Error(`${c.name} planned ${planned} stacks:\n${measured.stdout}`);
    return measured.wallMs;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

const suite: BenchSuite = {
  name: "shard-plan",
  async run() {
    const configDir = mkdtempSync(path.join(tmpdir(), "ami-guard-bench-shard-config-"));
    const configFile = path.join(configDir, "config.json");
    writeFileSync(configFile, JSON.stringify(CONFIG));
    try {
      const all = cases();
      // Cases take turns within each round, so load from elsewhere falls on all of them alike.
      const samples = new Map<ShardCase, number[]>(all.map((c) => [c, []]));
      for (let round = 0; round < RUNS; round++) {
        for (const c of all) samples.get(c)?.push(measure(configFile, c));
      }
      const [baselineCase] = all as [ShardCase];
      const baseline = { name: baselineCase.name, value: median(samples.get(baselineCase) ?? []) };
      return all.map(
        (c): BenchRow => ({
          suite: "shard-plan",
          name: `npm run plan ${c.name}: median wall (${RUNS} runs)`,
          value: median(samples.get(c) ?? []),
          unit: "ms",
          ...(c === baselineCase ? {} : { baseline }),
        }),
      );
    } finally {
      rmSync(configDir, { recursive: true, force: true });
    }
  },
};

export default suite;
