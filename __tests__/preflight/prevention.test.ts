import { parseConfig } from "../../app/config/load";
import { preventionStackNameFor } from "../../app/organization-stacks";
import { enablePolicyTypeCommand, PREVENTION_POLICY_TYPE, SOURCES } from "../../app/preflight/aws-behaviour";
import type { CheckName, Finding } from "../../app/preflight/checks";
import { exitCodeFor, planStacks, preflight, sdkClients } from "../../app/preflight/preflight";
import {
  type AwsLoopback,
  organizationDescribed,
  organizationRoots,
  organizationsError,
  stsAssumedRole,
  stsCallerIdentity,
} from "../../tools/loopback/aws-loopback";
import { rawConfig } from "../support/configs";
import { useLoopbackAccount } from "./support";

/**
 * The prevention stack's preflight, against the loopback speaking Organizations' JSON 1.1 protocol through
 * the real SDK: AttachPolicy fails until the organization has all features and DECLARATIVE_POLICY_EC2 is
 * enabled on the root, so the preflight blocks until both hold, naming the call that fixes each.
 */
const MANAGEMENT_ACCOUNT = "123456789012";
const ROOT = "r-ab12";
const STACK = preventionStackNameFor({ accountId: MANAGEMENT_ACCOUNT });

let aws: AwsLoopback;
useLoopbackAccount((started) => {
  aws = started;
});

interface Organization {
  /** undefined: the account belongs to no organization. @default "ALL" */
  readonly featureSet?: "ALL" | "CONSOLIDATED_BILLING" | undefined;
  /** Policy types on the root and their status. @default { DECLARATIVE_POLICY_EC2: "ENABLED" } */
  readonly policyTypes?: Readonly<Record<string, "ENABLED" | "PENDING_ENABLE" | "PENDING_DISABLE">>;
}

async function run(
  organization: Organization = {},
  prevention: Record<string, unknown> = {},
): Promise<Finding[]> {
  const outside = "featureSet" in organization && organization.featureSet === undefined;
  const notInUse = organizationsError(
    "AWSOrganizationsNotInUseException",
    "Your account is not a member of an organization.",
  );
  aws
    .setDefault("GetCallerIdentity", stsCallerIdentity(MANAGEMENT_ACCOUNT))
    .setDefault("AssumeRole", (request) => stsAssumedRole(request.params?.RoleArn ?? ""))
    .setDefault(
      "DescribeOrganization",
      outside ? notInUse : organizationDescribed(organization.featureSet ?? "ALL", MANAGEMENT_ACCOUNT),
    )
    .setDefault(
      "ListRoots",
      outside
        ? notInUse
        : organizationRoots(ROOT, organization.policyTypes ?? { [PREVENTION_POLICY_TYPE]: "ENABLED" }),
    );
  const config = parseConfig(
    rawConfig({
      prevention: {
        accountId: MANAGEMENT_ACCOUNT,
        region: "us-east-1",
        imageProviders: ["444455556666"],
        targetIds: [ROOT, "ou-ab12-cdef3456"],
        ...prevention,
      },
    }),
  );
  const plans = planStacks(config).filter((plan) => plan.stack === STACK);
  expect(plans).toHaveLength(1);
  return preflight(plans, sdkClients());
}

function row(findings: readonly Finding[], check: CheckName): Finding {
  const found = findings.filter((f) => f.check === check);
  if (found.length !== 1)
    throw new Error(`expected one ${check} row, found ${found.length}: ${JSON.stringify(findings)}`);
  return found[0] as Finding;
}

