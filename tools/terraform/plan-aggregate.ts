import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import {
  amiListChanges,
  classifyChanges,
  countChanges,
  type PlanCounts,
  type PlanJson,
  summarizePlan,
} from "./plan-summary";

/**
 * One review surface for thousands of stacks: every shard writes a small record per stack
 * (`<stack>.summary.json`), and one job joins them into a single comment that fits GitHub's limit, with
 * the full per-stack summaries kept beside it as a file.
 */

/** GitHub refuses a comment body over this many characters. */
export const GITHUB_COMMENT_LIMIT = {
  value: 65_536,
  statement:
    'The REST API answers 422 "Body is too long (maximum is 65536 characters)" for a longer issue or pull-request comment (the error text; the reference page states no figure).',
  source: "https://docs.github.com/en/rest/issues/comments#create-an-issue-comment",
} as const;

/** Finds the workflow's own comment again, so every push updates it instead of adding another. */
export const COMMENT_MARKER = "<!-- ami-guard-plan -->";

/**
 * What the comment may use: under the limit with room to spare, because GitHub counts characters and the
 * text here is measured in UTF-16 code units, which are never fewer.
 */
export const MAX_COMMENT_LENGTH = 65_000;

export const SUMMARY_SUFFIX = ".summary.json";

type DestructiveKind = "replace" | "delete" | "forget";

interface DestructiveChange {
  readonly kind: DestructiveKind;
  readonly address: string;
  /** Attribute paths that force a replacement, as `a.b[0]`. */
  readonly forcedBy: readonly string[];
}

/** What one stack's plan means for review, small enough that 2,000 of them travel as artifacts. */
export interface StackPlanRecord {
  readonly stack: string;
  readonly ok: boolean;
  /** The terraform step that failed. @default - none: the plan succeeded */
  readonly failedStep?: string;
  readonly counts: PlanCounts;
  readonly destructive: readonly DestructiveChange[];
  readonly amiIds: { readonly added: readonly string[]; readonly removed: readonly string[] };
  /** The same per-stack Markdown `npm run plan` writes. */
  readonly markdown: string;
}

export function recordOfPlan(stack: string, plan: PlanJson): StackPlanRecord {
  const changes = classifyChanges(plan);
  const lists = amiListChanges(plan);
  const unique = (ids: readonly string[]) => [...new Set(ids)].sort();
  return {
    stack,
    ok: true,
    counts: countChanges(changes),
    destructive: changes.flatMap((change) =>
      change.kind === "replace" || change.kind === "delete" || change.kind === "forget"
        ? [{ kind: change.kind, address: change.address, forcedBy: change.replacePaths }]
        : [],
    ),
    amiIds: {
      added: unique(lists.flatMap((list) => list.added)),
      removed: unique(lists.flatMap((list) => list.removed)),
    },
    markdown: summarizePlan(stack, plan),
  };
}

export function recordOfFailure(stack: string, step: string): StackPlanRecord {
  return {
    stack,
    ok: false,
    failedStep: step,
    counts: { add: 0, change: 0, destroy: 0 },
    destructive: [],
    amiIds: { added: [], removed: [] },
    markdown: `### \`${stack}\`\n\n**Planning failed** in terraform ${step}: see the run's log and artifact.\n`,
  };
}

/** Every `*.summary.json` under `dir`, in any depth (a CI download puts each shard in a folder of its own). */
export function readRecords(dir: string): StackPlanRecord[] {
  const records: StackPlanRecord[] = [];
  const walk = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const file = path.join(folder, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (entry.name.endsWith(SUMMARY_SUFFIX))
        records.push(JSON.parse(readFileSync(file, "utf8")) as StackPlanRecord);
    }
  };
  walk(dir);
  const seen = new Map<string, StackPlanRecord>();
  for (const record of records) {
    if (seen.has(record.stack)) {
      throw new Error(`${record.stack} was planned by two shards: the shards overlap`);
    }
    seen.set(record.stack, record);
  }
  return [...seen.values()].sort((a, b) => a.stack.localeCompare(b.stack));
}

export interface AggregateContext {
  /** The commit the plans were made from. */
  readonly commit: string;
  /** Where the run and its artifacts are. */
  readonly runUrl: string;
  /** Stacks the configuration has in all, changed or not. */
  readonly totalStacks: number;
  /** Stacks that should have been planned (changed against the base); a missing record means a shard lost it. */
  readonly expectedStacks: readonly string[];
  /** True when there was no base to compare with, so every stack counts as changed. @default false */
  readonly noBase?: boolean;
}

