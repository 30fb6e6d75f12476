import { z } from "zod";
import { ruleInputParameters } from "../lib/approved-amis-parameters";
import { APPROVED_AMIS_PARAMETER_LIMITS } from "../lib/aws-facts";
import type { AwsRegion } from "../lib/regions";
import {
  AMI_ID_PATTERN,
  type AmiIdsByRegion,
  APPROVED_AMI_FILE_FORMATS,
  APPROVED_AMI_FILE_RETENTIONS,
  type ApprovedAmiFile,
  type FileReading,
  type ManifestBuild,
  PACKER_BUILD_SELECTIONS,
  readApprovedAmiFile,
} from "./approved-ami-files";

/**
 * Which AMI ids each stack's rule approves. AMI ids are regional and teams differ, so a list may be given
 * for every region, per region, or read from an image pipeline's file, at three levels: a single target,
 * its target group, and the top level.
 *
 * Precedence, for the stack of one account and region:
 * 1. The most specific level that says anything about the region wins whole: a target over its group
 *    (a target belongs to no group; `targets[]` and `targetGroups[]` are separate) over the top level.
 *    A level says something about a region when its `approvedAmiIdsByRegion` or one of its
 *    `approvedAmiFiles` names the region, or when it has a flat `approvedAmiIds`.
 * 2. Within that level, a region map (the `approvedAmiIdsByRegion` entry and the files' ids for the
 *    region, together) replaces the flat list for that region; the flat list serves every region the
 *    level's maps do not name.
 */

/** The managed rule's documented limits on its `amiIds` parameter (lib/aws-facts.ts has the source). */
export const MAX_APPROVED_AMI_IDS = APPROVED_AMIS_PARAMETER_LIMITS.value.maxIds;
export const MAX_INPUT_PARAMETERS_LENGTH = APPROVED_AMIS_PARAMETER_LIMITS.value.maxCharacters;

export const amiId = z
  .string()
  .regex(AMI_ID_PATTERN, 'must be "ami-" followed by 8 or 17 lowercase hex digits');

const amiIdList = z
  .array(amiId)
  .min(1, "must list at least one approved AMI id")
  .max(MAX_APPROVED_AMI_IDS, `the managed rule accepts at most ${MAX_APPROVED_AMI_IDS} AMI ids`);

const approvedAmiFile = z
  .strictObject({
    format: z
      .enum(APPROVED_AMI_FILE_FORMATS, { error: () => 'must be "packer-manifest" or "region-map"' })
      .describe(
        '"packer-manifest": the file Packer\'s manifest post-processor writes; "region-map": { "<region>": ["ami-…"] }.',
      ),
    path: z
      .string()
      .min(1, "must name a file")
      .describe("The file, relative to the configuration file's folder."),
    builds: z
      .enum(PACKER_BUILD_SELECTIONS, { error: () => 'must be "all" or "last-run"' })
      .optional()
      .describe(
        'packer-manifest only: "all" approves every build in the file; "last-run" only the builds of its last_run_uuid. @default "all"',
      ),
    retain: z
      .enum(APPROVED_AMI_FILE_RETENTIONS, { error: () => 'must be "newest" or "all"' })
      .optional()
      .describe(
        'packer-manifest only: what a stack keeps when the builds\' images do not all fit the managed rule (21 ids, 1,024 characters). "newest" keeps the newest builds that fit (by build_time, after every id listed in approvedAmiIdsByRegion) and names the rest in the synthesis output and the plan summary; "all" keeps every build and fails synthesis at the limit. @default "newest"',
      ),
  })
  .superRefine((file, ctx) => {
    if (file.format !== "region-map") return;
    for (const key of ["builds", "retain"] as const) {
      if (file[key] !== undefined)
        ctx.addIssue({ code: "custom", path: [key], message: 'applies to "packer-manifest" files only' });
    }
  });

/**
 * The three fields, the same at every level. `top` is the top level, whose absence of a list leaves a
 * stack with nothing (an error naming the stack); a target's or group's absence falls back to it.
 */
export function approvedAmiFields(top: boolean) {
  const level = top
    ? "for every target that names no list of its own"
    : "for this target (or every target of this group)";
  const fallback = top
    ? "@default - none; every stack's region must then be named by approvedAmiIdsByRegion or approvedAmiFiles"
    : "@default - the top level's (docs/approved-amis.md: precedence)";
  return {
    approvedAmiIds: amiIdList
      .optional()
      .describe(
        `AMI ids approved in every region ${level}, except regions approvedAmiIdsByRegion or approvedAmiFiles name. At most ${MAX_APPROVED_AMI_IDS} per stack. ${fallback}`,
      ),
    approvedAmiIdsByRegion: z
      .partialRecord(z.string(), amiIdList)
      .optional()
      .describe(
        `AMI ids per AWS region ${level}, as { "eu-west-1": ["ami-…"] }; for a region it names, replaces approvedAmiIds. ${fallback}`,
      ),
    approvedAmiFiles: z
      .array(approvedAmiFile)
      .optional()
      .describe(
        `Files an image pipeline writes, read when synthesizing, ${level}; their ids join approvedAmiIdsByRegion's for each region they name. ${fallback}`,
      ),
  };
}

