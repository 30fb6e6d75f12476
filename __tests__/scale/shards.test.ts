import fc from "fast-check";
import {
  assignShards,
  GITHUB_MATRIX_JOB_LIMIT,
  parseShard,
  preferredShard,
  SHARD_LOAD_PERCENT,
  shardCapacity,
  shardCountFor,
  shardMatrix,
  shardSizes,
  stacksOfShard,
} from "../../app/shards";

const stackName = fc
  .tuple(
    fc.integer({ min: 0, max: 999_999_999_999 }),
    fc.constantFrom("eu-central-1", "us-east-1", "ap-south-2"),
  )
  .map(([account, region]) => `ami-guard-${String(account).padStart(12, "0")}-${region}`);
const stackNames = fc.uniqueArray(stackName, { minLength: 0, maxLength: 120 });
const shardCount = fc.integer({ min: 1, max: 40 });

/** Each shard computed on its own, as each CI job does. */
function partition(names: readonly string[], count: number): string[][] {
  return Array.from({ length: count }, (_, i) => stacksOfShard(names, { index: i + 1, count }));
}

/** Stacks of `before` whose shard differs in `after`. */
function moved(before: Map<string, number>, after: Map<string, number>): string[] {
  return [...before]
    .filter(([name, shard]) => after.has(name) && after.get(name) !== shard)
    .map(([name]) => name);
}

/** A target: one account in one to four regions, as a configuration's target group adds it. */
const target = fc
  .tuple(
    fc.integer({ min: 0, max: 999_999_999_999 }),
    fc.subarray(["eu-central-1", "us-east-1", "ap-south-2", "sa-east-1"], { minLength: 1 }),
  )
  .map(([account, regions]) =>
    regions.map((region) => `ami-guard-${String(account).padStart(12, "0")}-${region}`),
  );

/** 2,000 stacks as an organization of 500 accounts in 4 regions names them. */
const ORGANIZATION = Array.from({ length: 500 }, (_, a) =>
  ["eu-central-1", "eu-west-1", "us-east-1", "us-west-2"].map(
    (region) => `ami-guard-${String(210_000_000_000 + a * 1111).padStart(12, "0")}-${region}`,
  ),
).flat();

