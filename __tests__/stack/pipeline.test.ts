import { Testing } from "cdktf";
import { AmiGuardStack, flattenOutputIds, PIPELINE_CONSTRUCT_ID } from "../../app/ami-guard-stack";
import { parseConfig } from "../../app/config/load";
import type { LambdaBundle } from "../../app/lambda-bundle";
import { emptyFunctionZip } from "../construct/support";
import { DOC_ACCOUNT, rawConfig } from "../support/configs";

function eventDrivenStack(): AmiGuardStack {
  const config = parseConfig(
    rawConfig({ remediation: { mode: "event-driven" }, notifications: { emails: ["ops@example.com"] } }),
  );
  const [target] = config.targets;
  if (!target) throw new Error("the configuration has no target");
  const bundle: LambdaBundle = { ...emptyFunctionZip(), bundleBytes: 0, zipBytes: 22, fromCache: false };
  return new AmiGuardStack(Testing.app(), { config, target, bundle });
}

describe("the stack's one AmiGuard", () => {
  it("leaves the pipeline's construct id out of every Terraform address", () => {
    // Given a stack whose pipeline sits at <stack>/Default
    const stack = eventDrivenStack();
    expect(stack.pipeline.node.path).toBe(`ami-guard-${DOC_ACCOUNT}-eu-central-1/${PIPELINE_CONSTRUCT_ID}`);
    // Then no address names it: the addresses are those of the stack before the construct existed
    const json = JSON.parse(Testing.synth(stack)) as { resource: Record<string, Record<string, unknown>> };
    const addresses = Object.values(json.resource).flatMap((byAddress) => Object.keys(byAddress));
    expect(addresses.length).toBeGreaterThan(40);
    expect(addresses.filter((address) => address.includes(PIPELINE_CONSTRUCT_ID))).toEqual([]);
    expect(addresses).toContain("approved-amis_rule_2C432E88");
  });

  it("keeps every output at the stack's top level, for `cdktf output` and --outputs-file", () => {
    const stack = eventDrivenStack();
    const terraform = stack.toTerraform() as {
      "//": { outputs: Record<string, Record<string, unknown>> };
      output: Record<string, unknown>;
    };
    const listed = terraform["//"].outputs[stack.node.id] ?? {};
    expect(Object.values(listed).every((value) => typeof value === "string")).toBe(true);
    expect(Object.keys(listed).sort()).toEqual(Object.keys(terraform.output).sort());
    expect(listed.function_failure_queue_url).toBe("function_failure_queue_url");
  });

  it("flattens output metadata nested by construct path, and only that", () => {
    expect(
      flattenOutputIds({
        Default: { remediation: { automation_role_arn: "automation_role_arn" } },
        rule_arn: "rule_arn",
      }),
    ).toEqual({ automation_role_arn: "automation_role_arn", rule_arn: "rule_arn" });
    expect(flattenOutputIds("not a tree")).toEqual({});
  });
});