describe("the prevention stack's preflight", () => {
  it("is planned from the configuration beside the target stacks", () => {
    const config = parseConfig(
      rawConfig({
        prevention: {
          accountId: MANAGEMENT_ACCOUNT,
          region: "us-east-1",
          imageProviders: ["444455556666"],
          targetIds: [ROOT],
        },
      }),
    );
    expect(planStacks(config).map((plan) => plan.stack)).toContain(STACK);
    expect(planStacks(parseConfig(rawConfig())).map((plan) => plan.stack)).not.toContain(STACK);
  });

  it("passes an organization with all features and the policy type enabled, reading only", async () => {
    // Given an organization ready for declarative policies
    const findings = await run();
    // Then every check passes, and the reads were Organizations' Describe and List calls over JSON 1.1
    expect(findings.map((f) => [f.check, f.verdict])).toEqual([
      ["account", "pass"],
      ["organization-features", "pass"],
      ["policy-type", "pass"],
      ["policy-targets", "pass"],
    ]);
    expect(exitCodeFor(findings)).toBe(0);
    const organizationCalls = aws.requests.filter((r) => r.service === "organizations");
    expect(organizationCalls.map((r) => r.operation).sort()).toEqual(["DescribeOrganization", "ListRoots"]);
    expect(organizationCalls[0]?.headers["x-amz-target"]).toMatch(/^AWSOrganizationsV20161128\./);
  });

  it("blocks while DECLARATIVE_POLICY_EC2 is off on the root, naming the call that enables it", async () => {
    // Given a root with only service control policies enabled
    const findings = await run({ policyTypes: { SERVICE_CONTROL_POLICY: "ENABLED" } });
    // Then the policy-type check blocks, with the exact command for this root
    const policyType = row(findings, "policy-type");
    expect(policyType.verdict).toBe("block");
    expect(policyType.detail).toContain("PolicyTypeNotEnabledException");
    expect(policyType.action).toContain(
      "aws organizations enable-policy-type --root-id r-ab12 --policy-type DECLARATIVE_POLICY_EC2",
    );
    expect(policyType.action).toContain(enablePolicyTypeCommand(ROOT));
    expect(exitCodeFor(findings)).toBe(1);
  });

  it("blocks while the type is PENDING_ENABLE, saying to wait and read again", async () => {
    const policyType = row(
      await run({ policyTypes: { [PREVENTION_POLICY_TYPE]: "PENDING_ENABLE" } }),
      "policy-type",
    );
    expect(policyType).toMatchObject({ verdict: "block" });
    expect(policyType.detail).toContain("PENDING_ENABLE");
    expect(policyType.action).toMatch(/wait until ListRoots shows it ENABLED/);
  });

  it("blocks while the type is PENDING_DISABLE, naming the call to enable it again", async () => {
    const policyType = row(
      await run({ policyTypes: { [PREVENTION_POLICY_TYPE]: "PENDING_DISABLE" } }),
      "policy-type",
    );
    expect(policyType.verdict).toBe("block");
    expect(policyType.action).toContain(enablePolicyTypeCommand(ROOT));
  });

  it("blocks an organization with consolidated billing only, naming enable-all-features", async () => {
    // Given an organization created with consolidated billing only (no policy type can be enabled)
    const findings = await run({ featureSet: "CONSOLIDATED_BILLING", policyTypes: {} });
    // Then both checks block, the first naming the call and the handshake it starts
    const features = row(findings, "organization-features");
    expect(features.verdict).toBe("block");
    expect(features.detail).toContain("CONSOLIDATED_BILLING");
    expect(features.detail).toContain(SOURCES.declarativePolicyPrerequisites);
    expect(features.action).toContain("aws organizations enable-all-features");
    expect(features.action).toContain("handshake");
    expect(row(findings, "policy-type").verdict).toBe("block");
  });

  it("blocks an account that belongs to no organization", async () => {
    const findings = await run({ featureSet: undefined });
    expect(row(findings, "organization-features")).toMatchObject({ verdict: "block" });
    expect(row(findings, "organization-features").detail).toContain("belongs to no organization");
    expect(row(findings, "policy-type")).toMatchObject({
      verdict: "block",
      detail: "ListRoots returned no root",
    });
  });

  it("blocks a configured root id that is not the organization's", async () => {
    const targets = row(await run({}, { targetIds: ["r-zz99"] }), "policy-targets");
    expect(targets).toMatchObject({ verdict: "block" });
    expect(targets.detail).toContain("r-zz99");
    expect(targets.detail).toContain(ROOT);
  });

  it("warns, naming each Organizations permission, when the reads are denied", async () => {
    // Given a deploy role without the Organizations reads
    aws
      .enqueue("DescribeOrganization", organizationsError("AccessDeniedException", "not authorized"))
      .enqueue("ListRoots", organizationsError("AccessDeniedException", "not authorized"));
    const findings = await run();
    // Then each denied read is a warning that names the permission to grant, and nothing is claimed
    expect(row(findings, "organization-features")).toMatchObject({
      verdict: "warn",
      detail: "organizations:DescribeOrganization denied",
      action: "grant organizations:DescribeOrganization to the deploy role to have this checked",
    });
    expect(row(findings, "policy-type")).toMatchObject({
      verdict: "warn",
      detail: "organizations:ListRoots denied",
    });
    expect(findings.map((f) => f.check)).not.toContain("policy-targets");
  });

  it("reads through the prevention account's role when one is configured", async () => {
    const findings = await run({}, { assumeRoleName: "deploy/ami-guard" });
    expect(row(findings, "policy-type").verdict).toBe("pass");
    expect(aws.requestsFor("AssumeRole")[0]?.params?.RoleArn).toBe(
      `arn:aws:iam::${MANAGEMENT_ACCOUNT}:role/deploy/ami-guard`,
    );
    expect(aws.requestsFor("ListRoots")[0]?.headers.authorization).toContain("Credential=ASIALOOPBACK/");
  });

  it("stops after the account check when the credentials are another account's", async () => {
    aws.enqueue("GetCallerIdentity", stsCallerIdentity("999988887777"));
    const findings = await run();
    expect(findings.map((f) => [f.check, f.verdict])).toEqual([["account", "block"]]);
    expect(aws.requests.filter((r) => r.service === "organizations")).toEqual([]);
  });
});
