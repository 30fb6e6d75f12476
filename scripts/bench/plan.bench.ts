import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { type BenchRow, type BenchSuite, measureProcess, median } from "./harness";

const repoRoot = path.resolve(__dirname, "..", "..");
const RUNS = Number(process.env.AMI_GUARD_BENCH_PLAN_RUNS ?? 3);

/** `count` distinct account-region targets (accounts × two regions), in the default mode. */
function configWithStacks(count: number): Record<string, unknown> {
  const regions = count === 1 ? ["eu-central-1"] : ["eu-central-1", "us-east-1"];
  if (count % regions.length !== 0)
    throw new Error(`${count} stacks do not split over ${regions.length} regions`);
  return {
    approvedAmiIds: ["ami-0abcdef1234567890"],
    targetGroups: [
      {
        accountIds: Array.from({ length: count / regions.length }, (_, i) => String(200000000000 + i)),
        regions,
      },
    ],
  };
}

interface PlanCase {
  readonly stacks: number;
  readonly concurrency: number;
}

const CASES: readonly PlanCase[] = [
  { stacks: 1, concurrency: 1 },
  { stacks: 1, concurrency: 2 },
  { stacks: 10, concurrency: 1 },
  { stacks: 10, concurrency: 2 },
];

const caseName = (c: PlanCase) => `npm run plan, ${c.stacks} stack(s), --concurrency ${c.concurrency}`;

/**
 * One `npm run plan` (synthesis included) in a fresh process with fresh output and scratch folders, so
 * every run pays the first `init` a CI runner pays.
 */
function measurePlan(configFile: string, c: PlanCase): number {
  const work = mkdtempSync(path.join(tmpdir(), "ami-guard-bench-plan-"));
  try {
    const args = [
      "--import",
      "tsx",
      path.join(repoRoot, "scripts", "plan.ts"),
      "--concurrency",
      String(c.concurrency),
      "--plans-dir",
      path.join(work, "plans"),
      "--scratch-dir",
      path.join(work, "scratch"),
    ];
    const measured = measureProcess(process.execPath, args, {
      cwd: repoRoot,
      env: { ...process.env, AMI_GUARD_CONFIG: configFile, CDKTF_OUTDIR: path.join(work, "cdktf.out") },
    });
    const planLines = measured.stdout.split("\n").filter((line) => line.includes(": Plan: "));
    if (planLines.length !== c.stacks) {
      throw new Error(`${caseName(c)} printed ${planLines.length} Plan lines:\n${measured.stdout}`);
    }
    return measured.wallMs;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

const suite: BenchSuite = {
  name: "plan",
  async run() {
    const configDir = mkdtempSync(path.join(tmpdir(), "ami-guard-bench-plan-config-"));
    const configFiles = new Map<number, string>();
    for (const stacks of new Set(CASES.map((c) => c.stacks))) {
      const file = path.join(configDir, `${stacks}-stacks.json`);
      writeFileSync(file, JSON.stringify(configWithStacks(stacks)));
      configFiles.set(stacks, file);
    }
    try {
      // Cases take turns within each round, so load from elsewhere on the shared machine falls on all alike.
      const samples = new Map<PlanCase, number[]>(CASES.map((c) => [c, []]));
      for (let round = 0; round < RUNS; round++) {
        for (const c of CASES) samples.get(c)?.push(measurePlan(configFiles.get(c.stacks) as string, c));
      }
      const [baselineCase] = CASES as [PlanCase];
      const baseline = { name: caseName(baselineCase), value: median(samples.get(baselineCase) ?? []) };
      return CASES.map(
        (c): BenchRow => ({
          suite: "plan",
          name: `${caseName(c)}: median wall (${RUNS} runs)`,
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
