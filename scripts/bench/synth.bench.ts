import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { type BenchRow, type BenchSuite, measureRepeatedly, median } from "./harness";

const repoRoot = path.resolve(__dirname, "..", "..");
const barrelHook = path.join(__dirname, "barrel-imports.cjs");
const RUNS = Number(process.env.AMI_GUARD_BENCH_RUNS ?? 5);
const SCALE_RUNS = Number(process.env.AMI_GUARD_BENCH_SCALE_RUNS ?? 3);
/** Another checkout (an earlier commit, say) synthesizing the same configurations in the same rounds. */
const BASELINE_CHECKOUT = process.env.AMI_GUARD_BENCH_SYNTH_BASELINE;
/** The organization sizes measured: per-stack cost as the count grows, up to 500 accounts × 4 regions. */
const SCALE_COUNTS = [1, 10, 200, 2000] as const;

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
  checkout: string = repoRoot,
) {
  const outdir = mkdtempSync(path.join(tmpdir(), "ami-guard-bench-out-"));
  // `--import tsx` keeps the app in this one process (the tsx CLI would fork a second), so the preload hook
  // applies and the peak memory measured is the app's own.
  const args = [...nodeArgs, "--import", "tsx", path.join(checkout, "main.ts")];
  try {
    return measureRepeatedly(runs, process.execPath, args, {
      cwd: checkout,
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

/**
 * Growth with the number of stacks, every stack event-driven (the heaviest: each ships the function's zip),
 * in fresh processes. Each count is measured SCALE_RUNS times, counts taking turns round by round so load
 * from elsewhere falls on all alike; with AMI_GUARD_BENCH_SYNTH_BASELINE the other checkout takes its turn
 * too, and each row of this checkout is compared with it.
 */
function scaleRows(): BenchRow[] {
  const configs = mkdtempSync(path.join(tmpdir(), "ami-guard-bench-configs-"));
  try {
    const files = new Map<number, string>();
    for (const count of SCALE_COUNTS) {
      const file = path.join(configs, `stacks-${count}.json`);
      writeFileSync(file, JSON.stringify(configWithStacks(count)));
      files.set(count, file);
    }
    const checkouts = [
      ...(BASELINE_CHECKOUT ? [{ label: `before (${BASELINE_CHECKOUT})`, cwd: BASELINE_CHECKOUT }] : []),
      { label: "this checkout", cwd: repoRoot },
    ];
    const samples = new Map<string, Measured[]>();
    for (let run = 0; run < SCALE_RUNS; run++) {
      for (const count of SCALE_COUNTS) {
        for (const checkout of checkouts) {
          process.stderr.write(`bench synth: round ${run + 1}, ${count} stack(s), ${checkout.label}\n`);
          const key = `${checkout.label}/${count}`;
          samples.set(key, [
            ...(samples.get(key) ?? []),
            measureSynth(files.get(count), 1, [], {}, checkout.cwd),
          ]);
        }
      }
    }
    const result = (label: string, count: number) => medians(samples.get(`${label}/${count}`) ?? []);
    const rows: BenchRow[] = [];
    for (const checkout of checkouts) {
      const single = result(checkout.label, 1);
      const reference = result(checkout.label, 200);
      const prefix = checkout.cwd === repoRoot ? "" : `${checkout.label}: `;
      for (const count of SCALE_COUNTS) {
        const measured = result(checkout.label, count);
        const before =
          checkout.cwd === repoRoot && BASELINE_CHECKOUT
            ? result(checkouts[0]?.label ?? "", count)
            : undefined;
        const large = count === 2000;
        rows.push(
          {
            suite: "synth",
            name: `${prefix}${count} stack(s): median wall (${SCALE_RUNS} runs)`,
            value: measured.wallMs,
            unit: "ms",
            baseline: before
              ? { name: `before, ${count} stack(s)`, value: before.wallMs }
              : large
                ? { name: "200 stacks", value: reference.wallMs }
                : { name: "1 stack", value: single.wallMs },
            ...(large ? { target: "≤ 60000 ms on two idle cores" } : {}),
          },
          {
            suite: "synth",
            name: `${prefix}${count} stack(s): wall per stack`,
            value: measured.wallMs / count,
            unit: "ms",
            baseline: before
              ? { name: `before, ${count} stack(s)`, value: before.wallMs / count }
              : { name: "200 stacks", value: reference.wallMs / 200 },
          },
          {
            suite: "synth",
            name: `${prefix}${count} stack(s): median peak RSS`,
            value: measured.peakRssMiB,
            unit: "MiB",
            baseline: before
              ? { name: `before, ${count} stack(s)`, value: before.peakRssMiB }
              : { name: "1 stack", value: single.peakRssMiB },
            ...(large ? { target: "≤ 1024 MiB" } : {}),
          },
        );
      }
    }
    return rows;
  } finally {
    rmSync(configs, { recursive: true, force: true });
  }
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

    rows.push(...scaleRows());
    return rows;
  },
};

export default suite;
