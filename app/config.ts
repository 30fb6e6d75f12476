import { readFileSync } from "node:fs";
import * as path from "node:path";
import { z } from "zod";
import { LAMBDA_UNRESERVED_CONCURRENCY_MINIMUM } from "../lib/aws-facts";
import {
  ALLOWED_IMAGES_STATES,
  type AllowedImagesState,
  IMAGE_PROVIDER_ALIASES,
  isValidImageName,
  MAX_IMAGE_NAMES,
  MAX_IMAGE_PROVIDERS,
  ORGANIZATIONAL_UNIT_ID_PATTERN,
  ROOT_ID_PATTERN,
} from "../lib/prevention";
import { AWS_REGIONS, type AwsRegion } from "../lib/regions";
import type { AutomaticRetrySettings } from "../lib/remediation";
import { AFTER_CHANGE_DELAY_MINUTES, DEFAULT_REEVALUATION_INTERVAL_HOURS } from "../lib/rule-reevaluation";
import { stackNameFor } from "./ami-guard-stack";
import {
  type AmiLevel,
  ApprovedAmiFileReader,
  approvedAmiFields,
  MAX_INPUT_PARAMETERS_LENGTH,
  resolveApprovedAmis,
  ruleLimitProblems,
} from "./approved-amis";

export { MAX_APPROVED_AMI_IDS } from "./approved-amis";
/** The managed rule's limit on its comma-joined `amiIds` parameter. */
export const MAX_AMI_IDS_PARAMETER_LENGTH = MAX_INPUT_PARAMETERS_LENGTH;

export const REMEDIATION_MODES = ["audit", "manual", "automatic", "event-driven"] as const;
export type RemediationMode = (typeof REMEDIATION_MODES)[number];

export const RECORDER_CHOICES = ["create", "existing"] as const;
export type RecorderChoice = (typeof RECORDER_CHOICES)[number];

export const DEFAULT_CONFIG_FILE = "ami-guard.config.json";
export const CONFIG_PATH_VARIABLE = "AMI_GUARD_CONFIG";

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

