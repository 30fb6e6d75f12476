import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { LocalBackend, S3Backend, TerraformOutput, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import { ComplianceAggregator } from "../lib/aggregator";
import { AllowedImagesPolicy } from "../lib/prevention";
import { type AwsRegion, partitionOf } from "../lib/regions";
import { terraformLiteral, terraformLiteralMap } from "../lib/terraform-literal";
import type { AggregatorConfig, AmiGuardConfig, BackendConfig, PreventionConfig } from "./config";

/** `ami-guard-aggregator-<account>-<region>`: sorts beside the target stacks and says what it is. */
export function aggregatorStackNameFor(aggregator: Pick<AggregatorConfig, "accountId" | "region">): string {
  return `ami-guard-aggregator-${aggregator.accountId}-${aggregator.region}`;
}

/** `ami-guard-prevention-<account>`: the policy is the organization's, not a region's. */
export function preventionStackNameFor(prevention: Pick<PreventionConfig, "accountId">): string {
  return `ami-guard-prevention-${prevention.accountId}`;
}

/**
 * State keys under their own folder, so an aggregator in an account and region that is also a target
 * never shares the target's `<prefix>/<account>/<region>/terraform.tfstate`.
 */
function organizationStateKeyFor(keyPrefix: string, kind: "aggregator" | "prevention", parts: string[]) {
  const prefix = keyPrefix.replace(/\/+$/, "");
  return `${prefix ? `${prefix}/` : ""}${kind}/${parts.join("/")}/terraform.tfstate`;
}

interface StackPlacement {
  readonly accountId: string;
  readonly region: AwsRegion;
  readonly assumeRoleName?: string;
}

interface OrganizationStackProps {
  readonly config: AmiGuardConfig;
  /** Where the local backend keeps the state, relative to the stack's folder. @default "terraform.<stack>.tfstate" */
  readonly localStatePath?: string;
}

/** Provider and backend as the target stacks have them: pinned to one account, tagged, state per stack. */
function configureStack(
  stack: TerraformStack,
  stackName: string,
  placement: StackPlacement,
  config: AmiGuardConfig,
  stateKey: string,
  localStatePath: string | undefined,
): void {
  new AwsProvider(stack, "aws", {
    region: placement.region,
    allowedAccountIds: [placement.accountId],
    ...(placement.assumeRoleName
      ? {
          assumeRole: [
            {
              roleArn: `arn:${partitionOf(placement.region)}:iam::${placement.accountId}:role/${placement.assumeRoleName}`,
              sessionName: "ami-guard",
            },
          ],
        }
      : {}),
    defaultTags: [{ tags: { ...terraformLiteralMap(config.tags), "ami-guard:stack": stackName } }],
  });
  configureBackend(stack, stackName, config.backend, stateKey, localStatePath);
}

function configureBackend(
  stack: TerraformStack,
  stackName: string,
  backend: BackendConfig,
  key: string,
  localStatePath: string | undefined,
): void {
  if (backend.type === "local") {
    new LocalBackend(stack, { path: localStatePath ?? `terraform.${stackName}.tfstate` });
    return;
  }
  const s3 = new S3Backend(stack, {
    bucket: backend.bucket,
    key,
    region: backend.region,
    encrypt: true,
    ...(backend.locking === "dynamodb" && backend.dynamodbTable
      ? { dynamodbTable: terraformLiteral(backend.dynamodbTable) }
      : {}),
  });
  if (backend.locking === "lockfile") s3.addOverride("use_lockfile", true);
}

/** The aggregator over every target account and region, in the security account. */
export class AggregatorStack extends TerraformStack {
  constructor(scope: Construct, props: OrganizationStackProps & { readonly aggregator: AggregatorConfig }) {
    const { config, aggregator } = props;
    const name = aggregatorStackNameFor(aggregator);
    super(scope, name);
    configureStack(
      this,
      name,
      aggregator,
      config,
      organizationStateKeyFor(config.backend.type === "s3" ? config.backend.keyPrefix : "", "aggregator", [
        aggregator.accountId,
        aggregator.region,
      ]),
      props.localStatePath,
    );
    const compliance = new ComplianceAggregator(this, "aggregator", {
      sourceAccountIds: config.targets.map((target) => target.accountId),
      sourceRegions: config.targets.map((target) => target.region),
    });
    new TerraformOutput(this, "aggregator_name", {
      value: compliance.aggregator.name,
      description: "`npm run report` reads this aggregator.",
    });
    new TerraformOutput(this, "aggregator_arn", { value: compliance.aggregator.arn });
  }
}

/** The Allowed AMIs declarative policy, from the management account or its delegated administrator. */
export class PreventionStack extends TerraformStack {
  constructor(scope: Construct, props: OrganizationStackProps & { readonly prevention: PreventionConfig }) {
    const { config, prevention } = props;
    const name = preventionStackNameFor(prevention);
    super(scope, name);
    configureStack(
      this,
      name,
      prevention,
      config,
      organizationStateKeyFor(config.backend.type === "s3" ? config.backend.keyPrefix : "", "prevention", [
        prevention.accountId,
      ]),
      props.localStatePath,
    );
    const policy = new AllowedImagesPolicy(this, "allowed-images", {
      state: prevention.state,
      imageProviders: prevention.imageProviders,
      ...(prevention.imageNames ? { imageNames: prevention.imageNames } : {}),
      targetIds: prevention.targetIds,
    });
    new TerraformOutput(this, "policy_id", { value: policy.policy.id });
    new TerraformOutput(this, "allowed_images_state", { value: prevention.state });
  }
}