export interface ApprovedAmiSettings {
  readonly approvedAmiIds?: readonly string[] | undefined;
  readonly approvedAmiIdsByRegion?: Readonly<Partial<Record<string, readonly string[]>>> | undefined;
  readonly approvedAmiFiles?: readonly ApprovedAmiFile[] | undefined;
}

/** One level's settings and where they are in the file (`targets[0]`, `targetGroups[1]`, `` for the top). */
export interface AmiLevel {
  readonly settings: ApprovedAmiSettings;
  readonly where: string;
}

export interface ResolvedAmiList {
  readonly ids: readonly string[];
  /** The fields the ids came from, for messages: `targets[0].approvedAmiIdsByRegion.eu-west-1`. */
  readonly sources: readonly string[];
  /** Builds of `retain: "newest"` files left out to fit the rule's limits, newest first. @default [] */
  readonly notKept?: readonly NotKeptBuild[];
  /** Files with `retain: "all"` among the sources, by field, for the message at the limit. @default [] */
  readonly keptWhole?: readonly string[];
  /**
   * The level's flat `approvedAmiIds`, when its region map or files named the region and so replaced it.
   * @default - none replaced
   */
  readonly replacedFlatList?: string;
}

/** The stack output listing what retention left out; the plan summary reads it from the plan. */
export const APPROVED_AMIS_NOT_KEPT_OUTPUT = "approved_amis_not_kept";

/** A build whose images a stack does not approve, because newer builds filled the rule's limits. */
export interface NotKeptBuild {
  /** `targets[0].approvedAmiFiles[0]` */
  readonly field: string;
  /** The file as resolved, for the synthesis output. */
  readonly file: string;
  /** The file as the configuration names it, for what the stack records (the same on every machine). */
  readonly configuredPath: string;
  readonly build: ManifestBuild;
  /** Its ids in the stack's region. */
  readonly ids: readonly string[];
}

function field(where: string, name: string): string {
  return where === "" ? name : `${where}.${name}`;
}

/** Reads each file once, however many levels or stacks use it; problems are reported once per field. */
export class ApprovedAmiFileReader {
  private readonly readings = new Map<string, FileReading & { resolvedPath: string }>();
  readonly problems: string[] = [];

  constructor(private readonly baseDir: string) {}

  /** Reads every file a level names, noting each file's problems under the level's field. */
  readLevel(level: AmiLevel): void {
    (level.settings.approvedAmiFiles ?? []).forEach((file, index) => {
      const reading = this.read(file);
      const where = `${field(level.where, `approvedAmiFiles[${index}]`)} (${reading.resolvedPath})`;
      for (const problem of reading.problems) this.problems.push(`${where}: ${problem}`);
      for (const warning of reading.warnings) this.warnings.push(`${where}: ${warning}`);
    });
  }

  /** What reading the files passed over (builds that are not AMIs), named like problems. */
  readonly warnings: string[] = [];

  idsOf(file: ApprovedAmiFile): AmiIdsByRegion {
    return this.read(file).idsByRegion;
  }

  readingOf(file: ApprovedAmiFile): FileReading & { readonly resolvedPath: string } {
    return this.read(file);
  }

  private read(file: ApprovedAmiFile): FileReading & { resolvedPath: string } {
    const key = `${file.format}\u0000${file.builds ?? "all"}\u0000${file.path}`;
    let reading = this.readings.get(key);
    if (!reading) {
      reading = readApprovedAmiFile(file, this.baseDir);
      this.readings.set(key, reading);
    }
    return reading;
  }
}

