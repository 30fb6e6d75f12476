import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import {
  aggregateComment,
  fullSummaries,
  readRecords,
  type StackPlanRecord,
} from "../../tools/terraform/plan-aggregate";
import type { ChangedStacksFile } from "./changed-stacks";

export { COMMENT_MARKER, MAX_COMMENT_LENGTH } from "../../tools/terraform/plan-aggregate";

/**
 * The aggregate step: reads the `<stack>.summary.json` records every plan shard uploaded, and writes the
 * one pull-request comment plus the file with every stack's full summary (the artifact reviewers open when
 * the comment says it could not hold them all).
 */
export function aggregate(
  summariesDir: string,
  changed: ChangedStacksFile,
  context: { readonly commit: string; readonly runUrl: string },
): { readonly comment: string; readonly full: string; readonly records: readonly StackPlanRecord[] } {
  const records = existsSync(summariesDir) ? readRecords(summariesDir) : [];
  const comment = aggregateComment(records, {
    ...context,
    totalStacks: changed.total,
    expectedStacks: changed.changed,
    noBase: changed.noBase,
  });
  return { comment, full: fullSummaries(records), records };
}

function main(argv: readonly string[]): void {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      "summaries-dir": { type: "string", default: "plans" },
      changed: { type: "string", default: "changed-stacks.json" },
      output: { type: "string", default: "comment.md" },
      "full-output": { type: "string", default: "plan-summaries.md" },
    },
    strict: true,
  });
  const changed = JSON.parse(readFileSync(values.changed, "utf8")) as ChangedStacksFile;
  const server = process.env.GITHUB_SERVER_URL ?? "https://github.com";
  const result = aggregate(values["summaries-dir"], changed, {
    commit: process.env.GITHUB_SHA ?? "unknown",
    runUrl: `${server}/${process.env.GITHUB_REPOSITORY}/actions/runs/${process.env.GITHUB_RUN_ID}`,
  });
  writeFileSync(values.output, result.comment);
  writeFileSync(values["full-output"], result.full);
  const failed = result.records.filter((record) => !record.ok).length;
  const missing = changed.changed.filter((stack) => !result.records.some((r) => r.stack === stack)).length;
  process.stdout.write(
    `Wrote ${values.output} (${result.records.length} stack(s), ${result.comment.length} characters) and ${values["full-output"]}; ${failed} failed, ${missing} missing\n`,
  );
  if (process.env.GITHUB_OUTPUT) {
    writeFileSync(process.env.GITHUB_OUTPUT, `failed=${failed + missing}\n`, { flag: "a" });
  }
}

if (require.main === module) main(process.argv.slice(2));
