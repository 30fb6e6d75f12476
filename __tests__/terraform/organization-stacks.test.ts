import { rmSync } from "node:fs";
import { stackNameFor } from "../../app/ami-guard-stack";
import { aggregatorStackNameFor, preventionStackNameFor } from "../../app/organization-stacks";
import { AGGREGATOR_NAME } from "../../lib/aggregator";
import { allowedImagesPolicyContent } from "../../lib/prevention";
import type { PlanRun, StackPlanSuccess } from "../../tools/terraform/plan-stacks";
import { classifyChanges } from "../../tools/terraform/plan-summary";
import {
  configOf,
  declaredAddresses,
  planStacksOf,
  stackJson,
  succeeded,
  synthesizeInScratch,
  type Workspace,
} from "./support";

const SECURITY_ACCOUNT = "999988887777";
const MANAGEMENT_ACCOUNT = "123456789012";
const GOLDEN_IMAGES = "444455556666";
const TARGET_ACCOUNTS = ["111111111111", "222222222222"];
const TARGET_REGIONS = ["eu-central-1", "us-east-1"] as const;

const CONFIG = configOf({
  remediation: { mode: "audit" },
  targetGroups: [{ accountIds: TARGET_ACCOUNTS, regions: [...TARGET_REGIONS] }],
  aggregator: { accountId: SECURITY_ACCOUNT, region: "eu-central-1" },
  prevention: {
    accountId: MANAGEMENT_ACCOUNT,
    region: "us-east-1",
    imageProviders: [GOLDEN_IMAGES],
    imageNames: ["golden-*"],
    targetIds: ["r-ab12", "ou-ab12-cdef3456"],
  },
  backend: { type: "s3", bucket: "ami-guard-state-example", region: "eu-central-1" },
});

const AGGREGATOR_STACK = aggregatorStackNameFor({ accountId: SECURITY_ACCOUNT, region: "eu-central-1" });
const PREVENTION_STACK = preventionStackNameFor({ accountId: MANAGEMENT_ACCOUNT });

interface PlannedAfter {
  readonly type: string;
  readonly change: { readonly after: Record<string, unknown> };
}

describe("real Terraform on the aggregator and prevention stacks", () => {
  let workspace: Workspace;
  let run: PlanRun;

  beforeAll(async () => {
    // Given two accounts in two regions, an aggregator in the security account and the prevention policy
    workspace = await synthesizeInScratch(CONFIG, "organization");
    // When both organization stacks are planned together, offline
    run = await planStacksOf(workspace, [AGGREGATOR_STACK, PREVENTION_STACK]);
  }, 300_000);

  afterAll(() => {
    if (workspace) rmSync(workspace.root, { recursive: true, force: true });
  });

  const resultFor = (stack: string): StackPlanSuccess =>
    succeeded(run.results.find((result) => result.stackName === stack));
  const afterOf = (stack: string, type: string) =>
    (resultFor(stack).plan.resource_changes as unknown as PlannedAfter[])
      .filter((change) => change.type === type)
      .map((change) => change.change.after);

  it("synthesizes the two stacks beside the four target stacks, with names that say what they are", () => {
    expect([...workspace.synth.stackNames].sort()).toEqual(
      [
        ...TARGET_ACCOUNTS.flatMap((accountId) =>
          TARGET_REGIONS.map((region) => stackNameFor({ accountId, region })),
        ),
        `ami-guard-aggregator-${SECURITY_ACCOUNT}-eu-central-1`,
        `ami-guard-prevention-${MANAGEMENT_ACCOUNT}`,
      ].sort(),
    );
  });

  it("plans to create exactly what each stack declares", () => {
    for (const stack of [AGGREGATOR_STACK, PREVENTION_STACK]) {
      const planned = classifyChanges(resultFor(stack).plan);
      expect(planned.every((change) => change.kind === "create")).toBe(true);
      expect(planned.map((change) => change.address).sort()).toEqual(
        declaredAddresses(stackJson(workspace, stack)),
      );
    }
  });

  it("aggregates every target account and region, without a role", () => {
    const [aggregator] = afterOf(AGGREGATOR_STACK, "aws_config_configuration_aggregator");
    expect(aggregator).toMatchObject({
      name: AGGREGATOR_NAME,
      account_aggregation_source: [
        { account_ids: TARGET_ACCOUNTS, regions: [...TARGET_REGIONS], all_regions: false },
      ],
      organization_aggregation_source: [],
    });
  });

  it("plans the declarative policy in audit mode, attached to the root and the unit", () => {
    const [policy] = afterOf(PREVENTION_STACK, "aws_organizations_policy");
    expect(policy?.type).toBe("DECLARATIVE_POLICY_EC2");
    expect(JSON.parse(String(policy?.content))).toEqual(
      allowedImagesPolicyContent({
        state: "audit_mode",
        imageProviders: [GOLDEN_IMAGES],
        imageNames: ["golden-*"],
      }),
    );
    const targets = afterOf(PREVENTION_STACK, "aws_organizations_policy_attachment").map(
      (attachment) => attachment.target_id,
    );
    expect(targets.sort()).toEqual(["ou-ab12-cdef3456", "r-ab12"]);
  });

  it("gives every target stack the authorization for the aggregator's account and region", () => {
    for (const accountId of TARGET_ACCOUNTS) {
      for (const region of TARGET_REGIONS) {
        const authorizations = Object.values(
          stackJson(workspace, stackNameFor({ accountId, region })).resource
            ?.aws_config_aggregate_authorization ?? {},
        );
        expect(authorizations).toEqual([
          expect.objectContaining({ account_id: SECURITY_ACCOUNT, region: "eu-central-1" }),
        ]);
      }
    }
  });

  it("keeps each organization stack's state under its own key", () => {
    const keyOf = (stack: string) =>
      (stackJson(workspace, stack).terraform?.backend as Record<string, { key?: string }> | undefined)?.s3
        ?.key;
    expect(keyOf(AGGREGATOR_STACK)).toBe(
      `ami-guard/aggregator/${SECURITY_ACCOUNT}/eu-central-1/terraform.tfstate`,
    );
    expect(keyOf(PREVENTION_STACK)).toBe(`ami-guard/prevention/${MANAGEMENT_ACCOUNT}/terraform.tfstate`);
  });
});
