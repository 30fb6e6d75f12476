import { mapWithConcurrency } from "../../tools/terraform/concurrency";
import {
  classifyActions,
  classifyChanges,
  countChanges,
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
