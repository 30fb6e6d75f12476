import type { z } from "zod";
import { stackNameFor } from "../ami-guard-stack";
import {
  type AmiLevel,
  ApprovedAmiFileReader,
  resolveApprovedAmis,
  ruleLimitProblems,
} from "../approved-amis";
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
): { targets: Target[]; problems: string[] } {
  const unresolved = expandPlacements(config.targets, config.targetGroups).map(
    ({ accountId, region, settings, source }): UnresolvedTarget => ({
      accountId,
      region,
      recorder: settings.recorder ?? "create",
      mode: settings.mode ?? config.remediation.mode,
      dryRun: settings.dryRun ?? false,
      ...(settings.assumeRoleName ? { assumeRoleName: settings.assumeRoleName } : {}),
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
