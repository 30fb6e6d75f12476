import type { z } from "zod";
import { describeBuild } from "../approved-ami-files";
import {
  type AmiLevel,
  ApprovedAmiFileReader,
  MAX_APPROVED_AMI_IDS,
  MAX_INPUT_PARAMETERS_LENGTH,
  type NotKeptBuild,
  resolveApprovedAmis,
  ruleLimitProblems,
} from "../approved-amis";
import { stackNameFor } from "../stack-names";
import type { Target } from "./index";
import type { ParsedConfig, target } from "./schema";

/** One account and region the configuration names, and the entry that named it. */
export interface Placement<Settings, AccountId, Region> {
  readonly accountId: AccountId;
  readonly region: Region;
  /** The target or target group the placement came from; its settings apply. */
  readonly settings: Settings;
  /** For messages: `targets[0]`, `targetGroups[1]`. */
  readonly source: string;
  /** The entry's path in the configuration, for issues. */
  readonly path: readonly PropertyKey[];
}

/**
 * The one expansion of targets and target groups (every account crossed with every region), in order:
 * targets first, then each group. The cross-field checks run it on the raw input, where any field may
 * hold anything; parsing runs it on the validated configuration.
 */
export function expandPlacements<
  T extends { readonly accountId: unknown; readonly region: unknown },
  G extends { readonly accountIds: readonly unknown[]; readonly regions: readonly unknown[] },
>(
  targets: readonly T[],
  groups: readonly G[],
): Placement<T | G, T["accountId"] | G["accountIds"][number], T["region"] | G["regions"][number]>[] {
  const placements: Placement<
    T | G,
    T["accountId"] | G["accountIds"][number],
    T["region"] | G["regions"][number]
  >[] = targets.map((entry, index) => ({
    accountId: entry.accountId,
    region: entry.region,
    settings: entry,
    source: `targets[${index}]`,
    path: ["targets", index],
  }));
  groups.forEach((group, index) => {
    for (const accountId of group.accountIds) {
      for (const region of group.regions) {
        placements.push({
          accountId,
          region,
          settings: group,
          source: `targetGroups[${index}]`,
          path: ["targetGroups", index],
        });
      }
    }
  });
  return placements;
}

/** One target per account and region with the top-level defaults filled in and its approved list resolved. */
export function resolveTargets(
  config: ParsedConfig,
  baseDir: string,
): { targets: Target[]; problems: string[]; warnings: string[] } {
  const unresolved = expandPlacements(config.targets, config.targetGroups).map(
    ({ accountId, region, settings, source }): UnresolvedTarget => ({
      accountId,
      region,
      recorder: settings.recorder ?? "create",
      mode: settings.mode ?? config.remediation.mode,
      dryRun: settings.dryRun ?? false,
      ...(settings.assumeRoleName ? { assumeRoleName: settings.assumeRoleName } : {}),
      ...(config.namePrefix === undefined ? {} : { namePrefix: config.namePrefix }),
      source,
      levels: [{ settings: settings as TargetSettings, where: source }],
    }),
  );
  return resolveLists(config, unresolved, baseDir);
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
): { targets: Target[]; problems: string[]; warnings: string[] } {
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
  if (problems.length > 0) return { targets: [], problems, warnings: [...files.warnings] };
  const targets: Target[] = [];
  // One warning per thing said, naming every stack it applies to.
  const stacksByWarning = new Map<string, string[]>();
  const warn = (text: string, stack: string) => {
    stacksByWarning.set(text, [...(stacksByWarning.get(text) ?? []), stack]);
  };
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
    const notKept = list.notKept ?? [];
    if (notKept.length > 0) warn(notKeptWarning(target.region, notKept), stack);
    if (list.replacedFlatList) {
      warn(
        `${list.replacedFlatList}: not used in ${target.region}, where ${list.sources.join(" + ")} name the region (a region's map and files replace the flat list); to keep those ids approved there too, list them under approvedAmiIdsByRegion.${target.region} beside the file`,
        stack,
      );
    }
    targets.push({
      ...target,
      approvedAmiIds: list.ids,
      ...(notKept.length > 0 ? { approvedAmisNotKept: notKept.map(notKeptLine) } : {}),
    });
  }
  const warnings = [
    ...files.warnings,
    ...[...stacksByWarning].map(
      ([text, stacks]) => `${text} (stack${stacks.length === 1 ? "" : "s"} ${stacks.join(", ")})`,
    ),
  ];
  return { targets, problems: [...new Set(problems)], warnings };
}

function buildTime(seconds: number | undefined): string {
  return seconds === undefined ? "no build_time" : `built ${new Date(seconds * 1000).toISOString()}`;
}

/** What the stack records for one left-out build: ids, build and file, the same on every machine. */
function notKeptLine(build: NotKeptBuild): string {
  return `${build.ids.join(", ")}: builds[${build.build.index}] ${describeBuild(build.build.name, build.build.builderType)}, ${buildTime(build.build.buildTime)}, of ${build.field} (${build.configuredPath})`;
}

function notKeptWarning(region: string, notKept: readonly NotKeptBuild[]): string {
  const files = [...new Set(notKept.map((build) => `${build.field} (${build.file})`))].join(" + ");
  return `${files}: in ${region}, only the newest builds that fit the managed rule (${MAX_APPROVED_AMI_IDS} ids, ${MAX_INPUT_PARAMETERS_LENGTH} characters) are approved; ${notKept.length} older build${notKept.length === 1 ? " is" : "s are"} left out, newest first: ${notKept
    .map(
      (build) =>
        `builds[${build.build.index}] ${describeBuild(build.build.name, build.build.builderType)} ${build.ids.join(", ")}`,
    )
    .join("; ")}. Set "retain": "all" on the file to fail instead`;
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
