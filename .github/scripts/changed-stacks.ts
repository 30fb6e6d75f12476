import { createHash } from "node:crypto";
import { appendFileSync, existsSync, readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";

/**
 * Which stacks a push to main has to deploy: those whose synthesized folder differs between the last
 * commit that deployed successfully and this one. Deploying only those keeps unrelated production stacks
 * from waiting on a reviewer for a no-op.
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

function main(argv: readonly string[]): void {
  const { values } = parseArgs({
    args: [...argv],
    options: { base: { type: "string" }, head: { type: "string" } },
    strict: true,
  });
  if (!values.head) throw new Error("usage: changed-stacks.ts --head <synth dir> [--base <synth dir>]");
  const base =
    values.base && existsSync(path.join(values.base, "stacks")) ? stackDigests(values.base) : undefined;
  const result = compareStacks(base, stackDigests(values.head));
  const lines = [`stacks=${JSON.stringify(result.changed)}`, `removed=${JSON.stringify(result.removed)}`];
  process.stdout.write(
    `${base ? "" : "No base synthesis: every stack counts as changed.\n"}Changed: ${result.changed.join(", ") || "none"}\nRemoved: ${result.removed.join(", ") || "none"}\n`,
  );
  if (process.env.GITHUB_OUTPUT) appendFileSync(process.env.GITHUB_OUTPUT, `${lines.join("\n")}\n`);
  else process.stdout.write(`${lines.join("\n")}\n`);
}

if (require.main === module) main(process.argv.slice(2));