const target = z.strictObject({
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
      error: () => `must be one of ${ALLOWED_IMAGES_STATES.map((s) => `"${s}"`).join(", ")}`,
    })
    .default("audit_mode")
    .describe(
      '"audit_mode" reports launches it would block and blocks nothing; "enabled" blocks them. Roll out in audit_mode first. @default "audit_mode"',
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

export const configSchema = z
  .strictObject({
    $schema: z.string().optional().describe("Path of the JSON Schema, for editors; ignored by ami-guard."),
    ruleName: z
      .string()
      .regex(
        /^[A-Za-z0-9][A-Za-z0-9_-]{0,47}$/,
        "must be 1-48 letters, digits, hyphens or underscores, starting with a letter or digit (it also names the function and roles)",
      )
      .default("approved-amis-by-id")
      .describe('Name of the AWS Config rule. @default "approved-amis-by-id"'),
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
    prevention: prevention
      .optional()
      .describe(
        "An EC2 declarative policy turning on Allowed AMIs for the organization, in its own stack. @default - none",
      ),
  })
  // `when` keeps the cross-field checks running when a field already failed, so one run reports every
  // problem; the checks therefore read the value defensively (see `looseView`).
  .superRefine(
    (value, ctx) => {
      checkAcrossFields(looseView(value), ctx);
      checkAmiRegions(value, ctx);
    },
    { when: () => true },
  );

type ParsedConfig = z.output<typeof configSchema>;

export interface Target {
  readonly accountId: string;
  readonly region: AwsRegion;
  readonly recorder: RecorderChoice;
  readonly mode: RemediationMode;
  readonly dryRun: boolean;
  /** @default - Terraform uses the caller's own credentials */
  readonly assumeRoleName?: string;
  /** The ids this stack's rule approves, resolved for its region (app/approved-amis.ts says how). */
  readonly approvedAmiIds: readonly string[];
  /** Where the target came from in the configuration, for messages: `targets[0]`, `targetGroups[1]`. */
  readonly source: string;
}

export type BackendConfig = ParsedConfig["backend"];

/** Where the organization's aggregator is deployed. */
export interface AggregatorConfig {
  readonly accountId: string;
  readonly region: AwsRegion;
  /** @default - Terraform uses the caller's own credentials */
  readonly assumeRoleName?: string;
}

/** The Allowed AMIs declarative policy and where it is deployed from. */
export interface PreventionConfig {
  readonly accountId: string;
  readonly region: AwsRegion;
  /** @default - Terraform uses the caller's own credentials */
  readonly assumeRoleName?: string;
  readonly state: AllowedImagesState;
  readonly imageProviders: readonly string[];
  /** @default - any name from the providers */
  readonly imageNames?: readonly string[];
  readonly targetIds: readonly string[];
}

export interface AmiGuardConfig {
  readonly ruleName: string;
  /** Hours between two scheduled re-evaluations of the rule. */
  readonly reevaluationIntervalHours: number;
  readonly automatic: AutomaticRetrySettings;
  readonly exemptionTagKey: string;
  /** @default - none: the function shares the account's unreserved concurrency */
  readonly reservedConcurrentExecutions?: number;
  readonly notificationEmails: readonly string[];
  readonly targets: readonly Target[];
  readonly backend: BackendConfig;
  readonly tags: Readonly<Record<string, string>>;
  /** @default - no aggregator stack, no authorizations */
  readonly aggregator?: AggregatorConfig;
  /** @default - no declarative policy */
  readonly prevention?: PreventionConfig;
}

export const DEFAULT_AUTOMATIC_RETRY: AutomaticRetrySettings = {
  maximumAutomaticAttempts: 5,
  retryAttemptSeconds: 60,
};
export const DEFAULT_EXEMPTION_TAG_KEY = "ami-guard:exempt";

/** Every problem in a configuration, one per line, each starting with the field it is about. */
export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: readonly string[],
  ) {
    super(
      `${source}: ${problems.length} problem${problems.length === 1 ? "" : "s"} in the ami-guard configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`,
    );
    this.name = "ConfigError";
  }
}

/** `targets[0].accountId`, the way a reader finds the field in the JSON file. */
export function formatFieldPath(fieldPath: readonly PropertyKey[]): string {
  if (fieldPath.length === 0) return "(the whole file)";
  return fieldPath.reduce<string>((text, key) => {
    if (typeof key === "number") return `${text}[${key}]`;
    const name = String(key);
    return text === "" ? name : `${text}.${name}`;
  }, "");
}

/**
 * Validates raw JSON and resolves target groups and defaults into one target per account and region.
 * Files named by approvedAmiFiles are read relative to `baseDir`, the configuration file's folder.
 */
export function parseConfig(raw: unknown, source = "configuration", baseDir = process.cwd()): AmiGuardConfig {
  const result = configSchema.safeParse(raw, {
    // Only for issues the schema has no message of its own for: a missing field reads better as "is required".
    error: (issue) =>
      issue.code === "invalid_type" && issue.input === undefined ? "is required" : undefined,
  });
  if (!result.success) {
    throw new ConfigError(
      source,
      result.error.issues.map((issue) => `${formatFieldPath(issue.path)}: ${issue.message}`),
    );
  }
  const config = result.data;
  const { targets, problems } = resolveLists(config, expandTargets(config), baseDir);
  if (problems.length > 0) throw new ConfigError(source, problems);
  return {
    ruleName: config.ruleName,
    reevaluationIntervalHours: config.reevaluationIntervalHours,
    automatic: {
      maximumAutomaticAttempts:
        config.remediation.maximumAutomaticAttempts ?? DEFAULT_AUTOMATIC_RETRY.maximumAutomaticAttempts,
      retryAttemptSeconds:
        config.remediation.retryAttemptSeconds ?? DEFAULT_AUTOMATIC_RETRY.retryAttemptSeconds,
    },
    exemptionTagKey: config.remediation.exemptionTagKey ?? DEFAULT_EXEMPTION_TAG_KEY,
    ...(config.remediation.reservedConcurrentExecutions === undefined
      ? {}
      : { reservedConcurrentExecutions: config.remediation.reservedConcurrentExecutions }),
    notificationEmails: config.notifications.emails,
    targets,
    backend: config.backend,
    tags: config.tags,
    ...(config.aggregator ? { aggregator: config.aggregator } : {}),
    ...(config.prevention ? { prevention: config.prevention } : {}),
  };
}

