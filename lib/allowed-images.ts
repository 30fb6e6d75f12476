/*
 * Allowed AMIs as an EC2 declarative policy sets it: the documented syntax, its limits and the policy's
 * content, apart from the construct that deploys it, so the configuration checks them without loading cdktf
 * and the provider (lib/prevention.ts builds the policy and re-exports these).
 */

/**
 * The syntax of an EC2 declarative policy and its `allowed_images_settings` attribute, from the AWS
 * Organizations User Guide, "Declarative policy syntax and examples". The values below are the page's.
 */
export const DECLARATIVE_POLICY_SYNTAX_URL =
  "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_declarative_syntax.html";

/**
 * The values of `allowed_images_settings.state` the syntax page shows a policy assigning: `enabled`, which
 * enforces the criteria (the page's own Allowed Images example, kept in
 * `__tests__/prevention/fixtures/documented-allowed-images-example.json`), and `audit_mode`, which only
 * reports what they would block (the policy spells it `audit_mode`; EC2's own API says `audit-mode`). They
 * match the two values EC2's EnableAllowedImagesSettings accepts. `disabled` is not accepted: EC2 reports
 * `disabled` as an account's state (GetAllowedImagesSettings) and reaches it through
 * DisableAllowedImagesSettings, but no page shows a declarative policy assigning it, and where the
 * documentation is silent the configuration refuses rather than guess. A policy turning Allowed AMIs off
 * would prevent nothing anyway: to stop preventing, remove `prevention`, and the policy is detached and
 * deleted.
 */
export const ALLOWED_IMAGES_STATES_FACT = {
  value: ["audit_mode", "enabled"] as const,
  statement:
    'Allowed Images Settings, policy contents: "state": { "@@assign": "enabled" } or "audit_mode"; enabled applies the image criteria, audit_mode reports which images they would block and blocks none (paraphrased).',
  source: DECLARATIVE_POLICY_SYNTAX_URL,
};
export const ALLOWED_IMAGES_STATES = ALLOWED_IMAGES_STATES_FACT.value;
export type AllowedImagesState = (typeof ALLOWED_IMAGES_STATES)[number];

/**
 * What Allowed AMIs never does, so the Config rule and its remediation stay in place beside it: it never
 * restricts an AMI the account owns (the page's words), and its criteria govern which AMIs are discoverable
 * and can launch instances, so an instance already running is never touched (read from the same sentence).
 */
export const ALLOWED_AMIS_LIMITS = {
  value: { restrictsOwnAmis: false, touchesRunningInstances: false },
  statement:
    "The Allowed AMIs feature does not restrict the AMIs owned by your account. Regardless of the criteria you set, the AMIs created by your account will always be discoverable and usable by users in your account. [enabled:] only AMIs matching these criteria are discoverable and can be used by your account to launch instances.",
  source: "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_EnableAllowedImagesSettings.html",
} as const;

/** The policy's description: what it blocks, and what it leaves to the Config rule. */
export function allowedImagesPolicyDescription(state: AllowedImagesState): string {
  const effect =
    state === "enabled" ? "blocks launches of AMIs" : "reports, without blocking, launches of AMIs";
  return `Allowed AMIs (${state}): ${effect} from outside the approved providers. Never restricts AMIs the account owns and never touches running instances; the ami-guard Config rule covers those.`;
}

/** The owner aliases the page lists beside 12-digit account ids (EC2's API spells them with hyphens). */
export const IMAGE_PROVIDER_ALIASES = ["amazon", "aws_marketplace", "aws_backup_vault"] as const;
type ImageProviderAlias = (typeof IMAGE_PROVIDER_ALIASES)[number];

/**
 * Per criterion, EC2 accepts at most 200 providers and 50 names
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ImageCriterionRequest.html).
 */
export const MAX_IMAGE_PROVIDERS = 200;
export const MAX_IMAGE_NAMES = 50;

/** Names: 1-128 characters of letters, digits, spaces and ( ) [ ] . / - ' @ _ * ?; with `?`, at least 3. */
const IMAGE_NAME_PATTERN = /^[A-Za-z0-9()[\]./\-'@_*? ]{1,128}$/;

export function isValidImageName(name: string): boolean {
  return IMAGE_NAME_PATTERN.test(name) && !(name.includes("?") && name.length < 3);
}

/**
 * The root (`r-` and 4-32 lowercase letters or digits) and organizational units (`ou-`, the root's 4-32,
 * a dash, 8-32 more), as AttachPolicy's TargetId pattern gives them
 * (https://docs.aws.amazon.com/organizations/latest/APIReference/API_PolicyTargetSummary.html).
 */
export const ROOT_ID_PATTERN = /^r-[0-9a-z]{4,32}$/;
export const ORGANIZATIONAL_UNIT_ID_PATTERN = /^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$/;

export interface AllowedImagesPolicyContentProps {
  readonly state: AllowedImagesState;
  /** 12-digit account ids (the golden-image account) or the aliases AWS defines. */
  readonly imageProviders: readonly (string | ImageProviderAlias)[];
  /**
   * AMI name patterns; within one criterion every parameter must match, so these narrow the providers.
   * @default - any name from those providers
   */
  readonly imageNames?: readonly string[];
}

/**
 * The policy content: one criterion (`criteria_1`), every value `@@assign`ed so this policy, not an
 * inherited one, decides the whole setting.
 */
export function allowedImagesPolicyContent(props: AllowedImagesPolicyContentProps): Record<string, unknown> {
  const criterion: Record<string, unknown> = {
    allowed_image_providers: { "@@assign": [...props.imageProviders] },
  };
  if (props.imageNames && props.imageNames.length > 0) {
    criterion.image_names = { "@@assign": [...props.imageNames] };
  }
  return {
    ec2_attributes: {
      allowed_images_settings: {
        state: { "@@assign": props.state },
        image_criteria: { criteria_1: criterion },
      },
    },
  };
}
