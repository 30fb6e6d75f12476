import { ConfigError, parseConfig } from "../../app/config/load";
import {
  ALLOWED_IMAGES_STATES,
  ALLOWED_IMAGES_STATES_FACT,
  DECLARATIVE_POLICY_SYNTAX_URL,
} from "../../lib/allowed-images";
import { PARTITION_BOUNDARY } from "../../lib/regions";

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
      expect.stringMatching(/^prevention\.state: must be one of "audit_mode", "enabled", the states/),
      expect.stringMatching(/^prevention\.imageProviders\[0\]: must be a 12-digit account id or one of/),
      expect.stringMatching(/^prevention\.imageProviders\[1\]: must be a 12-digit account id or one of/),
      expect.stringMatching(/^prevention\.imageNames\[0\]: must be 1-128 letters/),
      expect.stringMatching(/^prevention\.targetIds\[0\]: must be the root id/),
    ]);
  });

  it('refuses state "disabled", which the declarative policy syntax does not document, and says how to stop', () => {
    // Given a configuration that turns Allowed AMIs off through the policy
    const problems = problemsOf({ prevention: { ...prevention, state: "disabled" } });
    // Then the one problem names the documented states and the way out
    expect(problems).toEqual([
      `prevention.state: must be one of ${ALLOWED_IMAGES_STATES.map((s) => `"${s}"`).join(", ")}, the states the declarative policy syntax documents; to stop preventing, remove "prevention" from the configuration`,
    ]);
  });

  it("accepts exactly the states the syntax page documents", () => {
    // The list is the page's, with the page named beside it
    expect(ALLOWED_IMAGES_STATES_FACT.source).toBe(DECLARATIVE_POLICY_SYNTAX_URL);
    expect([...ALLOWED_IMAGES_STATES].sort()).toEqual(["audit_mode", "enabled"]);
    for (const state of ALLOWED_IMAGES_STATES) {
      expect(parseConfig({ ...BASE, prevention: { ...prevention, state } }).prevention?.state).toBe(state);
    }
  });

  it("requires at least one provider and one target", () => {
    expect(problemsOf({ prevention: { ...prevention, imageProviders: [], targetIds: [] } })).toEqual([
      "prevention.imageProviders: must list at least one image provider",
      "prevention.targetIds: must name the root or at least one organizational unit",
    ]);
  });
});

describe("partitions", () => {
  const prevention = {
    accountId: "123456789012",
    region: "us-east-1",
    imageProviders: ["444455556666"],
    targetIds: ["r-ab12"],
  };
  const mixedTargets = {
    targets: [
      { accountId: "111122223333", region: "eu-central-1" },
      { accountId: "111122223333", region: "cn-north-1", approvedAmiIds: ["ami-0123456789abcdef0"] },
    ],
    targetGroups: [
      {
        accountIds: ["222233334444", "333344445555"],
        regions: ["us-gov-west-1", "eu-west-1"],
        approvedAmiIds: ["ami-0fedcba9876543210"],
      },
    ],
  };

  it("refuses targets outside the aggregator's and the prevention policy's partition, each in one error", () => {
    // Given an aggregator and a prevention policy in aws, and targets in aws-cn and aws-us-gov as well
    const problems = problemsOf({
      ...mixedTargets,
      aggregator: { accountId: "999988887777", region: "eu-west-1" },
      prevention,
    });
    // Then every foreign target is named once per scope, with the partition it is in and the one it needs
    expect(problems).toEqual([
      expect.stringMatching(
        /^targets\[1\]\.region: cn-north-1 is in partition aws-cn, but aggregator\.region eu-west-1 is in aws: the aggregator collects from its own partition only/,
      ),
      expect.stringMatching(
        /^targetGroups\[0\]\.regions: us-gov-west-1 is in partition aws-us-gov, but aggregator\.region eu-west-1 is in aws/,
      ),
      expect.stringMatching(
        /^targets\[1\]\.region: cn-north-1 is in partition aws-cn, but prevention\.region us-east-1 is in aws: an organization's policy reaches accounts of its own partition only/,
      ),
      expect.stringMatching(
        /^targetGroups\[0\]\.regions: us-gov-west-1 is in partition aws-us-gov, but prevention\.region us-east-1 is in aws/,
      ),
    ]);
    for (const problem of problems) expect(problem).toContain(PARTITION_BOUNDARY.source);
  });

  it("accepts targets in other partitions when nothing spans them, and an aggregator in China over China", () => {
    expect(problemsOf(mixedTargets)).toEqual([]);
    expect(
      problemsOf({
        targets: [{ accountId: "111122223333", region: "cn-northwest-1" }],
        aggregator: { accountId: "999988887777", region: "cn-north-1" },
      }),
    ).toEqual([]);
  });
});
