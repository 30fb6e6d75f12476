import { TerraformStack, Testing } from "cdktf";
import { AGGREGATOR_NAME, AggregationAuthorization, ComplianceAggregator } from "../../lib/aggregator";

function synth(build: (stack: TerraformStack) => void) {
  const app = Testing.app();
  const stack = new TerraformStack(app, "s");
  build(stack);
  return JSON.parse(Testing.synth(stack)).resource;
}

describe("ComplianceAggregator", () => {
  it("collects each account and region once, sorted, with no role", () => {
    // Given targets that repeat accounts and regions
    const resource = synth(
      (stack) =>
        new ComplianceAggregator(stack, "aggregator", {
          sourceAccountIds: ["222222222222", "111111111111", "222222222222"],
          sourceRegions: ["us-east-1", "eu-central-1", "us-east-1"],
        }),
    );
    // Then one account-based source lists each once
    const [aggregator] = Object.values(resource.aws_config_configuration_aggregator) as Record<
      string,
      unknown
    >[];
    expect(aggregator).toEqual({
      name: AGGREGATOR_NAME,
      account_aggregation_source: {
        account_ids: ["111111111111", "222222222222"],
        regions: ["eu-central-1", "us-east-1"],
      },
    });
  });

  it("refuses to aggregate nothing", () => {
    expect(() =>
      synth(
        (stack) =>
          new ComplianceAggregator(stack, "a", { sourceAccountIds: [], sourceRegions: ["eu-central-1"] }),
      ),
    ).toThrow("an aggregator needs at least one source account and one source region");
  });
});

describe("AggregationAuthorization", () => {
  it("authorizes the aggregator's account and region with provider 5.100.0's argument names", () => {
    const resource = synth(
      (stack) =>
        new AggregationAuthorization(stack, "authorization", {
          accountId: "999988887777",
          region: "eu-west-1",
        }),
    );
    expect(Object.values(resource.aws_config_aggregate_authorization)).toEqual([
      { account_id: "999988887777", region: "eu-west-1" },
    ]);
  });
});
