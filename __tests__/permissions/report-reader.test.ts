import { readFileSync } from "node:fs";
import * as path from "node:path";
import { runSimulation } from "@cloud-copilot/iam-simulate";
import { REPORT_READS, reportReaderPolicy } from "../../app/report/reader-policy";
import { referenceProblems } from "../../tools/permissions/authorization-reference";

const AGGREGATOR_ACCOUNT = "444455556666";
const READER = `arn:aws:iam::${AGGREGATOR_ACCOUNT}:role/compliance-reader`;
const aggregatorArn = (account = AGGREGATOR_ACCOUNT, region = "eu-central-1") =>
  `arn:aws:config:${region}:${account}:config-aggregator/config-aggregator-0a1b2c3d`;

async function decide(
  policy: ReturnType<typeof reportReaderPolicy>,
  action: string,
  resource: string,
  resourceAccount = AGGREGATOR_ACCOUNT,
): Promise<string> {
  const response = await runSimulation(
    {
      request: {
        principal: READER,
        action,
        resource: { resource, accountId: resourceAccount },
        contextVariables: { "aws:PrincipalAccount": AGGREGATOR_ACCOUNT, "aws:SecureTransport": "true" },
      },
      identityPolicies: [{ name: "reader", policy }],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    },
    {},
  );
  if (response.resultType === "error") return `engine refused the inputs: ${JSON.stringify(response.errors)}`;
  return response.overallResult;
}

describe("the report's reader policy, evaluated by the IAM engine", () => {
  const policy = reportReaderPolicy({ accountId: AGGREGATOR_ACCOUNT, region: "eu-central-1" });

  it.each(Object.values(REPORT_READS))("allows %s on the aggregator", async (action) => {
    expect(await decide(policy, action, aggregatorArn())).toBe("Allowed");
  });

  it.each([
    ["an aggregator in another account", aggregatorArn("999999999999"), "999999999999"],
    ["an aggregator in another region", aggregatorArn(AGGREGATOR_ACCOUNT, "us-east-1"), AGGREGATOR_ACCOUNT],
  ])("refuses the reads on %s", async (_label, resource, account) => {
    for (const action of Object.values(REPORT_READS)) {
      expect(await decide(policy, action, resource, account)).toBe("ImplicitlyDenied");
    }
  });

  it("refuses anything that changes or deletes the aggregator", async () => {
    for (const action of ["config:DeleteConfigurationAggregator", "config:PutConfigurationAggregator"]) {
      expect(await decide(policy, action, aggregatorArn())).toBe("ImplicitlyDenied");
    }
  });

  it("names only real actions on resources of their types (Service Authorization Reference)", async () => {
    expect(await referenceProblems("report reader policy", policy, "identity")).toEqual([]);
  });

  it("catches a read dropped from the policy", async () => {
    const dropped = structuredClone(policy);
    dropped.Statement[0]?.Action.splice(0, 1);
    expect(await decide(dropped, REPORT_READS.rulesPerSource, aggregatorArn())).toBe("ImplicitlyDenied");
  });

  it("is the only place the report's reads are named", () => {
    const source = readFileSync(path.join(__dirname, "..", "..", "app", "report", "collect.ts"), "utf8");
    expect(source.match(/"config:[A-Za-z]+"/g) ?? []).toEqual([]);
    expect(source).toContain("REPORT_READS.rulesPerSource");
    expect(source).toContain("REPORT_READS.nonCompliantResources");
    expect(source).toContain("REPORT_READS.instanceConfiguration");
  });
});
