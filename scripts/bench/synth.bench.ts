import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { type BenchRow, type BenchSuite, measureRepeatedly, median } from "./harness";

const repoRoot = path.resolve(__dirname, "..", "..");
const barrelHook = path.join(__dirname, "barrel-imports.cjs");
const RUNS = Number(process.env.AMI_GUARD_BENCH_RUNS ?? 5);
const SCALE_RUNS = Number(process.env.AMI_GUARD_BENCH_SCALE_RUNS ?? 3);

/** `count` distinct account-region targets as one target group: 50 accounts × 4 regions for 200. */
function configWithStacks(count: number): Record<string, unknown> {
  const regionCount = count % 4 === 0 ? 4 : count % 2 === 0 ? 2 : 1;
  const regions = ["eu-central-1", "eu-west-1", "us-east-1", "us-west-2"].slice(0, regionCount);
  const accounts = Math.ceil(count / regions.length);
  if (accounts * regions.length !== count)
    throw new Error(`${count} stacks do not split over ${regions.length} regions`);
  return {
    approvedAmiIds: ["ami-0abcdef1234567890"],
    targetGroups: [
      {
        accountIds: Array.from({ length: accounts }, (_, i) => String(100000000000 + i)),
        regions,
      },
    ],
  };
}

/** Synthesizes a configuration the way `npm run synth` does, in fresh processes. */
function measureSynth(
  configFile: string | undefined,
  runs: number,
  nodeArgs: string[] = [],
  extraEnv: NodeJS.ProcessEnv = {},
) {
  const outdir = mkdtempSync(path.join(tmpdir(), "ami-guard-bench-out-"));
  // `--import tsx` keeps the app in this one process (the tsx CLI would fork a second), so the preload hook
  // applies and the peak memory measured is the app's own.
  const args = [...nodeArgs, "--import", "tsx", path.join(repoRoot, "main.ts")];
  try {
    return measureRepeatedly(runs, process.execPath, args, {
      cwd: repoRoot,
      env: {
        ...process.env,
        CDKTF_OUTDIR: path.join(outdir, "cdktf.out"),
        ...(configFile ? { AMI_GUARD_CONFIG: configFile } : {}),
        ...extraEnv,
      },
    });
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

interface Measured {
  readonly wallMs: number;
  readonly peakRssMiB: number;
}

function medians(samples: readonly Measured[]): Measured {
  return {
    wallMs: median(samples.map((s) => s.wallMs)),
    peakRssMiB: median(samples.map((s) => s.peakRssMiB)),
  };
}

const suite: BenchSuite = {
  name: "synth",
  async run() {
    const rows: BenchRow[] = [];
    // The default configuration, deep imports against the same stacks built through the barrel import,
    // with the handler bundle cached (every synthesis after the first) and without (the first after an
    // install or a handler change), alternating run by run so load from elsewhere falls on all alike.
    const variants = {
      barrelCached: { nodeArgs: ["--require", barrelHook], env: {} },
      deepCached: { nodeArgs: [], env: {} },
      barrelUncached: { nodeArgs: ["--require", barrelHook], env: { AMI_GUARD_BUNDLE_CACHE: "off" } },
      deepUncached: { nodeArgs: [], env: { AMI_GUARD_BUNDLE_CACHE: "off" } },
    };
    const samples = Object.fromEntries(Object.keys(variants).map((name) => [name, [] as Measured[]]));
    for (let run = 0; run < RUNS; run++) {
      for (const [name, variant] of Object.entries(variants)) {
        samples[name]?.push(measureSynth(undefined, 1, variant.nodeArgs, variant.env));
      }
    }
    const result = (name: keyof typeof variants) => medians(samples[name] ?? []);
    for (const cache of ["Cached", "Uncached"] as const) {
      const deep = result(`deep${cache}`);
      const barrel = result(`barrel${cache}`);
      const label = cache === "Cached" ? "bundle cached" : "bundle cache off";
      rows.push(
        {
          suite: "synth",
          name: `default config, deep imports, ${label}: median wall (${RUNS} runs)`,
          value: deep.wallMs,
          unit: "ms",
          baseline: { name: `barrel import, ${label}`, value: barrel.wallMs },
          target: "< 2000 ms and ≤ 0.25× barrel",
        },
        {
          suite: "synth",
          name: `default config, deep imports, ${label}: median peak RSS`,
          value: deep.peakRssMiB,
          unit: "MiB",
          baseline: { name: `barrel import, ${label}`, value: barrel.peakRssMiB },
        },
      );
    }

    // Growth with the number of stacks, each against the single-stack run of this same bench.
    const configs = mkdtempSync(path.join(tmpdir(), "ami-guard-bench-configs-"));
    try {
      let single: Measured | undefined;
      for (const count of [1, 10, 50, 200]) {
        const file = path.join(configs, `stacks-${count}.json`);
        writeFileSync(file, JSON.stringify(configWithStacks(count)));
        const measured = measureSynth(file, SCALE_RUNS);
        single ??= measured;
        rows.push(
          {
            suite: "synth",
            name: `${count} stack(s): median wall (${SCALE_RUNS} runs)`,
            value: measured.wallMs,
            unit: "ms",
            baseline: { name: "1 stack", value: single.wallMs },
            ...(count === 200 ? { target: "≤ 30000 ms and ≤ 30× 1 stack" } : {}),
          },
          {
            suite: "synth",
            name: `${count} stack(s): median peak RSS`,
            value: measured.peakRssMiB,
            unit: "MiB",
            baseline: { name: "1 stack", value: single.peakRssMiB },
            ...(count === 200 ? { target: "≤ 1024 MiB" } : {}),
          },
        );
      }
    } finally {
      rmSync(configs, { recursive: true, force: true });
    }
    return rows;
  },
};

export default suite;