/** Reads the file named by AMI_GUARD_CONFIG, or the shipped default, and validates it. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): AmiGuardConfig {
  const file = path.resolve(cwd, env[CONFIG_PATH_VARIABLE] || DEFAULT_CONFIG_FILE);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new ConfigError(file, [`cannot be read: ${(error as Error).message}`]);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(file, [`is not valid JSON: ${(error as Error).message}`]);
  }
  return parseConfig(raw, file, path.dirname(file));
}

type UnresolvedTarget = Omit<Target, "approvedAmiIds"> & { readonly levels: readonly AmiLevel[] };

/**
 * Every stack's list: files read once, each problem (an unreadable file, a stack with no list, a list
 * over the rule's limits) named by its field, all at once.
 */
function resolveLists(
  config: ParsedConfig,
  unresolved: readonly UnresolvedTarget[],
  baseDir: string,
): { targets: Target[]; problems: string[] } {
  const files = new ApprovedAmiFileReader(baseDir);
  const top: AmiLevel = { settings: config, where: "" };
  files.readLevel(top);
  config.targets.forEach((settings, index) => {
    files.readLevel({ settings, where: `targets[${index}]` });
  });
  config.targetGroups.forEach((settings, index) => {
    files.readLevel({ settings, where: `targetGroups[${index}]` });
  });
  const problems = [...files.problems];
  if (problems.length > 0) return { targets: [], problems };
  const targets: Target[] = [];
  for (const { levels, ...target } of unresolved) {
    const list = resolveApprovedAmis([...levels, top], target.region, files);
    const stack = stackNameFor(target);
    if (!list) {
      problems.push(
        `${target.source}: stack ${stack} has no approved AMI ids for ${target.region}; set approvedAmiIds, approvedAmiIdsByRegion.${target.region} or approvedAmiFiles on ${target.source} or at the top level`,
      );
      continue;
    }
    problems.push(...ruleLimitProblems(stack, list));
    targets.push({ ...target, approvedAmiIds: list.ids });
  }
  return { targets, problems: [...new Set(problems)] };
}

function expandTargets(config: ParsedConfig): UnresolvedTarget[] {
  const expanded: UnresolvedTarget[] = config.targets.map((settings, index) =>
    resolveTarget(config, settings, settings, `targets[${index}]`),
  );
  config.targetGroups.forEach((group, index) => {
    for (const accountId of group.accountIds) {
      for (const groupRegion of group.regions) {
        expanded.push(
          resolveTarget(config, { accountId, region: groupRegion }, group, `targetGroups[${index}]`),
        );
      }
    }
  });
  return expanded;
}

function resolveTarget(
  config: ParsedConfig,
  where: { accountId: string; region: AwsRegion },
  settings: TargetSettings,
  source: string,
): UnresolvedTarget {
  return {
    accountId: where.accountId,
    region: where.region,
    recorder: settings.recorder ?? "create",
    mode: settings.mode ?? config.remediation.mode,
    dryRun: settings.dryRun ?? false,
    ...(settings.assumeRoleName ? { assumeRoleName: settings.assumeRoleName } : {}),
    source,
    levels: [{ settings, where: source }],
  };
}

