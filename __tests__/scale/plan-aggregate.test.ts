import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import {
  aggregateComment,
  COMMENT_MARKER,
  GITHUB_COMMENT_LIMIT,
  MAX_COMMENT_LENGTH,
  readRecords,
  recordOfFailure,
  recordOfPlan,
  type StackPlanRecord,
} from "../../tools/terraform/plan-aggregate";
import type { PlanJson } from "../../tools/terraform/plan-summary";

const REGIONS = ["eu-central-1", "eu-west-1", "us-east-1", "us-west-2"];
/** 500 accounts in 4 regions, as the organization case names its stacks. */
const STACKS = Array.from({ length: 500 }, (_, a) =>
  REGIONS.map((region) => `ami-guard-${String(210_000_000_000 + a * 1111)}-${region}`),
).flat();

function rule(before: string[], after: string[], actions: string[] = ["update"]) {
  return {
    address: "aws_config_config_rule.approved-amis_rule_1234",
    mode: "managed" as const,
    type: "aws_config_config_rule",
    name: "approved-amis_rule_1234",
    change: {
      actions,
      before: { input_parameters: JSON.stringify({ amiIds: before.join(",") }) },
      after: { input_parameters: JSON.stringify({ amiIds: after.join(",") }) },
      ...(actions.length > 1 ? { replace_paths: [["name"]] } : {}),
    },
  };
}

/** A list change: ami-old leaves and ami-new joins every stack's list; `replacing` stacks also replace the rule. */
function listChange(stack: string, replacing: boolean): StackPlanRecord {
  const plan: PlanJson = {
    format_version: "1.2",
    resource_changes: [
      rule(
        ["ami-0aaaaaaaaaaaaaaaa", "ami-0old000000000000"],
        ["ami-0aaaaaaaaaaaaaaaa", "ami-0new000000000000"],
        replacing ? ["delete", "create"] : ["update"],
      ),
    ],
    output_changes: { remediation_mode: { after: "automatic" } },
  };
  return recordOfPlan(stack, plan);
}

const CONTEXT = { commit: "0123456789abcdef", runUrl: "https://github.example/runs/1" };

describe("the aggregated pull-request comment", () => {
  it("a list change across 2,000 stacks fits in one comment, replacements first, AMI ids added and removed", () => {
    // Given every stack's list changes, and 37 of them (spread over the list) replace their rule
    const replacing = new Set(STACKS.filter((_, i) => i % 54 === 7));
    const records = STACKS.map((stack) => listChange(stack, replacing.has(stack)));
    // When the aggregate step joins them
    const body = aggregateComment(records, {
      ...CONTEXT,
      totalStacks: STACKS.length,
      expectedStacks: STACKS,
    });
    // Then it is under GitHub's limit and says plainly that it is every stack
    expect(body.length).toBeLessThanOrEqual(MAX_COMMENT_LENGTH);
    expect(MAX_COMMENT_LENGTH).toBeLessThan(GITHUB_COMMENT_LIMIT.value);
    expect(body.startsWith(COMMENT_MARKER)).toBe(true);
    expect(body).toContain("**Every stack changed: 2,000 of 2,000**");
    expect(body).toContain("**Total:** 2,000 stacks planned: 37 to add, 1,963 to change, 37 to destroy");
    // Every replacing stack is named, before anything else about stacks
    const destructive = body.indexOf("### Replaces or destroys: 37 stacks");
    expect(destructive).toBeGreaterThan(0);
    expect(destructive).toBeLessThan(body.indexOf("### Approved AMI ids"));
    for (const stack of replacing) {
      const [, account, region] = /^ami-guard-(\d{12})-(.+)$/.exec(stack) as RegExpExecArray;
      expect(body.slice(destructive, body.indexOf("### Approved AMI ids"))).toMatch(
        new RegExp(`\`${account}\` [a-z0-9, -]*${region}`),
      );
    }
    // The AMI ids with how many stacks each one enters and leaves
    expect(body).toContain("| `ami-0new000000000000` | 2,000 stacks |  |");
    expect(body).toContain("| `ami-0old000000000000` |  | **2,000 stacks** |");
    // The full summaries that fit, destructive ones first; the rest is in the artifact
    expect(body.indexOf("### Per-stack summaries")).toBeGreaterThan(body.indexOf("### Approved AMI ids"));
    expect(body).toMatch(/more per-stack summaries did not fit in one comment/);
    const firstSummary = body.slice(body.indexOf("### Per-stack summaries"));
    expect(firstSummary).toContain("> This plan replaces 1 resource");
  });

  it("when all 2,000 stacks replace, every one is still named in the comment, grouped by account", () => {
    const records = STACKS.map((stack) => listChange(stack, true));
    const body = aggregateComment(records, {
      ...CONTEXT,
      totalStacks: STACKS.length,
      expectedStacks: STACKS,
    });
    expect(body.length).toBeLessThanOrEqual(MAX_COMMENT_LENGTH);
    for (let a = 0; a < 500; a++) {
      expect(body).toContain(
        `\`${210_000_000_000 + a * 1111}\` eu-central-1, eu-west-1, us-east-1, us-west-2`,
      );
    }
    expect(body).not.toContain("more in the artifact's plan-summaries.md");
  });

  it("names failed stacks and stacks no shard reported at the top, and counts only what changed", () => {
    const [a, b, c, d] = STACKS as [string, string, string, string];
    const records = [listChange(a, false), recordOfFailure(b, "init")];
    const body = aggregateComment(records, { ...CONTEXT, totalStacks: 2_000, expectedStacks: [a, b, c] });
    expect(body).toContain("**3 of 2,000 stacks changed** against the base; only those were planned.");
    const caution = body.indexOf("1 stack failed to plan and 1 stack have no result");
    expect(caution).toBeGreaterThan(0);
    expect(caution).toBeLessThan(body.indexOf("### Approved AMI ids"));
    expect(body.slice(caution, caution + 300)).toContain("`210000000000` eu-west-1, us-east-1");
    expect(body).not.toContain(d);
  });

  it("says so when nothing changed", () => {
    const body = aggregateComment([], { ...CONTEXT, totalStacks: 30, expectedStacks: [] });
    expect(body).toContain("No stack's synthesized configuration changed against the base: nothing to plan.");
    expect(body).toContain("0 stacks planned");
  });

  it("reads every shard's records from nested folders and refuses a stack two shards planned", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "ami-guard-aggregate-"));
    try {
      const [a, b] = STACKS as [string, string];
      for (const [shard, stack] of [
        ["plans-1-of-2", a],
        ["plans-2-of-2", b],
      ] as const) {
        mkdirSync(path.join(dir, shard));
        writeFileSync(
          path.join(dir, shard, `${stack}.summary.json`),
          JSON.stringify(listChange(stack, false)),
        );
      }
      expect(readRecords(dir).map((record) => record.stack)).toEqual([a, b]);
      writeFileSync(
        path.join(dir, "plans-2-of-2", `${a}.summary.json`),
        JSON.stringify(listChange(a, false)),
      );
      expect(() => readRecords(dir)).toThrow(`${a} was planned by two shards: the shards overlap`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
