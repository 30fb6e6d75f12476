import { readFileSync } from "node:fs";
import * as path from "node:path";
import { z } from "zod";
import { AWS_REGIONS, type AwsRegion } from "../lib/regions";

/**
 * Approved AMI ids from files an image pipeline writes, read at synthesis, offline.
 *
 * - `packer-manifest`: the file Packer's manifest post-processor writes
 *   (https://developer.hashicorp.com/packer/docs/post-processors/manifest): `builds[]`, each with its
 *   `artifact_id`, `packer_run_uuid`, and the file's `last_run_uuid`. For the Amazon builders the artifact
 *   id is every `region:ami-id` pair the build made, sorted and joined with commas (`Artifact.Id()` in
 *   https://github.com/hashicorp/packer-plugin-amazon/blob/main/builder/common/artifact.go). Packer appends
 *   to the file on every run unless run with `-force`, so `builds: "last-run"` reads only the last run's.
 *   Each build also carries `name`, `builder_type` and `build_time` (Unix seconds, left out with the
 *   post-processor's `strip_time`); the docs say "You can use the timestamps to see which is the latest
 *   artifact", which is how retention orders builds (app/approved-amis.ts).
 * - `region-map`: `{ "<region>": ["ami-…", …] }`, for pipelines that write their own list.
 */

export const APPROVED_AMI_FILE_FORMATS = ["packer-manifest", "region-map"] as const;
export type ApprovedAmiFileFormat = (typeof APPROVED_AMI_FILE_FORMATS)[number];

export const PACKER_BUILD_SELECTIONS = ["all", "last-run"] as const;
export type PackerBuildSelection = (typeof PACKER_BUILD_SELECTIONS)[number];

/**
 * Which images of a packer-manifest file a stack keeps when they do not all fit the managed rule's limits.
 * "newest": the newest builds that fit, by `build_time`; "all": every build, or synthesis fails at the limit.
 */
export const APPROVED_AMI_FILE_RETENTIONS = ["newest", "all"] as const;
export type ApprovedAmiFileRetention = (typeof APPROVED_AMI_FILE_RETENTIONS)[number];

export const AMI_ID_PATTERN = /^ami-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;

/**
 * Packer builders whose artifact is AMIs (`region:ami-…` pairs): a build of one of these whose artifact id
 * holds no AMI is malformed, not another kind of artifact. `amazon-ebsvolume` makes EBS volumes
 * (`region:vol-…`) and is not one of them.
 */
const AMI_BUILDER_TYPES: ReadonlySet<string> = new Set([
  "amazon-ebs",
  "amazon-chroot",
  "amazon-ebssurrogate",
  "amazon-instance",
]);

export interface ApprovedAmiFile {
  readonly format: ApprovedAmiFileFormat;
  /** Relative to the configuration file's folder. */
  readonly path: string;
  /** packer-manifest only. @default "all" */
  readonly builds?: PackerBuildSelection;
  /** packer-manifest only. @default "newest" */
  readonly retain?: ApprovedAmiFileRetention;
}

/** One AMI build of a packer-manifest file, as retention needs it. */
export interface ManifestBuild {
  /** Its place in `builds[]`. */
  readonly index: number;
  readonly name?: string;
  readonly builderType?: string;
  /** Unix seconds; absent when Packer ran with `strip_time`. */
  readonly buildTime?: number;
  readonly idsByRegion: AmiIdsByRegion;
}

/** Ids per region, in the order the file lists them, each once. */
export type AmiIdsByRegion = ReadonlyMap<AwsRegion, readonly string[]>;

export interface FileReading {
  readonly idsByRegion: AmiIdsByRegion;
  /** Each problem starts with where in the file it is: `builds[2].artifact_id: …`. */
  readonly problems: readonly string[];
  /** What was read past, such as a build whose artifact is not an AMI; each starts like a problem. */
  readonly warnings: readonly string[];
  /** packer-manifest only: the AMI builds read, in file order. */
  readonly builds?: readonly ManifestBuild[];
}

const REGIONS: ReadonlySet<string> = new Set(AWS_REGIONS);

function isRegion(value: string): value is AwsRegion {
  return REGIONS.has(value);
}

class Collector {
  private readonly byRegion = new Map<AwsRegion, string[]>();
  readonly problems: string[] = [];
  readonly warnings: string[] = [];
  builds?: ManifestBuild[];

  add(region: AwsRegion, id: string): void {
    const ids = this.byRegion.get(region) ?? [];
    if (!ids.includes(id)) ids.push(id);
    this.byRegion.set(region, ids);
  }

  reading(): FileReading {
    return {
      idsByRegion: this.byRegion,
      problems: this.problems,
      warnings: this.warnings,
      ...(this.builds ? { builds: this.builds } : {}),
    };
  }
}

function formatPath(steps: readonly PropertyKey[]): string {
  return steps.reduce<string>(
    (text, step) =>
      typeof step === "number" ? `${text}[${step}]` : text === "" ? String(step) : `${text}.${String(step)}`,
    "",
  );
}

/** Only what ami-guard reads; Packer's other fields (files, custom_data) pass through. */
const packerManifest = z.looseObject({
  builds: z.array(
    z.looseObject({
      name: z.string().optional(),
      builder_type: z.string().optional(),
      build_time: z.number({ error: "must be the build's time in Unix seconds" }).int().optional(),
      artifact_id: z.string({ error: "must be a string of region:ami-id pairs" }),
      packer_run_uuid: z.string().optional(),
    }),
    { error: "must be the list of builds" },
  ),
  last_run_uuid: z.string().optional(),
});