type TargetSettings = Pick<
  z.output<typeof target>,
  | "recorder"
  | "mode"
  | "dryRun"
  | "assumeRoleName"
  | "approvedAmiIds"
  | "approvedAmiIdsByRegion"
  | "approvedAmiFiles"
>;

const KNOWN_REGIONS: ReadonlySet<string> = new Set(AWS_REGIONS);

/** Region-map keys at every level must be regions; a typo would otherwise leave a region without its list. */
function checkAmiRegions(value: unknown, ctx: z.RefinementCtx): void {
  const config = asRecord(value);
  const levels: [PropertyKey[], unknown][] = [
    [[], config],
    ...asArray(config.targets).map((item, index): [PropertyKey[], unknown] => [["targets", index], item]),
    ...asArray(config.targetGroups).map((item, index): [PropertyKey[], unknown] => [
      ["targetGroups", index],
      item,
    ]),
  ];
  for (const [where, level] of levels) {
    for (const key of Object.keys(asRecord(asRecord(level).approvedAmiIdsByRegion))) {
      if (KNOWN_REGIONS.has(key)) continue;
      ctx.addIssue({
        code: "custom",
        path: [...where, "approvedAmiIdsByRegion", key],
        message: `unknown AWS region ${JSON.stringify(key)}; expected one such as "eu-central-1"`,
      });
    }
  }
}

/**
 * The shape the cross-field checks read. Fields that failed their own validation may hold anything, so
 * every field is optional and loosely typed, and each check skips what it cannot read.
 */
interface LooseEntry {
  readonly accountId: unknown;
  readonly region: unknown;
  readonly mode: unknown;
  readonly dryRun: unknown;
  readonly source: string;
  readonly path: PropertyKey[];
}

interface LooseConfig {
  readonly approvedAmiIds: unknown[];
  readonly remediation: Record<string, unknown>;
  readonly defaultMode: unknown;
  readonly emails: unknown[];
  readonly entries: LooseEntry[];
  readonly targetCount: number;
  readonly backend: Record<string, unknown>;
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function looseView(value: unknown): LooseConfig {
  const config = asRecord(value);
  const remediationValue = asRecord(config.remediation);
  const entries: LooseEntry[] = asArray(config.targets).map((item, index) => {
    const entry = asRecord(item);
    return {
      ...pickSettings(entry),
      accountId: entry.accountId,
      region: entry.region,
      source: `targets[${index}]`,
      path: ["targets", index],
    };
  });
  const groups = asArray(config.targetGroups);
  groups.forEach((item, index) => {
    const group = asRecord(item);
    for (const accountIdValue of asArray(group.accountIds)) {
      for (const regionValue of asArray(group.regions)) {
        entries.push({
          ...pickSettings(group),
          accountId: accountIdValue,
          region: regionValue,
          source: `targetGroups[${index}]`,
          path: ["targetGroups", index],
        });
      }
    }
  });
  return {
    approvedAmiIds: asArray(config.approvedAmiIds),
    remediation: remediationValue,
    defaultMode: remediationValue.mode ?? "event-driven",
    emails: asArray(asRecord(config.notifications).emails),
    entries,
    targetCount: asArray(config.targets).length + groups.length,
    backend: asRecord(config.backend),
  };
}

function pickSettings(entry: Record<string, unknown>): Pick<LooseEntry, "mode" | "dryRun"> {
  return { mode: entry.mode, dryRun: entry.dryRun };
}

function checkAcrossFields(config: LooseConfig, ctx: z.RefinementCtx): void {
  checkApprovedAmis(config, ctx);
  if (config.targetCount === 0) {
    ctx.addIssue({
      code: "custom",
      path: ["targets"],
      message: "name at least one target (or target group) to deploy to",
    });
  }
  if (config.backend.type === "s3") {
    const locking = config.backend.locking ?? "lockfile";
    if (locking === "dynamodb" && !config.backend.dynamodbTable) {
      ctx.addIssue({
        code: "custom",
        path: ["backend", "dynamodbTable"],
        message: 'is required when backend.locking is "dynamodb"',
      });
    }
    if (locking === "lockfile" && config.backend.dynamodbTable !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["backend", "dynamodbTable"],
        message: 'only applies when backend.locking is "dynamodb"',
      });
    }
  }
  checkSettingsFitModes(config, ctx);
  checkTargetsAreUnique(config, ctx);
}

