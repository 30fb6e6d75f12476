import type { z } from "zod";
import { namePrefixProblemsIn } from "../../lib/pipeline-names";
import { AWS_REGIONS, type AwsRegion, PARTITION_BOUNDARY, partitionOf } from "../../lib/regions";
import { MAX_INPUT_PARAMETERS_LENGTH } from "../approved-amis";
import { expandPlacements, type Placement } from "./targets";

/**
 * The shape the cross-field checks read. Fields that failed their own validation may hold anything, so
 * every field is loosely typed, and each check skips what it cannot read.
 */
type LooseEntry = Placement<{ readonly mode: unknown; readonly dryRun: unknown }, unknown, unknown>;

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
  const targets = asArray(config.targets).map((item) => {
    const entry = asRecord(item);
    return { accountId: entry.accountId, region: entry.region, mode: entry.mode, dryRun: entry.dryRun };
  });
  const groups = asArray(config.targetGroups).map((item) => {
    const group = asRecord(item);
    return {
      accountIds: asArray(group.accountIds),
      regions: asArray(group.regions),
      mode: group.mode,
      dryRun: group.dryRun,
    };
  });
  return {
    approvedAmiIds: asArray(config.approvedAmiIds),
    remediation: remediationValue,
    defaultMode: remediationValue.mode ?? "event-driven",
    emails: asArray(asRecord(config.notifications).emails),
    entries: expandPlacements(targets, groups),
    targetCount: targets.length + groups.length,
    backend: asRecord(config.backend),
  };
}

/** Every check that reads more than one field; run on the raw input so each problem is reported. */
export function checkAcrossFields(value: unknown, ctx: z.RefinementCtx): void {
  checkAmiRegions(value, ctx);
  const config = looseView(value);
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
  checkPartitions(value, config, ctx);
  checkNamePrefix(asRecord(value).namePrefix, config, ctx);
}

/**
 * The prefix against the construct's own rules in every region the configuration deploys to (role names
 * carry the region, so the longest region decides the length), each problem once.
 */
function checkNamePrefix(namePrefix: unknown, config: LooseConfig, ctx: z.RefinementCtx): void {
  if (typeof namePrefix !== "string") return;
  const regions = new Set(
    config.entries
      .map((entry) => entry.region)
      .filter((region): region is AwsRegion => (AWS_REGIONS as readonly unknown[]).includes(region)),
  );
  const problems = new Set(
    namePrefix.length === 0
      ? ["must not be empty"]
      : [...regions].flatMap((region) => namePrefixProblemsIn(namePrefix, region)),
  );
  for (const message of problems) ctx.addIssue({ code: "custom", path: ["namePrefix"], message });
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
  if (parameterLength > MAX_INPUT_PARAMETERS_LENGTH) {
    ctx.addIssue({
      code: "custom",
      path: ["approvedAmiIds"],
      message: `joined with commas they are ${parameterLength} characters; the rule's amiIds parameter holds at most ${MAX_INPUT_PARAMETERS_LENGTH}`,
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
        path: [...entry.path],
        message: `account ${entry.accountId} in ${entry.region} is already a target through ${first}; each account and region gets exactly one stack`,
      });
    }
  }
}

/** Settings that belong to one mode are an error where no target runs in that mode: they would do nothing. */
function checkSettingsFitModes(config: LooseConfig, ctx: z.RefinementCtx): void {
  const modeOf = (entry: LooseEntry) => entry.settings.mode ?? config.defaultMode;
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
    if (
      entry.settings.dryRun !== undefined &&
      entryMode !== "event-driven" &&
      !reportedSources.has(entry.source)
    ) {
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
 * The aggregator and the prevention policy each live in one partition and reach only that partition
 * ({@link PARTITION_BOUNDARY}): a target in another partition would never be aggregated or prevented, so it
 * is refused, naming the target's region and the partition it would need.
 */
function checkPartitions(value: unknown, config: LooseConfig, ctx: z.RefinementCtx): void {
  const raw = asRecord(value);
  const partitionOfKnown = (region: unknown) =>
    typeof region === "string" && KNOWN_REGIONS.has(region) ? partitionOf(region as AwsRegion) : undefined;
  const scopes = [
    ["aggregator", "the aggregator collects from its own partition only"],
    ["prevention", "an organization's policy reaches accounts of its own partition only"],
  ] as const;
  for (const [field, reason] of scopes) {
    const region = asRecord(raw[field]).region;
    const home = partitionOfKnown(region);
    if (home === undefined) continue;
    const reported = new Set<string>();
    for (const entry of config.entries) {
      const partition = partitionOfKnown(entry.region);
      const key = `${entry.source}/${String(entry.region)}`;
      if (partition === undefined || partition === home || reported.has(key)) continue;
      reported.add(key);
      ctx.addIssue({
        code: "custom",
        path: [...entry.path, entry.source.startsWith("targetGroups") ? "regions" : "region"],
        message: `${String(entry.region)} is in partition ${partition}, but ${field}.region ${String(region)} is in ${home}: ${reason} (partitions are a hard boundary, ${PARTITION_BOUNDARY.source}); deploy ${field} from a separate configuration per partition`,
      });
    }
  }
}
