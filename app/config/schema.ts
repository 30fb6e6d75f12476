import { z } from "zod";
import {
  ALLOWED_IMAGES_STATES,
  IMAGE_PROVIDER_ALIASES,
  isValidImageName,
  MAX_IMAGE_NAMES,
  MAX_IMAGE_PROVIDERS,
  ORGANIZATIONAL_UNIT_ID_PATTERN,
  ROOT_ID_PATTERN,
} from "../../lib/allowed-images";
import { LAMBDA_UNRESERVED_CONCURRENCY_MINIMUM } from "../../lib/aws-facts";
import { DEFAULT_NAME_PREFIX } from "../../lib/names";
import { NAME_PREFIX_MAX_LENGTH } from "../../lib/pipeline-names";
import {
  AFTER_CHANGE_DELAY_MINUTES,
  DEFAULT_REEVALUATION_INTERVAL_HOURS,
} from "../../lib/reevaluation-timing";
import { AWS_REGIONS } from "../../lib/regions";
import { approvedAmiFields } from "../approved-amis";
import { checkAcrossFields } from "./checks";

export const REMEDIATION_MODES = ["audit", "manual", "automatic", "event-driven"] as const;
export type RemediationMode = (typeof REMEDIATION_MODES)[number];

export const RECORDER_CHOICES = ["create", "existing"] as const;
export type RecorderChoice = (typeof RECORDER_CHOICES)[number];

const ACCOUNT_ID_RULE = "must be a 12-digit AWS account id, written as a string";
const accountId = z.string({ error: ACCOUNT_ID_RULE }).regex(/^\d{12}$/, ACCOUNT_ID_RULE);

const region = z.enum(AWS_REGIONS, {
  error: (issue) =>
    issue.input === undefined
      ? "is required"
      : `unknown AWS region ${JSON.stringify(issue.input)}; expected one such as "eu-central-1"`,
});

const mode = z.enum(REMEDIATION_MODES, {
  error: () => `must be one of ${REMEDIATION_MODES.map((m) => `"${m}"`).join(", ")}`,
});

const recorder = z.enum(RECORDER_CHOICES, {
  error: () =>
    'must be "create" (ami-guard deploys AWS Config) or "existing" (the account already records EC2 instances)',
});

