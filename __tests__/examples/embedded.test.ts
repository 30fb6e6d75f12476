import * as path from "node:path";
import { App } from "cdktf";
import { EXAMPLE_STACK_NAME, PlatformStack } from "../../examples/embedded/main";
import { type PlanRun, planStacks, type StackPlanSuccess } from "../../tools/terraform/plan-stacks";
import { emptyFunctionZip, physicalNames, type SynthesizedJson } from "../construct/support";
import { scratchFolder, succeeded } from "../terraform/support";

/** Names declared more than once: each is a resource AWS would refuse, or worse, one pipeline taking over another's. */
function collidingNames(names: readonly string[]): string[] {
  return [...new Set(names.filter((name, index) => names.indexOf(name) !== index))];
}

/** The plan's resources in the shape of a synthesized stack, with the values Terraform will send to AWS. */
function plannedResources(plan: StackPlanSuccess["plan"]): SynthesizedJson {
  const resource: Record<string, Record<string, Record<string, unknown>>> = {};
  for (const change of plan.resource_changes ?? []) {
    if (change.mode !== "managed") continue;
    const after = (change.change as { after?: Record<string, unknown> }).after ?? {};
    resource[change.type] = { ...resource[change.type], [change.name]: after };
  }
  return { resource };
}

// The one Terraform plan of this suite: the example app, synthesized from its own stack class.
let run: PlanRun;
beforeAll(async () => {
  const root = scratchFolder("embedded");
  const outdir = path.join(root, "cdktf.out");
  const app = new App({ outdir });
  new PlatformStack(app, EXAMPLE_STACK_NAME, {
    accountId: "111122223333",
    region: "eu-central-1",
    functionCode: emptyFunctionZip(),
  });
  app.synth();
  run = await planStacks({
    synthDir: outdir,
    stackNames: [EXAMPLE_STACK_NAME],
    scratchDir: path.join(root, "scratch"),
    plansDir: path.join(root, "plans"),
    concurrency: 1,
  });
});

describe("examples/embedded: two pipelines inside a stack of one's own", () => {
  it("validates and plans offline, creating and touching nothing else", () => {
    const result = succeeded(run.results[0]);
    expect(result.counts.change).toBe(0);
    expect(result.counts.destroy).toBe(0);
    expect(result.counts.add).toBeGreaterThan(60);
  });

  it("keeps the stack's own resource beside both pipelines", () => {
    const planned = plannedResources(succeeded(run.results[0]).plan);
    expect(Object.keys(planned.resource?.aws_ssm_parameter ?? {})).toEqual(["owner"]);
    const rules = Object.values(planned.resource?.aws_config_config_rule ?? {}).map((rule) => rule.name);
    expect(rules.sort()).toEqual(["data-approved-amis", "web-approved-amis"]);
    // Each team's rule takes only the instances tagged for it
    const scopes = Object.values(planned.resource?.aws_config_config_rule ?? {}).map((rule) => [
      rule.name,
      rule.scope,
    ]);
    expect(Object.fromEntries(scopes)).toEqual({
      "web-approved-amis": [expect.objectContaining({ tag_key: "team", tag_value: "web" })],
      "data-approved-amis": [expect.objectContaining({ tag_key: "team", tag_value: "data" })],
    });
    // One recorder in the region: the second pipeline uses the first one's
    expect(Object.keys(planned.resource?.aws_config_configuration_recorder ?? {})).toHaveLength(1);
  });

  it("gives no physical name to both pipelines", () => {
    // Given the names Terraform plans to send to AWS, per pipeline
    const planned = plannedResources(succeeded(run.results[0]).plan);
    const web = physicalNames(planned, "web_");
    const data = physicalNames(planned, "data_");
    // Then each pipeline has its full set, and no name appears twice in the stack
    expect(web.length).toBeGreaterThan(15);
    expect(data.length).toBeGreaterThan(10);
    expect(collidingNames([...web, ...data])).toEqual([]);
    expect(collidingNames(physicalNames(planned))).toEqual([]);
  });

  it("would report a name two pipelines share", () => {
    expect(collidingNames(["aws_sqs_queue a", "aws_sns_topic b", "aws_sqs_queue a"])).toEqual([
      "aws_sqs_queue a",
    ]);
  });
});
