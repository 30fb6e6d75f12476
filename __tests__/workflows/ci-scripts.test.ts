import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { compareStacks, stackDigests } from "../../.github/scripts/changed-stacks";
import {
  COMMENT_MARKER,
  commentBody,
  MAX_COMMENT_LENGTH,
  summarizePlanFiles,
} from "../../.github/scripts/plan-comment";
import type { PlanJson } from "../../tools/terraform/plan-summary";

function scratchDir(): string {
  return mkdtempSync(path.join(tmpdir(), "ami-guard-ci-scripts-"));
}

/** A synthesis folder with the given files per stack, as cdktf lays it out. */
function synthesis(stacks: Record<string, Record<string, string>>): string {
  const dir = scratchDir();
  for (const [stack, files] of Object.entries(stacks)) {
    for (const [file, content] of Object.entries(files)) {
      const target = path.join(dir, "stacks", stack, file);
      mkdirSync(path.dirname(target), { recursive: true });
      writeFileSync(target, content);
    }
  }
  return dir;
}

const A = "ami-guard-111122223333-eu-central-1";
const B = "ami-guard-111122223333-eu-west-1";

describe("changed-stacks", () => {
  it("finds nothing to deploy when the synthesis is the same", () => {
    const files = { [A]: { "cdk.tf.json": '{"a":1}' }, [B]: { "cdk.tf.json": '{"b":1}' } };
    expect(compareStacks(stackDigests(synthesis(files)), stackDigests(synthesis(files)))).toEqual({
      changed: [],
      removed: [],
    });
  });

  it("deploys a stack whose configuration or asset changed, and a new stack", () => {
    const base = synthesis({
      [A]: { "cdk.tf.json": "{}", "assets/x/handler.zip": "v1" },
      [B]: { "cdk.tf.json": "{}" },
    });
    const head = synthesis({
      [A]: { "cdk.tf.json": "{}", "assets/x/handler.zip": "v2" },
      [B]: { "cdk.tf.json": '{"changed":true}' },
      "ami-guard-444455556666-us-east-1": { "cdk.tf.json": "{}" },
    });
    expect(compareStacks(stackDigests(base), stackDigests(head)).changed).toEqual([
      "ami-guard-111122223333-eu-central-1",
      "ami-guard-111122223333-eu-west-1",
      "ami-guard-444455556666-us-east-1",
    ]);
  });

  it("reports a stack the configuration dropped as removed, not as something to deploy", () => {
    const base = synthesis({ [A]: { "cdk.tf.json": "{}" }, [B]: { "cdk.tf.json": "{}" } });
    const head = synthesis({ [A]: { "cdk.tf.json": "{}" } });
    expect(compareStacks(stackDigests(base), stackDigests(head))).toEqual({ changed: [], removed: [B] });
  });

  it("ignores what Terraform leaves in a stack folder", () => {
    const base = synthesis({ [A]: { "cdk.tf.json": "{}" } });
    const head = synthesis({
      [A]: {
        "cdk.tf.json": "{}",
        ".terraform/providers/x": "binary",
        ".terraform.lock.hcl": "lock",
        "terraform.ami-guard.tfstate": "{}",
        tfplan: "plan",
      },
    });
    expect(compareStacks(stackDigests(base), stackDigests(head)).changed).toEqual([]);
  });

  it("deploys every stack when there is no base to compare with", () => {
    const head = synthesis({ [A]: { "cdk.tf.json": "{}" }, [B]: { "cdk.tf.json": "{}" } });
    expect(compareStacks(undefined, stackDigests(head))).toEqual({ changed: [A, B], removed: [] });
  });
});

const PLAN: PlanJson = {
  format_version: "1.2",
  resource_changes: [
    {
      address: "aws_config_config_rule.approved-amis_rule_1234",
      mode: "managed",
      type: "aws_config_config_rule",
      name: "approved-amis_rule_1234",
      change: { actions: ["delete", "create"], replace_paths: [["name"]] },
      action_reason: "replace_because_cannot_update",
    },
    {
      address: "aws_sns_topic.topic",
      mode: "managed",
      type: "aws_sns_topic",
      name: "topic",
      change: { actions: ["create"] },
    },
  ],
};

describe("plan-comment", () => {
  it("writes each stack's Markdown summary beside its plan JSON", () => {
    const dir = scratchDir();
    writeFileSync(path.join(dir, `${A}.plan.json`), JSON.stringify(PLAN));
    const summaries = summarizePlanFiles(dir);
    expect(summaries.map((summary) => summary.stackName)).toEqual([A]);
    const markdown = readFileSync(path.join(dir, `${A}.plan.md`), "utf8");
    expect(markdown).toBe(summaries[0]?.markdown);
    expect(markdown).toContain("resets compliance history");
  });

  it("starts with the marker the workflow finds its comment by, and names failed stacks at the top", () => {
    const body = commentBody([{ stackName: A, markdown: "### A\n" }], {
      commit: "0123456789abcdef0123",
      runUrl: "https://github.example/runs/1",
      failedStacks: [B],
    });
    expect(body.startsWith(COMMENT_MARKER)).toBe(true);
    expect(body).toContain("Commit 0123456789ab: 1 stack(s) planned.");
    expect(body.indexOf(B)).toBeLessThan(body.indexOf("### A"));
  });

  it("stays under GitHub's comment limit, saying where the rest is", () => {
    const big = "x".repeat(40_000);
    const body = commentBody(
      [
        { stackName: A, markdown: big },
        { stackName: B, markdown: big },
      ],
      { commit: "c", runUrl: "https://github.example/runs/1" },
    );
    expect(body.length).toBeLessThanOrEqual(MAX_COMMENT_LENGTH);
    expect(body).toContain("the run has every plan");
  });
});
