import { OrganizationsPolicy } from "@cdktf/provider-aws/lib/organizations-policy";
import { OrganizationsPolicyAttachment } from "@cdktf/provider-aws/lib/organizations-policy-attachment";
import { Construct } from "constructs";
import {
  type AllowedImagesPolicyContentProps,
  allowedImagesPolicyContent,
  allowedImagesPolicyDescription,
  ORGANIZATIONAL_UNIT_ID_PATTERN,
  ROOT_ID_PATTERN,
} from "./allowed-images";

// Everything about the policy's content lives there; this module adds the construct that deploys it.
export * from "./allowed-images";

export interface AllowedImagesPolicyProps extends AllowedImagesPolicyContentProps {
  /** The root (`r-...`) or organizational units (`ou-...`) the policy is attached to. */
  readonly targetIds: readonly string[];
  /** @default "ami-guard-allowed-images" */
  readonly policyName?: string;
}

const DEFAULT_ALLOWED_IMAGES_POLICY_NAME = "ami-guard-allowed-images";

/**
 * An EC2 declarative policy turning on Allowed AMIs for the attached root or units. It blocks launches of
 * AMIs outside the criteria; it cannot name AMI ids, never restricts AMIs the account owns and never touches
 * a running instance ({@link ALLOWED_AMIS_LIMITS}), which is why the Config rule and its remediation stay in
 * place beside it. AttachPolicy fails until the organization has all features and DECLARATIVE_POLICY_EC2 is
 * enabled on its root: `npm run preflight` checks both (see docs/operations.md).
 */
export class AllowedImagesPolicy extends Construct {
  readonly policy: OrganizationsPolicy;
  readonly attachments: OrganizationsPolicyAttachment[];

  constructor(scope: Construct, id: string, props: AllowedImagesPolicyProps) {
    super(scope, id);
    const problems = [
      ...props.targetIds
        .filter((target) => !ROOT_ID_PATTERN.test(target) && !ORGANIZATIONAL_UNIT_ID_PATTERN.test(target))
        .map((target) => `${target} is neither a root id (r-...) nor an organizational unit id (ou-...)`),
      ...(props.targetIds.length === 0 ? ["name the root or at least one organizational unit"] : []),
      ...(props.imageProviders.length === 0 ? ["name at least one image provider"] : []),
    ];
    if (problems.length > 0) throw new Error(`allowed-images policy: ${problems.join("; ")}`);
    this.policy = new OrganizationsPolicy(this, "policy", {
      name: props.policyName ?? DEFAULT_ALLOWED_IMAGES_POLICY_NAME,
      type: "DECLARATIVE_POLICY_EC2",
      description: allowedImagesPolicyDescription(props.state),
      content: JSON.stringify(allowedImagesPolicyContent(props)),
    });
    // Ids as construct ids: attaching one more unit adds one resource and moves none.
    this.attachments = [...new Set(props.targetIds)].map(
      (targetId) =>
        new OrganizationsPolicyAttachment(this, `attachment-${targetId}`, {
          policyId: this.policy.id,
          targetId,
        }),
    );
  }
}
