import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";

/**
 * Where a staged deploy remembers what it finished: JSON lines (`{"stack","digest","at"}`), one file per
 * job, in a folder the runner keeps between attempts (GitHub: the run's `deploy-progress-*` artifacts,
 * which a re-run of failed jobs downloads; GitLab: an artifact or cache; one box: a folder).
 *
 * A stack counts as done only at the digest of its synthesized folder that was deployed, so a record from
 * another configuration never skips a stack that changed since. Terraform state was the other candidate:
 * it says what exists, not which configuration was applied, and reading it back means a plan per stack,
 * the cost the record saves.
 */

export const PROGRESS_SUFFIX = ".progress.jsonl";

interface ProgressLine {
  readonly stack: string;
  readonly digest: string;
  readonly at: string;
}

/** Every `*.progress.jsonl` under `dir`, at any depth; a line that does not parse is refused by name. */
export function readProgress(dir: string): ProgressLine[] {
  if (!existsSync(dir)) return [];
  const lines: ProgressLine[] = [];
  const walk = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const file = path.join(folder, entry.name);
      if (entry.isDirectory()) {
        walk(file);
        continue;
      }
      if (!entry.name.endsWith(PROGRESS_SUFFIX)) continue;
      for (const [index, text] of readFileSync(file, "utf8").split("\n").entries()) {
        if (text.trim() === "") continue;
        let line: Partial<ProgressLine>;
        try {
          line = JSON.parse(text) as Partial<ProgressLine>;
        } catch {
          throw new Error(`${file}:${index + 1}: not a progress record: ${text.slice(0, 120)}`);
        }
        if (typeof line.stack !== "string" || typeof line.digest !== "string") {
          throw new Error(`${file}:${index + 1}: a progress record needs "stack" and "digest"`);
        }
        lines.push(line as ProgressLine);
      }
    }
  };
  walk(dir);
  return lines;
}

/** Stacks whose current digest a previous run recorded as deployed. */
export function doneStacks(
  progress: readonly ProgressLine[],
  digests: Readonly<Record<string, string>>,
): Set<string> {
  return new Set(progress.filter((line) => digests[line.stack] === line.digest).map((line) => line.stack));
}

/** Appends one record; the file is created on the first one. */
export function recordDone(file: string, stack: string, digest: string, now: Date = new Date()): void {
  mkdirSync(path.dirname(file), { recursive: true });
  appendFileSync(
    file,
    `${JSON.stringify({ stack, digest, at: now.toISOString() } satisfies ProgressLine)}\n`,
  );
}