const code = (text: string) => `\`${text.replaceAll("`", "'")}\``;
const n = (count: number) => count.toLocaleString("en-US");
const plural = (count: number, word: string) => `${n(count)} ${word}${count === 1 ? "" : "s"}`;

const STACK_NAME = /^ami-guard-(\d{12})-([a-z]{2}(?:-[a-z]+)+-\d)$/;

/**
 * Stack names, short: target stacks grouped by account (`` `210000000000` eu-west-1, us-east-1 ``), any
 * other stack by its name. 2,000 stacks of 500 accounts take about 35,000 characters instead of 80,000.
 */
export function compactStackList(stacks: readonly string[]): string[] {
  const byAccount = new Map<string, string[]>();
  const others: string[] = [];
  for (const stack of [...stacks].sort()) {
    const match = STACK_NAME.exec(stack);
    if (!match) {
      others.push(code(stack));
      continue;
    }
    const regions = byAccount.get(match[1] as string) ?? [];
    regions.push(match[2] as string);
    byAccount.set(match[1] as string, regions);
  }
  return [
    ...[...byAccount.entries()].map(([account, regions]) => `${code(account)} ${regions.join(", ")}`),
    ...others,
  ];
}

/** Items joined with "; " until `budget` characters, then "… and N more" so nothing is silently dropped. */
function within(items: readonly string[], budget: number, more: (n: number) => string): string {
  let text = "";
  for (const [index, item] of items.entries()) {
    const next = text ? `${text}; ${item}` : item;
    const tail = more(items.length - index - 1);
    if (next.length + tail.length + 2 > budget) {
      return text ? `${text}; ${more(items.length - index)}` : more(items.length - index);
    }
    text = next;
  }
  return text;
}

interface Section {
  readonly lines: string[];
}

function destructiveSection(records: readonly StackPlanRecord[], budget: number): Section {
  const destructive = records.filter((record) => record.destructive.length > 0);
  if (destructive.length === 0) return { lines: [] };
  // Stacks with the same destructive changes are one line: a list change that replaces one resource in
  // 2,000 stacks reads as one risk, not 2,000.
  const groups = new Map<string, { changes: readonly DestructiveChange[]; stacks: string[] }>();
  for (const record of destructive) {
    const key = JSON.stringify(record.destructive);
    const group = groups.get(key) ?? { changes: record.destructive, stacks: [] };
    group.stacks.push(record.stack);
    groups.set(key, group);
  }
  const lines = [
    `### Replaces or destroys: ${plural(destructive.length, "stack")}`,
    "",
    "> [!CAUTION]",
    "> Replacing a Config rule or recorder resets its compliance history. Read these first.",
    "",
  ];
  const sorted = [...groups.values()].sort((a, b) => b.stacks.length - a.stacks.length);
  const perGroup = Math.max(200, Math.floor((budget - 400) / sorted.length));
  for (const group of sorted) {
    const what = group.changes
      .map(
        (change) =>
          `**${change.kind}** ${code(change.address)}${change.forcedBy.length ? ` (forced by ${change.forcedBy.map(code).join(", ")})` : ""}`,
      )
      .join(", ");
    const names = within(
      compactStackList(group.stacks),
      perGroup,
      (n) => `… and ${n.toLocaleString("en-US")} more in the artifact's plan-summaries.md`,
    );
    lines.push(`- ${what} in ${plural(group.stacks.length, "stack")}: ${names}`);
  }
  lines.push("");
  return { lines };
}

function amiSection(records: readonly StackPlanRecord[]): Section {
  const added = new Map<string, number>();
  const removed = new Map<string, number>();
  for (const record of records) {
    for (const id of record.amiIds.added) added.set(id, (added.get(id) ?? 0) + 1);
    for (const id of record.amiIds.removed) removed.set(id, (removed.get(id) ?? 0) + 1);
  }
  if (added.size + removed.size === 0) return { lines: [] };
  const ids = [...new Set([...added.keys(), ...removed.keys()])].sort();
  return {
    lines: [
      "### Approved AMI ids",
      "",
      "| AMI id | added in | removed from |",
      "| --- | ---: | ---: |",
      ...ids.map((id) => {
        const a = added.get(id);
        const r = removed.get(id);
        return `| ${code(id)} | ${a ? plural(a, "stack") : ""} | ${r ? `**${plural(r, "stack")}**` : ""} |`;
      }),
      "",
      ...(removed.size > 0
        ? [
            "> [!IMPORTANT]",
            "> Instances running a removed AMI become NON_COMPLIANT when the rule re-evaluates; each stack's summary says what its mode then does.",
            "",
          ]
        : []),
    ],
  };
}

