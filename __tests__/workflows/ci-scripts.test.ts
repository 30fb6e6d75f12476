import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { changedStacksFile, compareStacks, stackDigests } from "../../.github/scripts/changed-stacks";
import { aggregate, COMMENT_MARKER, MAX_COMMENT_LENGTH } from "../../.github/scripts/plan-comment";
import { recordOfPlan } from "../../tools/terraform/plan-aggregate";
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

describe("changed-stacks file", () => {
  it("records the count, whether it is every stack, and each head digest", () => {
    const base = synthesis({ [A]: { "cdk.tf.json": "{}" }, [B]: { "cdk.tf.json": "{}" } });
    const head = synthesis({ [A]: { "cdk.tf.json": '{"x":1}' }, [B]: { "cdk.tf.json": "{}" } });
    const digests = stackDigests(head);
    expect(changedStacksFile(stackDigests(base), digests)).toEqual({
      changed: [A],
      removed: [],
      total: 2,
      noBase: false,
      every: false,
      digests: { [A]: digests.get(A), [B]: digests.get(B) },
    });
    expect(changedStacksFile(undefined, digests)).toMatchObject({
      changed: [A, B],
      every: true,
      noBase: true,
    });
  });
});

describe("plan-comment (the aggregate step)", () => {
  it("joins the shards' records into one comment and one file with every summary", () => {
    const dir = scratchDir();
    mkdirSync(path.join(dir, "plans-1"));
    writeFileSync(path.join(dir, "plans-1", `${A}.summary.json`), JSON.stringify(recordOfPlan(A, PLAN)));
    const changed = changedStacksFile(
      new Map([
        [A, "old"],
        [B, "same"],
      ]),
      new Map([
        [A, "new"],
        [B, "same"],
      ]),
    );
    const result = aggregate(dir, changed, {
      commit: "0123456789abcdef0123",
      runUrl: "https://github.example/runs/1",
    });
    expect(result.comment.startsWith(COMMENT_MARKER)).toBe(true);
    expect(result.comment).toContain("Commit 0123456789ab. **1 of 2 stacks changed** against the base");
    expect(result.comment).toContain("resets compliance history");
    expect(result.full).toContain(`### \`${A}\``);
    expect(result.comment.length).toBeLessThanOrEqual(MAX_COMMENT_LENGTH);
  });
});
