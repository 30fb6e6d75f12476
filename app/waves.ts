/**
 * Staged deploys: the canary stacks first, then waves that grow, stopping at the first stack that fails
 * and resuming from a record of what was done. Pure: the deploy step, the preflight and the record are
 * passed in, so the same planner runs in a CI matrix, on one box, and in tests with a fake deploy step.
 */

export interface WaveSettings {
  /** Stacks deployed first, alone, so a bad change meets few accounts. @default - none: wave 1 comes first */
  readonly canary?: readonly string[];
  /** Stacks in the first wave after the canary. @default 4 */
  readonly firstWaveSize?: number;
  /** Each wave is this many times the previous one. @default 2 */
  readonly growthFactor?: number;
  /**
   * Waves in all, canary included; the last one takes every stack left. The deploy workflow has one job
   * per wave, so this must not exceed the jobs it declares. @default 8
   */
  readonly maxWaves?: number;
}

export const WAVE_DEFAULTS = { firstWaveSize: 4, growthFactor: 2, maxWaves: 8 } as const;

export interface Wave {
  /** 0-based position; the canary, when there is one, is wave 0. */
  readonly index: number;
  readonly name: string;
  readonly stacks: readonly string[];
}

/**
 * Splits the stacks to deploy into waves: the canary stacks among them, then the rest in name order, in
 * waves of firstWaveSize, ×growthFactor each time, the last taking whatever is left. The same input
 * always gives the same waves, which is what lets a rerun find the wave it stopped in.
 */
export function planWaves(stacks: readonly string[], settings: WaveSettings = {}): Wave[] {
  const first = settings.firstWaveSize ?? WAVE_DEFAULTS.firstWaveSize;
  const growth = settings.growthFactor ?? WAVE_DEFAULTS.growthFactor;
  const maxWaves = settings.maxWaves ?? WAVE_DEFAULTS.maxWaves;
  if (!Number.isInteger(first) || first < 1) throw new Error(`firstWaveSize must be ≥ 1, got ${first}`);
  if (!(growth >= 1)) throw new Error(`growthFactor must be ≥ 1, got ${growth}`);
  if (!Number.isInteger(maxWaves) || maxWaves < 1) throw new Error(`maxWaves must be ≥ 1, got ${maxWaves}`);
  const all = [...new Set(stacks)].sort();
  const canarySet = new Set(settings.canary ?? []);
  const canary = all.filter((stack) => canarySet.has(stack));
  const rest = all.filter((stack) => !canarySet.has(stack));
  const waves: Wave[] = [];
  if (canary.length > 0) waves.push({ index: 0, name: "canary", stacks: canary });
  let size = first;
  let start = 0;
  while (start < rest.length) {
    const last = waves.length === maxWaves - 1;
    const end = last ? rest.length : Math.min(rest.length, start + Math.round(size));
    waves.push({ index: waves.length, name: `wave ${waves.length}`, stacks: rest.slice(start, end) });
    start = end;
    size *= growth;
  }
  return waves;
}

export type StepResult = { readonly ok: true } | { readonly ok: false; readonly reason: string };

export interface WaveRunOptions {
  readonly waves: readonly Wave[];
  /** Stacks a previous run already deployed (from the progress record); they are skipped. */
  readonly done: ReadonlySet<string>;
  /** Read-only checks of a wave's stacks before any of them deploys. */
  readonly preflight: (wave: Wave, stacks: readonly string[]) => Promise<StepResult>;
  readonly deploy: (stack: string, wave: Wave) => Promise<StepResult>;
  /** Called once a stack deployed, before the run goes on, so a crash right after loses nothing. */
  readonly record: (stack: string, wave: Wave) => void | Promise<void>;
  /** Stacks deployed at the same time within a wave. @default 1 */
  readonly concurrency?: number;
}

export interface WaveFailure {
  readonly wave: number;
  readonly step: "preflight" | "deploy";
  /** The stack that failed; absent when the preflight blocked the whole wave. */
  readonly stack?: string;
  readonly reason: string;
}

export interface WaveOutcome {
  readonly status: "complete" | "stopped";
  /** Deployed by this run, in the order they finished. */
  readonly deployed: readonly string[];
  /** Skipped because the progress record had them. */
  readonly alreadyDone: readonly string[];
  /** Every failure of the wave that stopped the run (stacks already running when the first failed finish). */
  readonly failures: readonly WaveFailure[];
  /** Not deployed: the rest of the stopped wave and every later wave. */
  readonly notStarted: readonly string[];
}

/**
 * Deploys wave after wave. Within a wave, once a stack fails no further stack starts; stacks already
 * running finish (an apply is never interrupted) and are recorded if they succeed. No later wave starts.
 */
export async function runWaves(options: WaveRunOptions): Promise<WaveOutcome> {
  const limit = options.concurrency ?? 1;
  if (!Number.isInteger(limit) || limit < 1) throw new Error(`concurrency must be ≥ 1, got ${limit}`);
  const deployed: string[] = [];
  const alreadyDone: string[] = [];
  for (const [position, wave] of options.waves.entries()) {
    const pending = wave.stacks.filter((stack) => !options.done.has(stack));
    alreadyDone.push(...wave.stacks.filter((stack) => options.done.has(stack)));
    if (pending.length === 0) continue;
    const later = options.waves.slice(position + 1).flatMap((w) => w.stacks);
    const preflight = await options.preflight(wave, pending);
    if (!preflight.ok) {
      return {
        status: "stopped",
        deployed,
        alreadyDone,
        failures: [{ wave: wave.index, step: "preflight", reason: preflight.reason }],
        notStarted: [...pending, ...later.filter((stack) => !options.done.has(stack))],
      };
    }
    const failures: WaveFailure[] = [];
    const started = new Set<string>();
    let next = 0;
    const worker = async () => {
      while (failures.length === 0 && next < pending.length) {
        const stack = pending[next++] as string;
        started.add(stack);
        const result = await options.deploy(stack, wave);
        if (result.ok) {
          await options.record(stack, wave);
          deployed.push(stack);
        } else {
          failures.push({ wave: wave.index, step: "deploy", stack, reason: result.reason });
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(limit, pending.length) }, worker));
    if (failures.length > 0) {
      return {
        status: "stopped",
        deployed,
        alreadyDone,
        failures,
        notStarted: [
          ...pending.filter((stack) => !started.has(stack)),
          ...later.filter((stack) => !options.done.has(stack)),
        ],
      };
    }
  }
  return { status: "complete", deployed, alreadyDone, failures: [], notStarted: [] };
}

export function formatOutcome(outcome: WaveOutcome): string {
  const lines = [
    outcome.status === "complete"
      ? `Deploy complete: ${outcome.deployed.length} stack(s) deployed, ${outcome.alreadyDone.length} already done by an earlier run.`
      : `Deploy STOPPED: ${outcome.deployed.length} stack(s) deployed, ${outcome.alreadyDone.length} already done by an earlier run, ${outcome.notStarted.length} not started.`,
  ];
  for (const failure of outcome.failures) {
    lines.push(
      `  wave ${failure.wave}: ${failure.step} failed${failure.stack ? ` for ${failure.stack}` : ""}: ${failure.reason}`,
    );
  }
  if (outcome.deployed.length > 0) lines.push(`  done: ${outcome.deployed.join(", ")}`);
  if (outcome.notStarted.length > 0) {
    lines.push(`  not started: ${outcome.notStarted.join(", ")}`);
    lines.push("  Run the deploy again: stacks already done are skipped, and it resumes here.");
  }
  return lines.join("\n");
}
