import { readFileSync } from "node:fs";
import * as path from "node:path";
import { mapWithConcurrency } from "../../tools/terraform/concurrency";
import {
  allowedImagesWarnings,
  classifyActions,
  classifyChanges,
  countChanges,
  type PlanJson,
  type PlanResourceChange,
  summarizePlan,
} from "../../tools/terraform/plan-summary";

function change(
  address: string,
  actions: string[],
  extra: Partial<PlanResourceChange> = {},
): PlanResourceChange {
  const [type = "", name = ""] = address.split(".");
  return { address, mode: "managed", type, name, change: { actions }, ...extra };
}

describe("classifyActions", () => {
  it.each([
    [["create"], "create"],
    [["update"], "update"],
    [["delete"], "delete"],
    [["delete", "create"], "replace"],
    [["create", "delete"], "replace"],
    [["forget"], "forget"],
  ])("reads %j as %s", (actions, kind) => {
    expect(classifyActions(actions)).toBe(kind);
  });

  it.each([[["no-op"]], [["read"]]])("does not count %j as a change", (actions) => {
    expect(classifyActions(actions)).toBeUndefined();
  });
});

describe("countChanges", () => {
  it("counts a replacement (either order) as one add and one destroy, as Terraform's Plan line does", () => {
    const changes = classifyChanges({
      resource_changes: [
        change("aws_sns_topic.a", ["create"]),
        change("aws_sns_topic.b", ["create", "delete"]),
        change("aws_sns_topic.c", ["delete", "create"]),
        change("aws_sns_topic.d", ["update"]),
        change("aws_sns_topic.e", ["no-op"]),
        { ...change("data.aws_region.r", ["read"]), mode: "data" },
      ],
    });
    expect(countChanges(changes)).toEqual({ add: 3, change: 1, destroy: 2 });
  });
});

describe("summarizePlan", () => {
  it("says there is nothing to do when the plan has no changes", () => {
    const markdown = summarizePlan("stack", { resource_changes: [change("aws_sns_topic.a", ["no-op"])] });
    expect(markdown).toContain("**No changes.**");
    expect(markdown).not.toContain("[!");
  });

  it("warns without the compliance-history sentence when nothing destructive touches AWS Config", () => {
    const markdown = summarizePlan("stack", {
      resource_changes: [
        change("aws_sns_topic.a", ["delete"], { action_reason: "delete_because_no_resource_config" }),
      ],
    });
    expect(markdown).toContain("> [!WARNING]\n> This plan deletes 1 resource.\n");
    expect(markdown).toContain("> - **delete** `aws_sns_topic.a` (no longer in the configuration)");
    expect(markdown).not.toContain("compliance history");
  });

  it("calls out a recorder replacement as losing history", () => {
    const markdown = summarizePlan("stack", {
      resource_changes: [
        change("aws_config_configuration_recorder.r", ["delete", "create"], {
          change: { actions: ["delete", "create"], replace_paths: [["name"]] },
        }),
        change("aws_config_config_rule.x", ["delete"]),
      ],
    });
    expect(markdown).toContain("> [!CAUTION]\n> This plan replaces 1 resource and deletes 1 resource.");
    expect(markdown).toMatch(
      /\*\*replace\*\* `aws_config_configuration_recorder\.r` \(forced by `name`\): the recorder's configuration history is lost/,
    );
    expect(markdown).toMatch(
      /\*\*delete\*\* `aws_config_config_rule\.x`: the rule's compliance history is lost/,
    );
  });
});

describe("mapWithConcurrency", () => {
  it("never runs more than the limit at once and keeps the input order", async () => {
    let running = 0;
    let peak = 0;
    const results = await mapWithConcurrency([5, 1, 4, 2, 3], 2, async (value) => {
      running += 1;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setTimeout(resolve, value));
      running -= 1;
      return value * 10;
    });
    expect(results).toEqual([50, 10, 40, 20, 30]);
    expect(peak).toBe(2);
  });

  it("refuses a limit below one", async () => {
    await expect(mapWithConcurrency([1], 0, async (value) => value)).rejects.toThrow(
      "concurrency must be a whole number ≥ 1, got 0",
    );
  });
});

describe("allowed AMIs in the plan summary", () => {
  const fixture = (): PlanJson =>
    JSON.parse(readFileSync(path.join(__dirname, "fixtures", "allowed-images-enabled.plan.json"), "utf8"));
  const policyChange = (plan: PlanJson) => plan.resource_changes?.[0] as PlanResourceChange;

  it("cautions when the policy moves from audit_mode to enabled and a provider is dropped", () => {
    // Given a plan that enables Allowed AMIs and drops 555566667777
    const markdown = summarizePlan("ami-guard-prevention-123456789012", fixture());
    // Then the caution comes first, naming the state, the remaining providers and the dropped one
    expect(markdown).toContain("> [!CAUTION]\n> This plan changes which AMIs the organization may launch.");
    expect(markdown).toMatch(
      /Allowed AMIs becomes \*\*enabled\*\* in `aws_organizations_policy\.[^`]+` \(was `audit_mode`\)/,
    );
    expect(markdown).toContain("(`444455556666`) will fail");
    expect(markdown).toContain("`555566667777` is no longer allowed, and launches from their AMIs will fail");
  });

  it("cautions when a policy is created directly in enabled", () => {
    const plan = fixture();
    const created = {
      ...policyChange(plan),
      change: { ...policyChange(plan).change, actions: ["create"], before: null },
    };
    expect(allowedImagesWarnings({ resource_changes: [created] })).toEqual([
      expect.stringMatching(/^Allowed AMIs becomes \*\*enabled\*\* in `[^`]+`: every launch/),
    ]);
  });

  it("stays quiet when the policy stays in audit_mode and only gains providers", () => {
    // Given the same update with the after side in audit_mode and one provider more
    const plan = fixture();
    const change = policyChange(plan);
    const content = JSON.parse(String(change.change.before?.content));
    content.ec2_attributes.allowed_images_settings.image_criteria.criteria_1.allowed_image_providers[
      "@@assign"
    ].push("amazon");
    const quiet = {
      ...change,
      change: { ...change.change, after: { ...change.change.after, content: JSON.stringify(content) } },
    };
    // Then nothing is flagged
    expect(allowedImagesWarnings({ resource_changes: [quiet] })).toEqual([]);
    expect(summarizePlan("stack", { resource_changes: [quiet] })).not.toContain("[!CAUTION]");
  });

  it("stays quiet on a policy that is already enabled and keeps its providers", () => {
    const plan = fixture();
    const change = policyChange(plan);
    const unchanged = { ...change, change: { ...change.change, before: change.change.after } };
    expect(allowedImagesWarnings({ resource_changes: [unchanged] })).toEqual([]);
  });
});
