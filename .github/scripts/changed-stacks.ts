import { createHash } from "node:crypto";
import { appendFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { DEFAULT_STACKS_PER_SHARD, GITHUB_MATRIX_JOB_LIMIT, shardMatrix } from "../../app/shards";

/**
 * Which stacks differ between two syntheses: for a pull request, its base and its head (only those are
 * planned); for a push to main, the last commit that deployed successfully and this one (only those are
 * deployed, which keeps unrelated production stacks from waiting on a reviewer for a no-op).
 */

/** Left behind by Terraform runs in a stack folder; none of it is configuration. */
const NOT_CONFIGURATION = [
  /^\.terraform(?:\/|$)/,
  /\.tfstate(?:\.backup)?$/,
  /^\.terraform\.lock\.hcl$/,
  /^tfplan$/,
];

function filesUnder(dir: string, prefix = ""): string[] {
  return readdirSync(path.join(dir, prefix), { withFileTypes: true })
    .flatMap((entry) => {
      const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
      if (NOT_CONFIGURATION.some((pattern) => pattern.test(relative))) return [];
      return entry.isDirectory() ? filesUnder(dir, relative) : [relative];
    })
    .sort();
}

/**
 * One digest per stack over every file's path and bytes. cdk.tf.json names each asset by its content hash,
 * so a changed Lambda bundle changes the digest too; hashing the assets as well costs little and holds
 * even if that naming changes.
 */
export function stackDigests(synthDir: string): Map<string, string> {
  const stacksDir = path.join(synthDir, "stacks");
  const digests = new Map<string, string>();
  if (!existsSync(stacksDir)) return digests;
  for (const entry of readdirSync(stacksDir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const stackDir = path.join(stacksDir, entry.name);
    const hash = createHash("sha256");
    for (const file of filesUnder(stackDir)) {
      hash.update(`${file}\0`);
      hash.update(readFileSync(path.join(stackDir, file)));
      hash.update("\0");
    }
    digests.set(entry.name, hash.digest("hex"));
  }
  return digests;
}

interface StackChanges {
  /** Stacks to deploy: new, or different from the base. */
  readonly changed: readonly string[];
  /** Stacks the base had and this commit no longer synthesizes; their resources stay until destroyed. */
  readonly removed: readonly string[];
}

/** With no base (first deploy, or the base could not be synthesized) every stack counts as changed. */
export function compareStacks(
  base: ReadonlyMap<string, string> | undefined,
  head: ReadonlyMap<string, string>,
): StackChanges {
  const changed = [...head.keys()].filter((stack) => base?.get(stack) !== head.get(stack)).sort();
  const removed = base ? [...base.keys()].filter((stack) => !head.has(stack)).sort() : [];
  return { changed, removed };
}

/** What the shard and aggregate jobs read: kept as a file, since 2,000 names outgrow an output or a variable. */
export interface ChangedStacksFile extends StackChanges {
  /** Stacks the head synthesizes, changed or not. */
  readonly total: number;
  /** No base synthesis to compare with: every stack counts as changed. */
  readonly noBase: boolean;
  /** Every stack changed, as a list change does. */
  readonly every: boolean;
  /** Each head stack's digest: a deploy's progress record counts a stack done only at this digest. */
  readonly digests: Readonly<Record<string, string>>;
}

export function changedStacksFile(
  base: ReadonlyMap<string, string> | undefined,
  head: ReadonlyMap<string, string>,
): ChangedStacksFile {
  const result = compareStacks(base, head);
  return {
    ...result,
    total: head.size,
    noBase: base === undefined,
    every: head.size > 0 && result.changed.length === head.size,
    digests: Object.fromEntries([...head.entries()].sort(([a], [b]) => a.localeCompare(b))),
  };
}

function main(argv: readonly string[]): void {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      base: { type: "string" },
      head: { type: "string" },
      write: { type: "string" },
      "stacks-per-shard": { type: "string", default: String(DEFAULT_STACKS_PER_SHARD) },
      "max-shards": { type: "string", default: String(GITHUB_MATRIX_JOB_LIMIT.value) },
    },
    strict: true,
  });
  if (!values.head)
    throw new Error(
      "usage: changed-stacks.ts --head <synth dir> [--base <synth dir>] [--write changed-stacks.json] [--stacks-per-shard N] [--max-shards N]",
    );
  const base =
    values.base && existsSync(path.join(values.base, "stacks")) ? stackDigests(values.base) : undefined;
  const result = changedStacksFile(base, stackDigests(values.head));
  if (values.write) writeFileSync(values.write, `${JSON.stringify(result, null, 2)}\n`);
  const matrix = shardMatrix(result.changed.length, {
    stacksPerShard: Number(values["stacks-per-shard"]),
    maxShards: Number(values["max-shards"]),
  });
  const lines = [
    `stacks=${JSON.stringify(result.changed)}`,
    `removed=${JSON.stringify(result.removed)}`,
    `count=${result.changed.length}`,
    `every=${result.every}`,
    `matrix=${JSON.stringify(matrix)}`,
  ];
  process.stdout.write(
    `${base ? "" : "No base synthesis: every stack counts as changed.\n"}Changed: ${result.changed.length} of ${result.total} stack(s)${result.every ? " (every stack)" : ""}; ${matrix.shard.length} shard(s)\nRemoved: ${result.removed.join(", ") || "none"}\n`,
  );
  if (process.env.GITHUB_OUTPUT) appendFileSync(process.env.GITHUB_OUTPUT, `${lines.join("\n")}\n`);
  else process.stdout.write(`${lines.join("\n")}\n`);
}

if (require.main === module) main(process.argv.slice(2));
