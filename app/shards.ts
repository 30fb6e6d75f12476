import { createHash } from "node:crypto";

/**
 * Splitting stacks over CI jobs. Nothing here knows GitHub: a shard is `i/n`, the same on GitHub's matrix,
 * GitLab's `parallel: matrix` (`CI_NODE_INDEX/CI_NODE_TOTAL` is already that shape) or a loop on one box.
 */

interface DocumentedLimit {
  readonly value: number;
  /** What the documentation says, in a sentence (paraphrased where it says so). */
  readonly statement: string;
  readonly source: string;
}

/** The most jobs one matrix may start; a larger matrix fails the run before any job starts. */
export const GITHUB_MATRIX_JOB_LIMIT: DocumentedLimit = {
  value: 256,
  statement:
    "A job matrix can generate a maximum of 256 jobs per workflow run. This limit applies to both GitHub-hosted and self-hosted runners.",
  source: "https://docs.github.com/en/actions/reference/limits",
};

/** One shard of `count`, numbered from 1 as `--shard 2/8` and CI job indexes read. */
export interface Shard {
  readonly index: number;
  readonly count: number;
}

/** `--shard i/n`: whole numbers, 1 ≤ i ≤ n. Throws a message naming what was wrong. */
export function parseShard(text: string): Shard {
  const match = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!match) throw new Error(`--shard must look like "2/8" (shard 2 of 8), got "${text}"`);
  const index = Number(match[1]);
  const count = Number(match[2]);
  if (count < 1) throw new Error(`--shard ${text}: the shard count must be at least 1`);
  if (index < 1 || index > count)
    throw new Error(`--shard ${text}: the shard number must be between 1 and ${count}`);
  return { index, count };
}

export function formatShard(shard: Shard): string {
  return `${shard.index}/${shard.count}`;
}

function weight(stackName: string, shardIndex: number): bigint {
  return createHash("sha256").update(`${stackName}\0${shardIndex}`).digest().readBigUInt64BE(0);
}

/**
 * The shard a stack prefers, its highest rendezvous weight, whatever the other stacks: plain rendezvous
 * hashing, which this project used alone before bounded loads. `assignShards` says where the stack goes.
 */
export function preferredShard(stackName: string, count: number): number {
  let best = 1;
  let bestWeight = -1n;
  for (let index = 1; index <= count; index++) {
    const w = weight(stackName, index);
    if (w > bestWeight) {
      best = index;
      bestWeight = w;
    }
  }
  return best;
}

/**
 * How far above the average a shard may grow, in percent (HAProxy's `hash-balance-factor` counts the same
 * way): each shard holds at most `ceil(110 % × stacks / shards)`. Measured, not derived:
 * `npx tsx tools/ci/shard-balance.ts` prints the largest shard and the stacks a target's arrival or
 * removal moves, for 30, 200 and 2,000 stacks at several factors (docs/scale.md, "Shards").
 */
export const SHARD_LOAD_PERCENT = 110;

/** The most stacks one shard may hold: `ceil(loadPercent / 100 × stacks / shards)`, at least 1. */
export function shardCapacity(stackCount: number, count: number, loadPercent = SHARD_LOAD_PERCENT): number {
  if (!Number.isInteger(loadPercent) || loadPercent < 100)
    throw new Error(`the shard load percent must be a whole number ≥ 100, got ${loadPercent}`);
  // Whole numbers throughout, so 110 % of 30 stacks over 3 shards is exactly 11 (1.1 × 30 / 3 is not).
  return Math.max(1, Math.ceil((loadPercent * stackCount) / (100 * count)));
}

export interface ShardAssignmentOptions {
  /** @default SHARD_LOAD_PERCENT (110) */
  readonly loadPercent?: number;
}