const roleName = z
  .string()
  .regex(
    /^(?:[\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/,
    "must be an IAM role name, optionally with a path (`deploy/ami-guard`); the ARN is built from the target's account",
  );

/** Settings a single target or a target group may carry; anything left out falls back to the top level. */
const targetSettings = {
  recorder: recorder
    .optional()
    .describe(
      '"create" deploys AWS Config; "existing" reuses the recorder the account has. @default "create"',
    ),
  mode: mode.optional().describe("Overrides remediation.mode for this target. @default remediation.mode"),
  dryRun: z
    .boolean()
    .optional()
    .describe(
      "event-driven only: the function logs and notifies what it would do, and starts nothing. @default false",
    ),
  assumeRoleName: roleName
    .optional()
    .describe("Role in the target account that Terraform assumes. @default - the caller's own credentials"),
  ...approvedAmiFields(false),
};

export const target = z.strictObject({
  accountId: accountId.describe("The 12-digit AWS account id."),
  region: region.describe("The AWS region."),
  ...targetSettings,
});

const targetGroup = z.strictObject({
  accountIds: z
    .array(accountId)
    .min(1, "must list at least one account")
    .describe("Accounts, each crossed with every region."),
  regions: z
    .array(region)
    .min(1, "must list at least one region")
    .describe("Regions, each crossed with every account."),
  ...targetSettings,
});

/**
 * The characters every service that ami-guard tags accepts (IAM, KMS, SNS, SQS, S3, Lambda, Config): EC2
 * alone allows more, but default_tags reach every resource, and one refused tag fails the whole apply.
 */
const TAG_CHARACTERS = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
const TAG_CHARACTERS_RULE =
  "may hold only letters, digits, spaces and _ . : / = + - @ (AWS's tag characters)";

function notReservedByAws(key: string): boolean {
  return !key.toLowerCase().startsWith("aws:");
}
const RESERVED_PREFIX_RULE = 'must not start with "aws:", which AWS reserves';

/** The key of an instance tag the function reads; EC2 accepts any characters there. */
const instanceTagKey = z
  .string()
  .min(1, "must not be empty")
  .max(128, "has at most 128 characters")
  .refine(notReservedByAws, RESERVED_PREFIX_RULE);

/**
 * Keys are checked as values of the record rather than as its key schema, so each problem names the tag
 * (`tags.team: …`) instead of zod's generic "Invalid key in record".
 */
const tags = z
  .record(
    z.string(),
    z.string().max(256, "a tag value has at most 256 characters").regex(TAG_CHARACTERS, TAG_CHARACTERS_RULE),
  )
  .superRefine((record, ctx) => {
    for (const key of Object.keys(record)) {
      const problems = [
        key.length === 0 && "a tag key must not be empty",
        key.length > 128 && "a tag key has at most 128 characters",
        !TAG_CHARACTERS.test(key) && `the key ${TAG_CHARACTERS_RULE}`,
        !notReservedByAws(key) && `the key ${RESERVED_PREFIX_RULE}`,
      ].filter((problem): problem is string => typeof problem === "string");
      for (const message of problems) ctx.addIssue({ code: "custom", path: [key], message });
    }
  })
  .describe("Tags applied to every resource through the provider's default_tags.");

const s3Backend = z.strictObject({
  type: z.literal("s3").describe("Keep state in S3, one key per stack."),
  bucket: z
    .string()
    .regex(
      /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
      "must be an S3 bucket name (3-63 lowercase letters, digits, dots, hyphens)",
    )
    .describe("The existing bucket that holds every stack's state."),
  keyPrefix: z
    .string()
    .regex(/^[\w.!*'()/-]*$/, "may hold only letters, digits and the characters _ . ! * ' ( ) / -")
    .default("ami-guard")
    .describe(
      'Each stack keeps its state at "<keyPrefix>/<account>/<region>/terraform.tfstate". @default "ami-guard"',
    ),
  region: region.describe("The region of the state bucket."),
  locking: z
    .enum(["lockfile", "dynamodb"], { error: () => 'must be "lockfile" (S3 native locking) or "dynamodb"' })
    .default("lockfile")
    .describe(
      '"lockfile" uses S3 native locking (Terraform 1.10+); "dynamodb" the table named by dynamodbTable. @default "lockfile"',
    ),
  dynamodbTable: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{3,255}$/, "must be a DynamoDB table name (3-255 letters, digits, _ . -)")
    .optional()
    .describe('Lock table; required when locking is "dynamodb".'),
});

const localBackend = z.strictObject({
  type: z.literal("local").describe("Keep state in terraform.<stack>.tfstate beside each synthesized stack."),
});

const remediation = z.strictObject({
  mode: mode
    .default("event-driven")
    .describe(
      'audit: the rule only. manual: operators press Remediate. automatic: Config remediates with retries. event-driven: an EventBridge rule invokes a Lambda that starts remediation. @default "event-driven"',
    ),
  maximumAutomaticAttempts: z
    .number()
    .int("must be a whole number")
    .min(1, "must be at least 1")
    .max(25, "must be at most 25")
    .optional()
    .describe("automatic only: attempts Config makes before giving up. @default 5"),
  retryAttemptSeconds: z
    .number()
    .int("must be a whole number")
    .min(1, "must be at least 1")
    .max(2_678_000, "must be at most 2678000")
    .optional()
    .describe("automatic only: the window in which maximumAutomaticAttempts are made. @default 60"),
  reservedConcurrentExecutions: z
    .number()
    .int("must be a whole number")
    .min(1, "must be at least 1")
    .optional()
    .describe(
      `event-driven only: concurrent executions reserved for the function, which also caps how many remediations start at once. A reservation must leave the account ${LAMBDA_UNRESERVED_CONCURRENCY_MINIMUM.value} executions unreserved (GetAccountSettings shows the quota; new accounts often have 10, where any reservation fails the apply after the function was created): check with npm run preflight first. @default - none: the function shares the account's unreserved pool`,
    ),
  exemptionTagKey: instanceTagKey
    .optional()
    .describe(
      'event-driven only: an instance with this tag set to "true", or to an ISO date still in the future, is left running. @default "ami-guard:exempt"',
    ),
});

const notifications = z.strictObject({
  emails: z
    .array(z.email("must be an e-mail address"))
    .default([])
    .describe(
      "Addresses subscribed to the topic that receives remediated, guarded and failed events. @default []",
    ),
});

const aggregator = z.strictObject({
  accountId: accountId.describe("The account that collects every target's compliance (a security account)."),
  region: region.describe("The region the aggregator lives in; `npm run report` reads it there."),
  assumeRoleName: roleName
    .optional()
    .describe("Role in that account that Terraform assumes. @default - the caller's own credentials"),
});

const imageProvider = z
  .string()
  .refine(
    (value) => /^\d{12}$/.test(value) || (IMAGE_PROVIDER_ALIASES as readonly string[]).includes(value),
    `must be a 12-digit account id or one of ${IMAGE_PROVIDER_ALIASES.map((a) => `"${a}"`).join(", ")}`,
  );

const organizationTarget = z
  .string()
  .refine(
    (value) => ROOT_ID_PATTERN.test(value) || ORGANIZATIONAL_UNIT_ID_PATTERN.test(value),
    'must be the root id ("r-" and 4-32 lowercase letters or digits) or an organizational unit id ("ou-...-...")',
  );

const prevention = z.strictObject({
  accountId: accountId.describe(
    "The management account, or the delegated administrator for declarative policies, that deploys the policy.",
  ),
  region: region.describe("The region Terraform's provider uses; AWS Organizations itself is global."),
  assumeRoleName: roleName
    .optional()
    .describe("Role in that account that Terraform assumes. @default - the caller's own credentials"),
  state: z
    .enum(ALLOWED_IMAGES_STATES, {
      error: (issue) =>
        `must be one of ${ALLOWED_IMAGES_STATES.map((s) => `"${s}"`).join(", ")}, the states the declarative policy syntax documents${
          issue.input === "disabled" ? '; to stop preventing, remove "prevention" from the configuration' : ""
        }`,
    })
    .default("audit_mode")
    .describe(
      '"audit_mode" reports launches it would block and blocks nothing; "enabled" blocks them. Roll out in audit_mode first. Neither restricts AMIs the accounts own nor touches running instances. @default "audit_mode"',
    ),
  imageProviders: z
    .array(imageProvider)
    .min(1, "must list at least one image provider")
    .max(MAX_IMAGE_PROVIDERS, `EC2 accepts at most ${MAX_IMAGE_PROVIDERS} image providers`)
    .describe(
      'Who may publish the AMIs instances launch from: 12-digit account ids (the golden-image account) or "amazon", "aws_marketplace", "aws_backup_vault".',
    ),
  imageNames: z
    .array(
      z
        .string()
        .refine(
          isValidImageName,
          "must be 1-128 letters, digits, spaces or ( ) [ ] . / - ' @ _ * ?, and at least 3 characters when it uses ?",
        ),
    )
    .max(MAX_IMAGE_NAMES, `EC2 accepts at most ${MAX_IMAGE_NAMES} image names`)
    .optional()
    .describe(
      "AMI name patterns (wildcards * and ?); an AMI must come from one of the providers AND match one name. @default - any name",
    ),
  targetIds: z
    .array(organizationTarget)
    .min(1, "must name the root or at least one organizational unit")
    .describe('Where the policy is attached: the root ("r-...") or organizational units ("ou-...").'),
});

/** How `npm run deploy` stages a rollout (app/waves.ts); docs/scale.md explains the choice of defaults. */
const deployment = z.strictObject({
  canary: z
    .array(
      z.strictObject({
        accountId: accountId.describe("The canary target's account."),
        region: region.describe("The canary target's region."),
      }),
    )
    .default([])
    .describe(
      "Targets deployed first, alone, before any wave; each must be one of the targets. @default [] (no canary: the first wave comes first)",
    ),
  firstWaveSize: z
    .number()
    .int("must be a whole number")
    .min(1, "must be at least 1")
    .max(10_000, "must be at most 10000")
    .default(4)
    .describe("Stacks in the first wave after the canary. @default 4"),
  growthFactor: z
    .number()
    .min(1, "must be at least 1")
    .max(16, "must be at most 16")
    .default(2)
    .describe("Each wave is this many times the size of the one before (2 doubles). @default 2"),
  maxWaves: z
    .number()
    .int("must be a whole number")
    .min(1, "must be at least 1")
    .max(8, "must be at most 8, the wave jobs .github/workflows/deploy.yml declares")
    .default(8)
    .describe("Waves in all, canary included; the last wave takes every stack left. @default 8"),
});

export const configSchema = z
  .strictObject({
    $schema: z.string().optional().describe("Path of the JSON Schema, for editors; ignored by ami-guard."),
    ruleName: z
      .string()
      .regex(
        /^[A-Za-z0-9][A-Za-z0-9_-]{0,47}$/,
        "must be 1-48 letters, digits, hyphens or underscores, starting with a letter or digit (it also names the function and roles)",
      )
      .optional()
      .describe(
        'Name of the AWS Config rule. @default "approved-amis-by-id"; "<namePrefix>-approved-amis" when namePrefix is set',
      ),
    namePrefix: z
      .string()
      .optional()
      .describe(
        `Prefix of every name a stack gives its resources, of its stack name and of its state key: two configurations with different prefixes (two teams) deploy side by side to one account and region. Lowercase letters, digits and hyphens, at most ${NAME_PREFIX_MAX_LENGTH} characters. Changing it replaces every resource. @default "${DEFAULT_NAME_PREFIX}"`,
      ),
    ...approvedAmiFields(true),
    reevaluationIntervalHours: z
      .number()
      .int("must be a whole number")
      .min(1, "must be at least 1")
      .max(168, "must be at most 168 (a week)")
      .default(DEFAULT_REEVALUATION_INTERVAL_HOURS)
      .describe(
        `Hours between two evaluations of every instance against the list; one more runs ${AFTER_CHANGE_DELAY_MINUTES} minutes after each apply that changes a stack's list. @default ${DEFAULT_REEVALUATION_INTERVAL_HOURS}`,
      ),
    remediation: remediation
      .default({ mode: "event-driven" })
      .describe("How NON_COMPLIANT instances are stopped, for every target that does not override it."),
    notifications: notifications
      .default({ emails: [] })
      .describe(
        "Who hears about remediated, skipped and failed instances, and about stops that failed in SSM (every mode but audit). Each address receives nothing until it follows the confirmation link SNS mails it; the stack output email_subscriptions_pending_confirmation says which have not.",
      ),
    targets: z.array(target).default([]).describe("Single account-region targets."),
    targetGroups: z.array(targetGroup).default([]).describe("Every account crossed with every region."),
    backend: z
      .discriminatedUnion("type", [localBackend, s3Backend], {
        error: () => 'backend.type must be "local" or "s3"',
      })
      .default({ type: "local" })
      .describe('Where each stack keeps its Terraform state. @default {"type":"local"}'),
    tags: tags.default({}),
    aggregator: aggregator
      .optional()
      .describe(
        "A Config aggregator over every target, in its own stack, for `npm run report`; each target authorizes it. @default - none",
      ),
    deployment: deployment
      .optional()
      .describe(
        "How a deploy is staged: a canary, then waves of growing size, stopping at the first failed stack. @default - no canary, waves of 4, 8, 16, … up to 8 waves",
      ),
    prevention: prevention
      .optional()
      .describe(
        "An EC2 declarative policy turning on Allowed AMIs for the organization, in its own stack. It blocks launches of AMIs from other providers; AMIs the accounts own and instances already running stay the Config rule's to find. Needs all features and DECLARATIVE_POLICY_EC2 enabled on the root, which `npm run preflight` checks. @default - none",
      ),
  })
  // `when` keeps the cross-field checks running when a field already failed, so one run reports every
  // problem; the checks therefore read the value defensively (see checks.ts).
  .superRefine((value, ctx) => checkAcrossFields(value, ctx), { when: () => true });

export type ParsedConfig = z.output<typeof configSchema>;