function countsSection(records: readonly StackPlanRecord[]): Section {
  const planned = records.filter((record) => record.ok);
  const groups = new Map<string, number>();
  for (const record of planned) {
    const { add, change, destroy } = record.counts;
    const line = `${add} to add, ${change} to change, ${destroy} to destroy`;
    groups.set(line, (groups.get(line) ?? 0) + 1);
  }
  return {
    lines: [
      "| Plan | Stacks |",
      "| --- | ---: |",
      ...[...groups.entries()]
        .sort((a, b) => b[1] - a[1])
        .map(([line, n]) => `| ${line} | ${n.toLocaleString("en-US")} |`),
      "",
    ],
  };
}

/**
 * The single pull-request comment: totals, every failed stack, every stack that replaces or destroys,
 * the AMI ids added and removed, then as many full per-stack summaries as fit (destructive ones first).
 * The result is never longer than MAX_COMMENT_LENGTH.
 */
export function aggregateComment(records: readonly StackPlanRecord[], context: AggregateContext): string {
  const planned = records.filter((record) => record.ok);
  const failed = records.filter((record) => !record.ok);
  const missing = context.expectedStacks.filter((stack) => !records.some((record) => record.stack === stack));
  const totals = planned.reduce(
    (sum, record) => ({
      add: sum.add + record.counts.add,
      change: sum.change + record.counts.change,
      destroy: sum.destroy + record.counts.destroy,
    }),
    { add: 0, change: 0, destroy: 0 },
  );
  const unchanged = planned.filter((r) => r.counts.add + r.counts.change + r.counts.destroy === 0).length;
  const every = context.expectedStacks.length === context.totalStacks && context.totalStacks > 0;
  const scope =
    context.expectedStacks.length === 0
      ? "No stack's synthesized configuration changed against the base: nothing to plan."
      : every
        ? `**Every stack changed: ${context.expectedStacks.length.toLocaleString("en-US")} of ${context.totalStacks.toLocaleString("en-US")}**${context.noBase ? " (there was no base to compare with)" : " (a change shared by every stack, such as the approved list)"}.`
        : `**${context.expectedStacks.length.toLocaleString("en-US")} of ${context.totalStacks.toLocaleString("en-US")} stacks changed** against the base; only those were planned.`;
  const head = [
    COMMENT_MARKER,
    "## ami-guard plan",
    "",
    `Commit ${context.commit.slice(0, 12)}. ${scope}`,
    "",
    `**Total:** ${plural(planned.length, "stack")} planned: ${n(totals.add)} to add, ${n(totals.change)} to change, ${n(totals.destroy)} to destroy; ${plural(unchanged, "stack")} with no changes. Every stack's full summary is in the run's [plan-summaries artifact](${context.runUrl}).`,
    "",
  ];
  let body = `${head.join("\n")}\n`;
  const room = () => MAX_COMMENT_LENGTH - body.length - 200;
  const problems = [...failed.map((record) => record.stack), ...missing];
  if (problems.length > 0) {
    const names = within(compactStackList(problems), Math.min(room(), 8_000), (n) => `… and ${n} more`);
    body += `> [!CAUTION]\n> ${plural(failed.length, "stack")} failed to plan${missing.length ? ` and ${plural(missing.length, "stack")} have no result` : ""}: ${names}. See the run.\n\n`;
  }
  const destructive = destructiveSection(records, Math.min(room() - 6_000, 45_000)).lines.join("\n");
  body += destructive ? `${destructive}\n` : "";
  for (const section of [amiSection(records), countsSection(records)]) {
    const text = `${section.lines.join("\n")}\n`;
    if (text.length < room()) body += text;
  }
  const ordered = [
    ...records.filter((r) => !r.ok),
    ...records.filter((r) => r.ok && r.destructive.length > 0),
    ...records.filter((r) => r.ok && r.destructive.length === 0 && r.counts.add + r.counts.change > 0),
  ];
  if (ordered.length === 0) return body;
  body += "### Per-stack summaries\n\n";
  let shown = 0;
  for (const record of ordered) {
    if (record.markdown.length + 1 > room()) break;
    body += `${record.markdown}\n`;
    shown++;
  }
  if (shown < ordered.length) {
    body += `_${(ordered.length - shown).toLocaleString("en-US")} more per-stack summaries did not fit in one comment; the run's plan-summaries artifact has every one._\n`;
  }
  return body;
}

/** Every stack's summary in one Markdown file, for the artifact: the review surface past the comment. */
export function fullSummaries(records: readonly StackPlanRecord[]): string {
  return records.map((record) => record.markdown).join("\n");
}