describe("shards (rendezvous hashing with bounded loads)", () => {
  it("every stack is in exactly one shard when each job computes its own: the union is everything, with no overlap", () => {
    fc.assert(
      fc.property(stackNames, shardCount, (names, count) => {
        const shards = partition(names, count);
        const union = shards.flat();
        expect(union.length).toBe(names.length);
        expect([...union].sort()).toEqual([...names].sort());
      }),
      { numRuns: 50 },
    );
  });

  it("no shard holds more than the capacity, ceil(110 % × stacks / shards)", () => {
    fc.assert(
      fc.property(stackNames, shardCount, (names, count) => {
        const sizes = shardSizes(names, count);
        expect(sizes.reduce((a, b) => a + b, 0)).toBe(names.length);
        expect(Math.max(...sizes)).toBeLessThanOrEqual(
          Math.ceil((SHARD_LOAD_PERCENT * names.length) / (100 * count)),
        );
      }),
    );
    expect(shardCapacity(30, 3)).toBe(11);
    expect(shardCapacity(2_000, 64)).toBe(35);
    expect(() => shardCapacity(30, 3, 99)).toThrow("a whole number ≥ 100, got 99");
    expect(() => assignShards(["ami-guard-000000000001-us-east-1"], 0)).toThrow(
      "the shard count must be a whole number ≥ 1, got 0",
    );
  });

  // Why the bound holds, with the capacity C unchanged. Stacks are placed in sorted order; compare the
  // placement without and with one added stack. After each stack, the loads with it are the loads without
  // it plus one in a single shard d. A later stack's choice differs only if its choice without the newcomer
  // is d and d is full with it: that stack moves, d is now full in both, and the extra unit goes where the
  // stack went. So each move fills a different shard of the placement without the newcomer, and the
  // shard holding the extra unit at the end is not full there: at most min(n − 1, ⌊N / C⌋) moves per
  // added stack. Removing a target is the same comparison read the other way.
  it("adding or removing a target of r stacks, with the capacity C unchanged, moves at most r × min(n − 1, ⌊(N + r) / C⌋) other stacks", () => {
    let capacityHeld = 0;
    fc.assert(
      fc.property(stackNames, target, shardCount, (names, added, count) => {
        fc.pre(!added.some((name) => names.includes(name)));
        const grown = [...names, ...added];
        const capacity = shardCapacity(names.length, count);
        const without = assignShards(names, count);
        const withTarget = assignShards(grown, count);
        const movedNames = moved(without, withTarget);
        if (shardCapacity(grown.length, count) === capacity) {
          capacityHeld++;
          const bound = added.length * Math.min(count - 1, Math.floor(grown.length / capacity));
          expect(movedNames.length).toBeLessThanOrEqual(bound);
        }
        // Whatever the capacity does: a stack in its own first choice in both placements stays, so only
        // stacks some shard's capacity turned away can move.
        for (const name of movedNames) {
          const first = preferredShard(name, count);
          expect(without.get(name) !== first || withTarget.get(name) !== first).toBe(true);
        }
      }),
    );
    // Most draws keep the capacity (it changes once every n / 1.1 stacks): the bound was really checked.
    expect(capacityHeld).toBeGreaterThan(25);
  });

  it("2,000 stacks in 64 shards: the largest holds 35 where plain rendezvous hashing gave 44, a new target moves a handful, position modulo n moves hundreds", () => {
    const count = 64;
    const before = assignShards(ORGANIZATION, count);
    const plain = new Map(ORGANIZATION.map((name) => [name, preferredShard(name, count)]));
    const largest = (assignment: Map<string, number>) =>
      Math.max(
        ...Array.from(
          { length: count },
          (_, i) => [...assignment.values()].filter((s) => s === i + 1).length,
        ),
      );
    expect(largest(before)).toBe(shardCapacity(ORGANIZATION.length, count));
    expect(largest(before)).toBe(35);
    expect(largest(plain)).toBe(44);
    // A new account in four regions, in the middle of the sorted list.
    const added = ["eu-central-1", "eu-west-1", "us-east-1", "us-west-2"].map(
      (region) => `ami-guard-210000277000-${region}`,
    );
    const after = assignShards([...ORGANIZATION, ...added], count);
    expect(shardCapacity(ORGANIZATION.length + added.length, count)).toBe(35);
    expect(moved(before, after).length).toBeLessThan(10);
    // The alternative app/shards.ts rejects: the target shifts the position of every stack after it.
    const sorted = [...ORGANIZATION].sort();
    const withNew = [...sorted, ...added].sort();
    const byIndex = (list: readonly string[], name: string) => (list.indexOf(name) % count) + 1;
    const movedByIndex = sorted.filter((name) => byIndex(sorted, name) !== byIndex(withNew, name)).length;
    expect(movedByIndex).toBeGreaterThan(ORGANIZATION.length / 4);
  });

  it("the same names give the same shards whatever order they come in, and repeated names count once", () => {
    fc.assert(
      fc.property(stackNames, shardCount, (names, count) => {
        const forward = [...assignShards(names, count)];
        expect([...assignShards([...names].reverse(), count)]).toEqual(forward);
        expect([...assignShards([...names, ...names], count)]).toEqual(forward);
      }),
    );
  });
});

describe("shard count and matrix", () => {
  it(`never asks for more than GitHub's ${GITHUB_MATRIX_JOB_LIMIT.value} jobs per matrix`, () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.integer({ min: 1, max: 50 }),
        (stacks, perShard) => {
          const matrix = shardMatrix(stacks, { stacksPerShard: perShard });
          expect(matrix.shard.length).toBeLessThanOrEqual(GITHUB_MATRIX_JOB_LIMIT.value);
          expect(matrix.shard.length).toBe(
            stacks === 0 ? 0 : shardCountFor(stacks, { stacksPerShard: perShard }),
          );
        },
      ),
    );
    expect(GITHUB_MATRIX_JOB_LIMIT.source).toMatch(/^https:\/\/docs\.github\.com\//);
  });

  it("grows with the stack count: 30 stacks make 3 shards of 10, 2,000 make 200, 5,000 stop at 256", () => {
    expect(shardMatrix(30)).toEqual({ shard: ["1/3", "2/3", "3/3"] });
    expect(shardCountFor(2_000)).toBe(200);
    expect(shardCountFor(5_000)).toBe(256);
    expect(shardMatrix(0)).toEqual({ shard: [] });
    expect(() => shardCountFor(10, { maxShards: 300 })).toThrow("between 1 and 256");
  });

  it("parses i/n and refuses anything else, saying what is wrong", () => {
    expect(parseShard("2/8")).toEqual({ index: 2, count: 8 });
    expect(() => parseShard("0/8")).toThrow("between 1 and 8");
    expect(() => parseShard("9/8")).toThrow("between 1 and 8");
    expect(() => parseShard("2-8")).toThrow('--shard must look like "2/8"');
    expect(() => parseShard("1/0")).toThrow("at least 1");
  });
});
