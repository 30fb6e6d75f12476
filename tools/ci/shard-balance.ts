import { createHash } from "node:crypto";
import { parseArgs } from "node:util";
import { assignShards, preferredShard, SHARD_LOAD_PERCENT, shardCountFor } from "../../app/shards";

/**
 * `npx tsx tools/ci/shard-balance.ts [--sizes 30,200,2000] [--percents 100,105,110,125] [--trials 20]`:
 * for each stack count, the shard count the pull-request workflow computes (`AMI_GUARD_STACKS_PER_SHARD`
 * 10, `max-parallel` 64), the largest shard against the average, and how many of the stacks already in
 * the list change shard when one target (an account in the four regions) is added or one is removed, for
 * position modulo n, plain rendezvous hashing and rendezvous hashing with bounded loads at each percent.
 * Movement is counted with the shard count the formula gives before and after, as the workflow would, and
 * for an added target also with the shard count kept, which isolates what the scheme itself moves.
 * docs/scale.md ("Shards") holds its output.
 */
const { values } = parseArgs({
  options: {
    sizes: { type: "string", default: "30,200,2000" },
    percents: { type: "string", default: "100,105,110,125" },
    trials: { type: "string", default: "20" },
    "stacks-per-shard": { type: "string", default: "10" },
    "max-shards": { type: "string", default: "64" },
  },
});
const list = (text: string) => text.split(",").map(Number);
const trials = Number(values.trials);
const sizing = {
  stacksPerShard: Number(values["stacks-per-shard"]),
  maxShards: Number(values["max-shards"]),
};
const REGIONS = ["eu-central-1", "eu-west-1", "us-east-1", "us-west-2"];

/** The organization tools/ci/model.ts plans: accounts 1,111 apart, four regions each, in that order. */
function organization(stackCount: number): string[] {
  return Array.from(
    { length: stackCount },
    (_, i) => `ami-guard-${210_000_000_000 + Math.floor(i / 4) * 1111}-${REGIONS[i % 4]}`,
  );
}

/** A reproducible number below `below`, from a seed. */
function draw(seed: string, below: number): number {
  return Number(createHash("sha256").update(seed).digest().readBigUInt64BE(0) % BigInt(below));
}

type Scheme = {
  readonly name: string;
  readonly assign: (names: readonly string[], count: number) => Map<string, number>;
};

const schemes: Scheme[] = [
  {
    name: "position in the sorted list, modulo n",
    assign: (names, count) => new Map([...names].sort().map((name, i) => [name, (i % count) + 1])),
  },
  {
    name: "rendezvous, first choice (before)",
    assign: (names, count) => new Map(names.map((name) => [name, preferredShard(name, count)])),
  },
  ...list(values.percents).map(
    (percent): Scheme => ({
      name: `rendezvous, bounded at ${percent} %${percent === SHARD_LOAD_PERCENT ? " (now)" : ""}`,
      assign: (names, count) => assignShards(names, count, { loadPercent: percent }),
    }),
  ),
];

function moved(before: Map<string, number>, after: Map<string, number>): number {
  let count = 0;
  for (const [name, shard] of before) if (after.has(name) && after.get(name) !== shard) count++;
  return count;
}

function largest(assignment: Map<string, number>, count: number): number {
  const sizes = new Array<number>(count + 1).fill(0);
  for (const shard of assignment.values()) sizes[shard] = (sizes[shard] ?? 0) + 1;
  return Math.max(...sizes);
}

const summary = (counts: readonly number[]) =>
  `${(counts.reduce((a, b) => a + b, 0) / counts.length).toFixed(1)} (${Math.max(...counts)})`;

const lines = [
  `Shards for the pull-request plan: n = min(${sizing.maxShards}, ceil(N / ${sizing.stacksPerShard})); moved = stacks already in the list that change shard, mean (max) over ${trials} targets added or removed`,
  "",
  "| Stacks N | Shards n | Scheme | Largest shard (average) | Moved, a target added | Moved, a target added, n kept | Moved, a target removed |",
  "| ---: | ---: | --- | ---: | ---: | ---: | ---: |",
];
for (const stackCount of list(values.sizes)) {
  const names = organization(stackCount);
  const count = shardCountFor(stackCount, sizing);
  const accounts = [...new Set(names.map((name) => name.split("-")[2] as string))];
  for (const scheme of schemes) {
    const base = scheme.assign(names, count);
    const added: number[] = [];
    const addedHeld: number[] = [];
    const removed: number[] = [];
    for (let t = 0; t < trials; t++) {
      // A new account between the existing ones (never one of them), so it lands anywhere in the sorted list.
      const offset = draw(`added ${stackCount} ${t}`, accounts.length * 1111);
      const account = 210_000_000_000 + offset + (offset % 1111 === 0 ? 1 : 0);
      const grown = [...names, ...REGIONS.map((region) => `ami-guard-${account}-${region}`)];
      const grownCount = shardCountFor(grown.length, sizing);
      const grownAssignment = scheme.assign(grown, grownCount);
      added.push(moved(base, grownAssignment));
      addedHeld.push(
        grownCount === count ? (added[added.length - 1] as number) : moved(base, scheme.assign(grown, count)),
      );
      const gone = accounts[draw(`removed ${stackCount} ${t}`, accounts.length)];
      const shrunk = names.filter((name) => name.split("-")[2] !== gone);
      removed.push(moved(base, scheme.assign(shrunk, shardCountFor(shrunk.length, sizing))));
    }
    lines.push(
      `| ${stackCount} | ${count} | ${scheme.name} | ${largest(base, count)} (${(stackCount / count).toFixed(2)}) | ${summary(added)} | ${summary(addedHeld)} | ${summary(removed)} |`,
    );
  }
}
process.stdout.write(`${lines.join("\n")}\n`);
