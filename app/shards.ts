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
 * The shard (1-based) a stack belongs to, by rendezvous (highest random weight) hashing: every shard
 * scores the stack by a hash of both names and the highest score wins.
 *
 * Why not the stack's position modulo n: a target added in the middle of the sorted list shifts every
 * later position, so nearly every stack changes shard. Why not hash(stack) modulo n: when the count
 * grows from n to n+1, about n/(n+1) of the stacks move. Here a stack's shard depends on its own name and
 * n only, so adding a target moves no other stack, and growing to n+1 shards moves only the stacks the new
 * shard wins, about 1/(n+1) of them (the least any scheme can move while staying balanced).
 */
export function shardOf(stackName: string, count: number): number {
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

/** The stacks of one shard, in the stable (sorted) order every shard and every run agree on. */
export function stacksOfShard(stackNames: readonly string[], shard: Shard): string[] {
  return [...new Set(stackNames)].sort().filter((name) => shardOf(name, shard.count) === shard.index);
}

/** How many stacks each shard gets, computing every stack's shard once (for reports and the model). */
export function shardSizes(stackNames: readonly string[], count: number): number[] {
  const sizes = new Array<number>(count).fill(0);
  for (const name of new Set(stackNames)) {
    const index = shardOf(name, count) - 1;
    sizes[index] = (sizes[index] ?? 0) + 1;
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
