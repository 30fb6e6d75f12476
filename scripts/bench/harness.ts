import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";

/** One row of `npm run bench`: a measurement and, where there is one, the baseline it is compared to. */
export interface BenchRow {
  readonly suite: string;
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  /** Baseline measured in the same run, and value/baseline. */
  readonly baseline?: { readonly name: string; readonly value: number };
  readonly target?: string;
  readonly note?: string;
}

export interface BenchSuite {
  readonly name: string;
  run(): Promise<BenchRow[]>;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error("median of nothing");
  const sorted = [...values].sort((a, b) => a - b);
  const upper = sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
  const lower = sorted[Math.ceil(sorted.length / 2) - 1] ?? Number.NaN;
  return (lower + upper) / 2;
}

interface ProcessMeasurement {
  readonly wallMs: number;
  /** Peak resident set size of the child, from GNU time's %M (kilobytes) turned into MiB. */
  readonly peakRssMiB: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs a command in a fresh process and measures its wall time and peak memory with /usr/bin/time, which
 * reads the kernel's accounting rather than sampling.
 */
export function measureProcess(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): ProcessMeasurement {
  const start = process.hrtime.bigint();
  const result = spawnSync("/usr/bin/time", ["-f", "AMI_GUARD_MAXRSS_KB=%M", command, ...args], {
    cwd: options.cwd,
    env: options.env ?? process.env,
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
  });
  const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.error)
    throw new Error(`cannot run /usr/bin/time (install Debian's "time" package): ${result.error.message}`);
  const match = /AMI_GUARD_MAXRSS_KB=(\d+)/.exec(result.stderr);
  if (result.status !== 0 || !match) {
    throw new Error(
      `${command} ${args.join(" ")} failed (exit ${result.status}):\n${result.stderr.slice(-4000)}`,
    );
  }
  return { wallMs, peakRssMiB: Number(match[1]) / 1024, stdout: result.stdout, stderr: result.stderr };
}

/** Median wall time and median peak memory over `runs` fresh processes. */
export function measureRepeatedly(
  runs: number,
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): { wallMs: number; peakRssMiB: number } {
  const samples = Array.from({ length: runs }, () => measureProcess(command, args, options));
  return {
    wallMs: median(samples.map((s) => s.wallMs)),
    peakRssMiB: median(samples.map((s) => s.peakRssMiB)),
  };
}

const TICKS_PER_SECOND = 100;

/**
 * Two adjacent clock-tick fields of a /proc stat file, in CPU seconds: from field 14 (utime + stime) the
 * process's own time, from field 16 (cutime + cstime) that of its children once reaped.
 */
function cpuSeconds(statFile: string, firstField: 14 | 16): number {
  const stat = readFileSync(statFile, "utf8");
  // Fields after the command name in parentheses, which may hold spaces, start at field 3.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[firstField - 3]) + Number(fields[firstField - 2])) / TICKS_PER_SECOND;
}

/** CPU seconds a live process has used. */
export const processCpuSeconds = (pid: number) => cpuSeconds(`/proc/${pid}/stat`, 14);
/** CPU seconds of this process's finished children: each terraform command, once reaped. */
export const childrenCpuSeconds = () => cpuSeconds("/proc/self/stat", 16);

/** What one terraform command cost with a lent provider: Terraform's own CPU and the provider's. */
export interface PlanCpuSample {
  readonly terraformCpu: number;
  readonly providerCpu: number;
}
