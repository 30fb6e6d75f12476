import fc from "fast-check";
import {
  GITHUB_MATRIX_JOB_LIMIT,
  parseShard,
  shardCountFor,
  shardMatrix,
  shardOf,
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

function partition(names: readonly string[], count: number): string[][] {
  return Array.from({ length: count }, (_, i) => stacksOfShard(names, { index: i + 1, count }));
}

/** 2,000 stacks as an organization of 500 accounts in 4 regions names them. */
const ORGANIZATION = Array.from({ length: 500 }, (_, a) =>
  ["eu-central-1", "eu-west-1", "us-east-1", "us-west-2"].map(
    (region) => `ami-guard-${String(210_000_000_000 + a * 1111).padStart(12, "0")}-${region}`,
  ),
).flat();

describe("shards (rendezvous hashing on the stack name)", () => {
  it("every stack is in exactly one shard: the union is everything, with no overlap", () => {
    fc.assert(
      fc.property(stackNames, shardCount, (names, count) => {
        const shards = partition(names, count);
        const union = shards.flat();
        expect(union.length).toBe(names.length);
        expect([...union].sort()).toEqual([...names].sort());
      }),
    );
  });

  it("adding a target moves no other stack between shards", () => {
    fc.assert(
      fc.property(stackNames, stackName, shardCount, (names, added, count) => {
        fc.pre(!names.includes(added));
        const before = partition(names, count);
        const after = partition([...names, added], count);
        for (let i = 0; i < count; i++) {
          expect(after[i]?.filter((name) => name !== added)).toEqual(before[i]);
        }
      }),
    );
  });

  it("growing from n to n+1 shards moves stacks only into the new shard", () => {
    fc.assert(
      fc.property(stackNames, shardCount, (names, count) => {
        for (const name of names) {
          const was = shardOf(name, count);
          const is = shardOf(name, count + 1);
          expect(is === was || is === count + 1).toBe(true);
        }
      }),
    );
  });

  it("growing 2,000 stacks from 199 to 200 shards moves about 1/200 of them; index-modulo would move almost all", () => {
    const moved = ORGANIZATION.filter((name) => shardOf(name, 199) !== shardOf(name, 200)).length;
    expect(moved).toBeGreaterThan(0);
    expect(moved).toBeLessThanOrEqual((2 * ORGANIZATION.length) / 200);
    // The alternative the comment in app/shards.ts rejects: one target inserted at the front shifts every index.
    const sorted = [...ORGANIZATION].sort();
    const withNew = ["ami-guard-000000000001-eu-central-1", ...sorted];
    const byIndex = (list: readonly string[], name: string) => (list.indexOf(name) % 200) + 1;
    const movedByIndex = sorted.filter((name) => byIndex(sorted, name) !== byIndex(withNew, name)).length;
    expect(movedByIndex).toBe(sorted.length);
  });

  it("the same names give the same shards whatever order they come in", () => {
    fc.assert(
      fc.property(stackNames, shardCount, (names, count) => {
        expect(partition([...names].reverse(), count)).toEqual(partition(names, count));
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
