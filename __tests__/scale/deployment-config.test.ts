import { ConfigError, parseConfig } from "../../app/config/load";

const BASE = {
  approvedAmiIds: ["ami-0abcdef1234567890"],
  targetGroups: [{ accountIds: ["111111111111", "222222222222"], regions: ["eu-west-1", "us-east-1"] }],
};

describe("deployment settings", () => {
  it("names canary targets by account and region and resolves them to stack names", () => {
    const config = parseConfig({
      ...BASE,
      deployment: { canary: [{ accountId: "222222222222", region: "us-east-1" }], growthFactor: 4 },
    });
    expect(config.deployment).toEqual({
      canary: ["ami-guard-222222222222-us-east-1"],
      firstWaveSize: 4,
      growthFactor: 4,
      maxWaves: 8,
    });
    expect(parseConfig(BASE).deployment).toBeUndefined();
  });

  it("refuses a canary that is not a target, and bad wave sizes, all in one message", () => {
    const parse = () =>
      parseConfig({
        ...BASE,
        deployment: { canary: [{ accountId: "333333333333", region: "eu-west-1" }] },
      });
    expect(parse).toThrow(ConfigError);
    expect(parse).toThrow(
      "deployment.canary[0]: ami-guard-333333333333-eu-west-1 is not one of the targets; name an account and region that targets or targetGroups deploy to",
    );
    const sizes = () =>
      parseConfig({ ...BASE, deployment: { firstWaveSize: 0, maxWaves: 9, growthFactor: 0.5 } });
    expect(sizes).toThrow(
      /deployment\.firstWaveSize: must be at least 1\n.*deployment\.growthFactor: must be at least 1\n.*deployment\.maxWaves: must be at most 8/,
    );
  });
});