/**
 * The shard (1-based) of every stack, by rendezvous (highest random weight) hashing with bounded loads:
 * every shard scores a stack by a hash of both names, and the stacks, taken in sorted order, each go to
 * the highest-scoring shard that still has room under `shardCapacity`. This is the capacity rule of
 * consistent hashing with bounded loads (Mirrokni, Thorup and Zadimoghaddam, "Consistent Hashing with
 * Bounded Loads", SODA 2018, https://arxiv.org/abs/1608.01350: at most `ceil((1 + ε) m / n)` balls per
 * bin, a full bin passing the ball on to its next choice), with the rendezvous ranking in place of the
 * ring; HAProxy's `hash-balance-factor` is the same rule in a load balancer.
 *
 * Every CI job computes the whole assignment from the same stack list and keeps its own shard, so the
 * shards are a partition of the list whoever computes them, and the order the names come in is irrelevant.
 *
 * Why not the stack's position modulo n: a target added in the middle of the sorted list shifts every
 * later position, so nearly every stack changes shard. Why not plain rendezvous hashing (a stack's first
 * choice, no capacity): its shards are as uneven as random draws (30 stacks in 3 shards gave 4, 12 and
 * 14), and the plan phase waits for the largest. What the capacity costs: with the capacity C unchanged,
 * a stack added to (or removed from) the list moves at most min(count − 1, ⌊stacks / C⌋) others, since
 * each move fills another shard (the proof is in __tests__/scale/shards.test.ts), and about two for a
 * target of four at 2,000 stacks; when the capacity or the shard count steps with the list, more move.
 * docs/scale.md has the measurements.
 */
export function assignShards(
  stackNames: readonly string[],
  count: number,
  options: ShardAssignmentOptions = {},
): Map<string, number> {
  if (!Number.isInteger(count) || count < 1)
    throw new Error(`the shard count must be a whole number ≥ 1, got ${count}`);
  const names = [...new Set(stackNames)].sort();
  const capacity = shardCapacity(names.length, count, options.loadPercent);
  const loads = new Array<number>(count + 1).fill(0);
  const assignment = new Map<string, number>();
  for (const name of names) {
    // The highest-weighted shard with room; capacity × count ≥ the stack count, so one always has room.
    let best = 0;
    let bestWeight = -1n;
    for (let index = 1; index <= count; index++) {
      if ((loads[index] ?? 0) >= capacity) continue;
      const w = weight(name, index);
      if (w > bestWeight) {
        best = index;
        bestWeight = w;
      }
    }
    loads[best] = (loads[best] ?? 0) + 1;
    assignment.set(name, best);
  }
  return assignment;
}

/** The stacks of one shard, in the stable (sorted) order every shard and every run agree on. */
export function stacksOfShard(
  stackNames: readonly string[],
  shard: Shard,
  options: ShardAssignmentOptions = {},
): string[] {
  return [...assignShards(stackNames, shard.count, options)]
    .filter(([, index]) => index === shard.index)
    .map(([name]) => name);
}

/** How many stacks each shard gets (for reports and the model). */
export function shardSizes(
  stackNames: readonly string[],
  count: number,
  options: ShardAssignmentOptions = {},
): number[] {
  const sizes = new Array<number>(count).fill(0);
  for (const index of assignShards(stackNames, count, options).values()) {
    sizes[index - 1] = (sizes[index - 1] ?? 0) + 1;
  }
  return sizes;
}

export interface ShardCountOptions {
  /**
   * Stacks one job plans or deploys. Fewer means more jobs and less wall time, until the job's fixed cost
   * (checkout, npm ci, synthesis, terraform init) dominates: docs/scale.md has the numbers. @default 10
   */
  readonly stacksPerShard?: number;
  /** @default GITHUB_MATRIX_JOB_LIMIT.value (256) */
  readonly maxShards?: number;
}

export const DEFAULT_STACKS_PER_SHARD = 10;

/** How many shards `stackCount` stacks need: at least 1, never above the matrix limit. */
export function shardCountFor(stackCount: number, options: ShardCountOptions = {}): number {
  const perShard = options.stacksPerShard ?? DEFAULT_STACKS_PER_SHARD;
  const max = options.maxShards ?? GITHUB_MATRIX_JOB_LIMIT.value;
  if (!Number.isInteger(perShard) || perShard < 1)
    throw new Error(`stacks per shard must be a whole number ≥ 1, got ${perShard}`);
  if (!Number.isInteger(max) || max < 1 || max > GITHUB_MATRIX_JOB_LIMIT.value)
    throw new Error(`the shard limit must be between 1 and ${GITHUB_MATRIX_JOB_LIMIT.value}, got ${max}`);
  return Math.max(1, Math.min(max, Math.ceil(stackCount / perShard)));
}

/** A CI matrix: `{"shard":["1/3","2/3","3/3"]}`, empty (`{"shard":[]}`) when there is nothing to do. */
export interface ShardMatrix {
  readonly shard: readonly string[];
}

export function shardMatrix(stackCount: number, options: ShardCountOptions = {}): ShardMatrix {
  if (stackCount === 0) return { shard: [] };
  const count = shardCountFor(stackCount, options);
  return { shard: Array.from({ length: count }, (_, i) => formatShard({ index: i + 1, count })) };
}