/** The list a stack in `region` gets from the first level that speaks for the region; see the top. */
export function resolveApprovedAmis(
  levels: readonly AmiLevel[],
  region: AwsRegion,
  files: ApprovedAmiFileReader,
): ResolvedAmiList | undefined {
  for (const { settings, where } of levels) {
    // Ids that are always kept: the region map's, and every build of a file that keeps all.
    const ids: string[] = [];
    const sources: string[] = [];
    const keptWhole: string[] = [];
    const candidates: NotKeptBuild[] = [];
    const add = (more: readonly string[], source: string) => {
      sources.push(source);
      for (const id of more) if (!ids.includes(id)) ids.push(id);
    };
    const mapped = settings.approvedAmiIdsByRegion?.[region];
    if (mapped) add(mapped, field(where, `approvedAmiIdsByRegion.${region}`));
    (settings.approvedAmiFiles ?? []).forEach((file, index) => {
      const source = field(where, `approvedAmiFiles[${index}]`);
      const reading = files.readingOf(file);
      if (file.format === "packer-manifest" && (file.retain ?? "newest") === "newest" && reading.builds) {
        const inRegion = reading.builds.filter((build) => (build.idsByRegion.get(region) ?? []).length > 0);
        if (inRegion.length === 0) return;
        sources.push(source);
        for (const build of inRegion) {
          candidates.push({
            field: source,
            file: reading.resolvedPath,
            configuredPath: file.path,
            build,
            ids: build.idsByRegion.get(region) ?? [],
          });
        }
        return;
      }
      const fromFile = reading.idsByRegion.get(region);
      if (!fromFile) return;
      add(fromFile, source);
      if (file.format === "packer-manifest") keptWhole.push(source);
    });
    if (sources.length === 0) {
      if (settings.approvedAmiIds) {
        return { ids: [...settings.approvedAmiIds], sources: [field(where, "approvedAmiIds")] };
      }
      continue;
    }
    const { kept, notKept } = keepNewest(ids, candidates);
    // Kept builds in file order, as before any was left out: a new build only appends its id.
    for (const build of candidates.filter((candidate) => kept.includes(candidate))) {
      for (const id of build.ids) if (!ids.includes(id)) ids.push(id);
    }
    return {
      ids,
      sources,
      notKept: notKept
        .map((build) => ({ ...build, ids: build.ids.filter((id) => !ids.includes(id)) }))
        .filter((build) => build.ids.length > 0),
      keptWhole,
      ...(settings.approvedAmiIds ? { replacedFlatList: field(where, "approvedAmiIds") } : {}),
    };
  }
  return undefined;
}

function fitsTheRule(ids: readonly string[]): boolean {
  return ids.length <= MAX_APPROVED_AMI_IDS && ruleInputParameters(ids).length <= MAX_INPUT_PARAMETERS_LENGTH;
}

/**
 * The newest builds whose ids fit beside `always`, by `build_time` (a build without one counts as older
 * than any with one), then by place (Packer appends, so later in a file is newer). The first build that
 * does not fit ends the list: every older one is left out too, so what is kept is always "the newest N".
 */
function keepNewest(
  always: readonly string[],
  candidates: readonly NotKeptBuild[],
): { kept: NotKeptBuild[]; notKept: NotKeptBuild[] } {
  const newestFirst = [...candidates].sort(
    (a, b) =>
      (b.build.buildTime ?? Number.NEGATIVE_INFINITY) - (a.build.buildTime ?? Number.NEGATIVE_INFINITY) ||
      b.build.index - a.build.index ||
      b.field.localeCompare(a.field),
  );
  const ids = [...always];
  const kept: NotKeptBuild[] = [];
  const notKept: NotKeptBuild[] = [];
  for (const candidate of newestFirst) {
    const next = [...ids, ...candidate.ids.filter((id) => !ids.includes(id))];
    if (notKept.length === 0 && fitsTheRule(next)) {
      kept.push(candidate);
      ids.splice(0, ids.length, ...next);
    } else {
      notKept.push(candidate);
    }
  }
  return { kept, notKept };
}

/**
 * The managed rule's limits, checked for one stack's list: at most 21 ids (the limit AWS documents for
 * approved-amis-by-id: https://docs.aws.amazon.com/config/latest/developerguide/approved-amis-by-id.html)
 * and InputParameters of at most 1,024 characters
 * (https://docs.aws.amazon.com/config/latest/APIReference/API_ConfigRule.html). With well-formed ids the
 * count limit is always reached first; the length is checked anyway, since it is what the API enforces.
 */
export function ruleLimitProblems(stack: string, list: ResolvedAmiList): string[] {
  const from = list.sources.join(" + ");
  const problems: string[] = [];
  const keptWhole = (list.keptWhole ?? []).map((source) => `${source}.retain is "all"`);
  const why =
    keptWhole.length === 0
      ? ""
      : ` (${keptWhole.join(", ")}: every build is kept; leave retain out to keep the newest builds that fit, or run Packer with -force)`;
  if (list.ids.length > MAX_APPROVED_AMI_IDS) {
    problems.push(
      `${from}: stack ${stack} gets ${list.ids.length} approved AMI ids; the managed rule accepts at most ${MAX_APPROVED_AMI_IDS}${why}`,
    );
  }
  const length = ruleInputParameters(list.ids).length;
  if (length > MAX_INPUT_PARAMETERS_LENGTH) {
    problems.push(
      `${from}: stack ${stack}'s rule parameters ${'{"amiIds":"…"}'} are ${length} characters; AWS Config accepts at most ${MAX_INPUT_PARAMETERS_LENGTH}${why}`,
    );
  }
  return problems;
}

export { ruleInputParameters };