export function parsePackerManifest(text: string, selection: PackerBuildSelection = "all"): FileReading {
  const collector = new Collector();
  const json = parseJson(text, collector);
  if (json === undefined) return collector.reading();
  const parsed = packerManifest.safeParse(json);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      collector.problems.push(
        `${formatPath(issue.path) || "(the whole file)"}: ${issue.code === "invalid_type" && issue.input === undefined ? "is required" : issue.message}`,
      );
    }
    return collector.reading();
  }
  const manifest = parsed.data;
  if (selection === "last-run" && manifest.last_run_uuid === undefined) {
    collector.problems.push('last_run_uuid: is required to read only the last run (builds: "last-run")');
    return collector.reading();
  }
  let selected = 0;
  const builds: ManifestBuild[] = [];
  manifest.builds.forEach((build, index) => {
    if (selection === "last-run" && build.packer_run_uuid !== manifest.last_run_uuid) return;
    selected += 1;
    const field = `builds[${index}].artifact_id`;
    const pairs = build.artifact_id.split(",");
    const holdsAmis = pairs.some((pair) => /^[^:]+:ami-/.test(pair.trim()));
    if (!holdsAmis && !AMI_BUILDER_TYPES.has(build.builder_type ?? "")) {
      // Another builder's artifact in the same file (a Docker image, an EBS volume): nothing to approve.
      collector.warnings.push(
        `builds[${index}] ${describeBuild(build.name, build.builder_type)}: artifact ${JSON.stringify(build.artifact_id)} is not an AMI; skipped`,
      );
      return;
    }
    const idsByRegion = new Map<AwsRegion, string[]>();
    for (const pair of pairs) {
      const match = /^([^:]+):(ami-.*)$/.exec(pair.trim());
      if (!match?.[1] || !match[2]) {
        collector.problems.push(
          `${field}: ${JSON.stringify(pair)} is not a "region:ami-id" pair (an Amazon builder's artifact id is "eu-west-1:ami-…,us-east-1:ami-…")`,
        );
        continue;
      }
      const [, region, id] = match;
      if (!isRegion(region)) {
        collector.problems.push(`${field}: ${JSON.stringify(region)} is not an AWS region`);
        continue;
      }
      if (!AMI_ID_PATTERN.test(id)) {
        collector.problems.push(`${field}: ${JSON.stringify(id)} is not an AMI id`);
        continue;
      }
      collector.add(region, id);
      const ids = idsByRegion.get(region) ?? [];
      if (!ids.includes(id)) ids.push(id);
      idsByRegion.set(region, ids);
    }
    builds.push({
      index,
      ...(build.name === undefined ? {} : { name: build.name }),
      ...(build.builder_type === undefined ? {} : { builderType: build.builder_type }),
      ...(build.build_time === undefined ? {} : { buildTime: build.build_time }),
      idsByRegion,
    });
  });
  collector.builds = builds;
  if (selected === 0 && collector.problems.length === 0) {
    collector.problems.push(
      selection === "last-run"
        ? `builds: no build has packer_run_uuid ${JSON.stringify(manifest.last_run_uuid)} (the last run)`
        : "builds: is empty",
    );
  } else if (builds.length === 0 && collector.problems.length === 0) {
    collector.problems.push("builds: holds no AMI build (every artifact was skipped, see the warnings)");
  }
  return collector.reading();
}

/** `"golden-linux" (amazon-ebs)`, or what Packer left out said so. */
export function describeBuild(name: string | undefined, builderType: string | undefined): string {
  return `${name === undefined ? "(no name)" : JSON.stringify(name)} (builder_type ${builderType === undefined ? "not given" : JSON.stringify(builderType)})`;
}

export function parseRegionMap(text: string): FileReading {
  const collector = new Collector();
  const json = parseJson(text, collector);
  if (json === undefined) return collector.reading();
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    collector.problems.push('(the whole file): must be an object such as { "eu-west-1": ["ami-…"] }');
    return collector.reading();
  }
  const entries = Object.entries(json);
  if (entries.length === 0) collector.problems.push("(the whole file): names no region");
  for (const [region, ids] of entries) {
    if (!isRegion(region)) {
      collector.problems.push(`${region}: is not an AWS region`);
      continue;
    }
    if (!Array.isArray(ids) || ids.length === 0) {
      collector.problems.push(`${region}: must be a non-empty list of AMI ids`);
      continue;
    }
    ids.forEach((id, index) => {
      if (typeof id === "string" && AMI_ID_PATTERN.test(id)) collector.add(region, id);
      else collector.problems.push(`${region}[${index}]: ${JSON.stringify(id)} is not an AMI id`);
    });
  }
  return collector.reading();
}

function parseJson(text: string, collector: Collector): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    collector.problems.push(`(the whole file): is not valid JSON: ${(error as Error).message}`);
    return undefined;
  }
}

/** Reads one file; a file that cannot be read is one problem, named by its resolved path. */
export function readApprovedAmiFile(
  file: ApprovedAmiFile,
  baseDir: string,
): FileReading & { readonly resolvedPath: string } {
  const resolvedPath = path.resolve(baseDir, file.path);
  let text: string;
  try {
    text = readFileSync(resolvedPath, "utf8");
  } catch (error) {
    return {
      resolvedPath,
      idsByRegion: new Map(),
      warnings: [],
      problems: [`cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`],
    };
  }
  const reading =
    file.format === "packer-manifest"
      ? parsePackerManifest(text, file.builds ?? "all")
      : parseRegionMap(text);
  return { resolvedPath, ...reading };
}
