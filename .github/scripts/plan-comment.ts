import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { type PlanJson, summarizePlan } from "../../tools/terraform/plan-summary";

/**
 * Turns the plans a CI job made with real credentials (`<stack>.plan.json`, from `terraform show -json`)
 * into the same per-stack Markdown `npm run plan` writes, and joins them into one pull-request comment.
 */

/** Finds the workflow's own comment again, so every push updates it instead of adding another. */
export const COMMENT_MARKER = "<!-- ami-guard-plan -->";
/** GitHub refuses comment bodies over 65,536 characters; the rest stays in the job's artifact. */
export const MAX_COMMENT_LENGTH = 65_000;

interface StackSummary {
  readonly stackName: string;
  readonly markdown: string;
}

/** Writes `<stack>.plan.md` beside every `<stack>.plan.json` in the folder and returns them by stack name. */
export function summarizePlanFiles(plansDir: string): StackSummary[] {
  return readdirSync(plansDir)
    .filter((file) => file.endsWith(".plan.json"))
    .sort()
    .map((file) => {
      const stackName = file.slice(0, -".plan.json".length);
      const plan = JSON.parse(readFileSync(path.join(plansDir, file), "utf8")) as PlanJson;
      const markdown = summarizePlan(stackName, plan);
      writeFileSync(path.join(plansDir, `${stackName}.plan.md`), markdown);
      return { stackName, markdown };
    });
}

interface CommentContext {
  /** The commit the plans were made from. */
  readonly commit: string;
  /** Link to the workflow run, where the full plans are kept as an artifact. */
  readonly runUrl: string;
  /** Stacks whose plan failed; they are named at the top, since a missing summary reads like "no changes". */
  readonly failedStacks?: readonly string[];
}

export function commentBody(summaries: readonly StackSummary[], context: CommentContext): string {
  const failed = context.failedStacks ?? [];
  const header = [
    COMMENT_MARKER,
    "## ami-guard plan",
    "",
    `Commit ${context.commit.slice(0, 12)}: ${summaries.length} stack(s) planned. [Full plans](${context.runUrl}) are attached to the run.`,
    ...(failed.length > 0
      ? [
          "",
          `> [!CAUTION]`,
          `> Planning failed for ${failed.map((stack) => `\`${stack}\``).join(", ")}: see the run.`,
        ]
      : []),
    "",
  ].join("\n");
  const truncated = `\n_The comment was cut at ${MAX_COMMENT_LENGTH} characters; the run has every plan._\n`;
  let body = header;
  for (const summary of summaries) {
    const next = `${body}\n${summary.markdown}`;
    if (next.length + truncated.length > MAX_COMMENT_LENGTH) return `${body}${truncated}`;
    body = next;
  }
  return body;
}

function main(argv: readonly string[]): void {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      "plans-dir": { type: "string", default: "plans" },
      output: { type: "string", default: "plans/comment.md" },
      failed: { type: "string", multiple: true, default: [] },
    },
    strict: true,
  });
  const summaries = summarizePlanFiles(values["plans-dir"]);
  const server = process.env.GITHUB_SERVER_URL ?? "https://github.com";
  const body = commentBody(summaries, {
    commit: process.env.GITHUB_SHA ?? "unknown",
    runUrl: `${server}/${process.env.GITHUB_REPOSITORY}/actions/runs/${process.env.GITHUB_RUN_ID}`,
    failedStacks: values.failed,
  });
  writeFileSync(values.output, body);
  process.stdout.write(`Wrote ${values.output} (${summaries.length} stack(s), ${body.length} characters)\n`);
}

if (require.main === module) main(process.argv.slice(2));