function checkApprovedAmis(config: LooseConfig, ctx: z.RefinementCtx): void {
  const firstIndex = new Map<unknown, number>();
  config.approvedAmiIds.forEach((id, index) => {
    const first = firstIndex.get(id);
    if (first === undefined) firstIndex.set(id, index);
    else
      ctx.addIssue({
        code: "custom",
        path: ["approvedAmiIds", index],
        message: `duplicates approvedAmiIds[${first}] (${String(id)})`,
      });
  });
  const parameterLength = config.approvedAmiIds.map(String).join(",").length;
  if (parameterLength > MAX_AMI_IDS_PARAMETER_LENGTH) {
    ctx.addIssue({
      code: "custom",
      path: ["approvedAmiIds"],
      message: `joined with commas they are ${parameterLength} characters; the rule's amiIds parameter holds at most ${MAX_AMI_IDS_PARAMETER_LENGTH}`,
    });
  }
}

function checkTargetsAreUnique(config: LooseConfig, ctx: z.RefinementCtx): void {
  const firstSource = new Map<string, string>();
  for (const entry of config.entries) {
    if (typeof entry.accountId !== "string" || typeof entry.region !== "string") continue;
    const key = `${entry.accountId}/${entry.region}`;
    const first = firstSource.get(key);
    if (first === undefined) {
      firstSource.set(key, entry.source);
    } else {
      ctx.addIssue({
        code: "custom",
        path: entry.path,
        message: `account ${entry.accountId} in ${entry.region} is already a target through ${first}; each account and region gets exactly one stack`,
      });
    }
  }
}

/** Settings that belong to one mode are an error where no target runs in that mode: they would do nothing. */
function checkSettingsFitModes(config: LooseConfig, ctx: z.RefinementCtx): void {
  const modeOf = (entry: LooseEntry) => entry.mode ?? config.defaultMode;
  const modesInUse = new Set(config.entries.map(modeOf));
  const describeModes = [...modesInUse].map((m) => JSON.stringify(m)).join(", ") || "none";
  for (const field of ["maximumAutomaticAttempts", "retryAttemptSeconds"]) {
    if (config.remediation[field] !== undefined && !modesInUse.has("automatic")) {
      ctx.addIssue({
        code: "custom",
        path: ["remediation", field],
        message: `only applies to mode "automatic", and no target uses it (modes in use: ${describeModes})`,
      });
    }
  }
  for (const field of ["exemptionTagKey", "reservedConcurrentExecutions"]) {
    if (config.remediation[field] !== undefined && !modesInUse.has("event-driven")) {
      ctx.addIssue({
        code: "custom",
        path: ["remediation", field],
        message: `only applies to mode "event-driven", and no target uses it (modes in use: ${describeModes})`,
      });
    }
  }
  const reportedSources = new Set<string>();
  for (const entry of config.entries) {
    const entryMode = modeOf(entry);
    if (entry.dryRun !== undefined && entryMode !== "event-driven" && !reportedSources.has(entry.source)) {
      reportedSources.add(entry.source);
      ctx.addIssue({
        code: "custom",
        path: [...entry.path, "dryRun"],
        message: `only applies to mode "event-driven"; this target's mode is ${JSON.stringify(entryMode)}`,
      });
    }
  }
  if (
    config.emails.length > 0 &&
    modesInUse.size > 0 &&
    [...modesInUse].every((inUse) => inUse === "audit")
  ) {
    ctx.addIssue({
      code: "custom",
      path: ["notifications", "emails"],
      message: `mode "audit" sends no notifications, and every target uses it (modes in use: ${describeModes})`,
    });
  }
}
