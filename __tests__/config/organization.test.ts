import { ConfigError, parseConfig } from "../../app/config/load";

const BASE = {
  approvedAmiIds: ["ami-0abcdef1234567890"],
  targets: [{ accountId: "111122223333", region: "eu-central-1" }],
};

function problemsOf(raw: Record<string, unknown>): readonly string[] {
  try {
    parseConfig({ ...BASE, ...raw }, "test");
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe("aggregator", () => {
  it("is optional, and absent by default", () => {
    expect(parseConfig(BASE).aggregator).toBeUndefined();
  });

  it("reads the security account and region", () => {
    const config = parseConfig({ ...BASE, aggregator: { accountId: "999988887777", region: "eu-west-1" } });
    expect(config.aggregator).toEqual({ accountId: "999988887777", region: "eu-west-1" });
  });

  it("names each wrong field", () => {
    expect(problemsOf({ aggregator: { accountId: "9999", region: "mars-1", extra: true } })).toEqual([
      "aggregator.accountId: must be a 12-digit AWS account id, written as a string",
      expect.stringMatching(/^aggregator\.region: unknown AWS region "mars-1"/),
      expect.stringMatching(/^aggregator: Unrecognized key: "extra"/),
    ]);
  });
});

describe("prevention", () => {
  const prevention = {
    accountId: "123456789012",
    region: "us-east-1",
    imageProviders: ["444455556666", "amazon"],
    targetIds: ["r-ab12"],
  };

  it("starts in audit mode unless told otherwise", () => {
    expect(parseConfig({ ...BASE, prevention }).prevention).toEqual({ ...prevention, state: "audit_mode" });
  });

  it("lists every problem, field by field, in one error", () => {
    const problems = problemsOf({
      prevention: {
        ...prevention,
        state: "audit-mode",
        imageProviders: ["aws-marketplace", "12345"],
        imageNames: ["a?", "ok-*"],
        targetIds: ["111122223333", "ou-ab12-cdef3456"],
      },
    });
    expect(problems).toEqual([
      expect.stringMatching(/^prevention\.state: must be one of "audit_mode", "enabled", "disabled"/),
      expect.stringMatching(/^prevention\.imageProviders\[0\]: must be a 12-digit account id or one of/),
      expect.stringMatching(/^prevention\.imageProviders\[1\]: must be a 12-digit account id or one of/),
      expect.stringMatching(/^prevention\.imageNames\[0\]: must be 1-128 letters/),
      expect.stringMatching(/^prevention\.targetIds\[0\]: must be the root id/),
    ]);
  });

  it("requires at least one provider and one target", () => {
    expect(problemsOf({ prevention: { ...prevention, imageProviders: [], targetIds: [] } })).toEqual([
      "prevention.imageProviders: must list at least one image provider",
      "prevention.targetIds: must name the root or at least one organizational unit",
    ]);
  });
});
