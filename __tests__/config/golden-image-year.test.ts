import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { APPROVED_AMIS_NOT_KEPT_OUTPUT, MAX_APPROVED_AMI_IDS } from "../../app/approved-amis";
import type { AmiGuardConfig } from "../../app/config";
import { ConfigError, formatWarnings, parseConfig } from "../../app/config/load";
import { synthesizeAtomically } from "../../app/synth";
import { APPROVED_AMIS_PARAMETER_LIMITS } from "../../lib/aws-facts";
import { summarizePlan } from "../../tools/terraform/plan-summary";
import { DOC_ACCOUNT } from "../support/configs";

/**
 * A year of weekly golden-image builds, as a pipeline that runs Packer without -force leaves the manifest:
 * one build appended per week (Packer's manifest post-processor), each copied to two regions, with a
 * Docker build and an EBS-volume build of the same pipeline in the same file.
 */

const WEEK_SECONDS = 7 * 24 * 60 * 60;
const FIRST_BUILD_TIME = 1_767_225_600; // 2026-01-01T00:00:00Z
const BASE_IMAGE = "ami-0ba5eba5e0ba5eba5"; // listed by hand beside the manifest, in eu-west-1

const euId = (week: number) => `ami-0e${week.toString(16).padStart(15, "0")}`;
const usId = (week: number) => `ami-0a${week.toString(16).padStart(15, "0")}`;

interface ManifestBuildJson {
  readonly name: string;
  readonly builder_type: string;
  readonly build_time: number;
  readonly files: null;
  readonly artifact_id: string;
  readonly packer_run_uuid: string;
  readonly custom_data: null;
}

function weeklyBuild(week: number): ManifestBuildJson {
  return {
    name: "golden-linux",
    builder_type: "amazon-ebs",
    build_time: FIRST_BUILD_TIME + (week - 1) * WEEK_SECONDS,
    files: null,
    artifact_id: `eu-west-1:${euId(week)},us-east-1:${usId(week)}`,
    packer_run_uuid: `run-${week}`,
    custom_data: null,
  };
}

const DOCKER_BUILD: ManifestBuildJson = {
  name: "golden-container",
  builder_type: "docker",
  build_time: FIRST_BUILD_TIME + 3 * WEEK_SECONDS,
  files: null,
  artifact_id: "sha256:4d0a1e5a2c3b4f6e7d8c9b0a1f2e3d4c5b6a7980a1b2c3d4e5f60718293a4b5c",
  packer_run_uuid: "run-docker",
  custom_data: null,
};

const VOLUME_BUILD: ManifestBuildJson = {
  name: "golden-data-volume",
  builder_type: "amazon-ebsvolume",
  build_time: FIRST_BUILD_TIME + 7 * WEEK_SECONDS,
  files: null,
  artifact_id: "eu-west-1:vol-0123456789abcdef0",
  packer_run_uuid: "run-volume",
  custom_data: null,
};

/** The manifest after `weeks` weekly runs: every run appended, the two other builds among them. */
function manifestAfter(weeks: number): { builds: ManifestBuildJson[]; last_run_uuid: string } {
  const builds: ManifestBuildJson[] = [];
  for (let week = 1; week <= weeks; week += 1) {
    builds.push(weeklyBuild(week));
    if (week === 3) builds.push(DOCKER_BUILD);
    if (week === 7) builds.push(VOLUME_BUILD);
  }
  return { builds, last_run_uuid: `run-${weeks}` };
}

let folder: string;
let manifestPath: string;
beforeAll(() => {
  folder = mkdtempSync(path.join(tmpdir(), "ami-guard-golden-year-"));
  manifestPath = path.join(folder, "packer-manifest.json");
});
afterAll(() => rmSync(folder, { recursive: true, force: true }));

function configAfter(weeks: number, file: Record<string, unknown> = {}, baseImage = true): AmiGuardConfig {
  writeFileSync(manifestPath, JSON.stringify(manifestAfter(weeks), null, 2));
  return parseConfig(
    {
      remediation: { mode: "audit" },
      ...(baseImage ? { approvedAmiIdsByRegion: { "eu-west-1": [BASE_IMAGE] } } : {}),
      approvedAmiFiles: [{ format: "packer-manifest", path: "packer-manifest.json", ...file }],
      targetGroups: [{ accountIds: [DOC_ACCOUNT], regions: ["eu-west-1", "us-east-1"] }],
    },
    "year.json",
    folder,
  );
}

const listOf = (config: AmiGuardConfig, region: string) =>
  config.targets.find((target) => target.region === region)?.approvedAmiIds ?? [];

describe("a year of weekly golden-image builds appended to one Packer manifest", () => {
  it("keeps synthesizing every week, approving the newest builds that fit and the hand-listed image", () => {
    for (let week = 1; week <= 52; week += 1) {
      // Given the manifest as week `week` leaves it, When the configuration is read
      const config = configAfter(week);
      const eu = listOf(config, "eu-west-1");
      const us = listOf(config, "us-east-1");
      // Then each stack's list fits the managed rule, holds this week's build and never loses the base image
      expect(eu.length).toBeLessThanOrEqual(APPROVED_AMIS_PARAMETER_LIMITS.value.maxIds);
      expect(us.length).toBeLessThanOrEqual(APPROVED_AMIS_PARAMETER_LIMITS.value.maxIds);
      expect(eu).toContain(BASE_IMAGE);
      expect(eu).toContain(euId(week));
      expect(us).toContain(usId(week));
      expect(us).toHaveLength(Math.min(week, MAX_APPROVED_AMI_IDS));
    }
  });

  it("approves exactly the newest builds in week 52, and names every build it left out", () => {
    const config = configAfter(52);
    // eu-west-1: the base image, then the newest 20 builds (weeks 33-52); us-east-1: the newest 21 (32-52)
    expect(listOf(config, "eu-west-1")).toEqual([
      BASE_IMAGE,
      ...Array.from({ length: 20 }, (_, i) => euId(33 + i)),
    ]);
    expect(listOf(config, "us-east-1")).toEqual(Array.from({ length: 21 }, (_, i) => usId(32 + i)));
    const warnings = formatWarnings(config);
    // The synthesis output names the manifest, the region, and each left-out build with its ids
    expect(warnings).toContain(
      `warning: approvedAmiFiles[0] (${manifestPath}): in eu-west-1, only the newest builds that fit the managed rule (21 ids, 1024 characters) are approved; 32 older builds are left out, newest first: builds[33] "golden-linux" (builder_type "amazon-ebs") ${euId(32)}; `,
    );
    expect(warnings).toContain(`builds[0] "golden-linux" (builder_type "amazon-ebs") ${euId(1)}.`);
    expect(warnings).toContain("(stack ami-guard-111122223333-eu-west-1)");
    expect(warnings).toContain("31 older builds are left out");
    // And the other artifacts are skipped, each named by its build, not refused
    expect(warnings).toContain(
      `warning: approvedAmiFiles[0] (${manifestPath}): builds[3] "golden-container" (builder_type "docker"): artifact "${DOCKER_BUILD.artifact_id}" is not an AMI; skipped`,
    );
    expect(warnings).toContain(
      `warning: approvedAmiFiles[0] (${manifestPath}): builds[8] "golden-data-volume" (builder_type "amazon-ebsvolume"): artifact "eu-west-1:vol-0123456789abcdef0" is not an AMI; skipped`,
    );
    const euStack = config.targets.find((target) => target.region === "eu-west-1");
    expect(euStack?.approvedAmisNotKept).toHaveLength(32);
    expect(euStack?.approvedAmisNotKept?.[0]).toBe(
      `${euId(32)}: builds[33] "golden-linux" (builder_type "amazon-ebs"), built 2026-08-06T00:00:00.000Z, of approvedAmiFiles[0] (packer-manifest.json)`,
    );
  });

  it("orders builds by build_time, not by their place in the file", () => {
    // Given week 30's manifest in which week 1's build was appended last (a re-run of an old template)
    const manifest = manifestAfter(30);
    const [first] = manifest.builds.splice(0, 1);
    manifest.builds.push(first as ManifestBuildJson);
    writeFileSync(manifestPath, JSON.stringify(manifest));
    const config = parseConfig(
      {
        remediation: { mode: "audit" },
        approvedAmiFiles: [{ format: "packer-manifest", path: "packer-manifest.json" }],
        targets: [{ accountId: DOC_ACCOUNT, region: "us-east-1" }],
      },
      "year.json",
      folder,
    );
    // Then the newest 21 by build_time are weeks 10-30, and week 1's build is left out
    expect(listOf(config, "us-east-1")).toEqual(Array.from({ length: 21 }, (_, i) => usId(10 + i)));
  });

  it('fails at week 22 with retain: "all", naming the field, in the one message listing every problem', () => {
    expect(listOf(configAfter(21, { retain: "all" }, false), "us-east-1")).toHaveLength(21);
    let error: unknown;
    try {
      configAfter(22, { retain: "all" }, false);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      'approvedAmiFiles[0]: stack ami-guard-111122223333-eu-west-1 gets 22 approved AMI ids; the managed rule accepts at most 21 (approvedAmiFiles[0].retain is "all": every build is kept; leave retain out to keep the newest builds that fit, or run Packer with -force)',
      'approvedAmiFiles[0]: stack ami-guard-111122223333-us-east-1 gets 22 approved AMI ids; the managed rule accepts at most 21 (approvedAmiFiles[0].retain is "all": every build is kept; leave retain out to keep the newest builds that fit, or run Packer with -force)',
    ]);
  });

  it("refuses retain on a region-map file, and a malformed AMI build is still an error", () => {
    let error: unknown;
    try {
      parseConfig(
        {
          approvedAmiFiles: [{ format: "region-map", path: "map.json", retain: "all" }],
          targets: [{ accountId: DOC_ACCOUNT, region: "us-east-1" }],
        },
        "year.json",
        folder,
      );
    } catch (caught) {
      error = caught;
    }
    expect((error as ConfigError).problems).toContain(
      'approvedAmiFiles[0].retain: applies to "packer-manifest" files only',
    );
    // An Amazon builder whose artifact holds no AMI is a broken build, not another kind of artifact
    const manifest = manifestAfter(2);
    manifest.builds.push({ ...weeklyBuild(3), artifact_id: "us-east-1:am-123" });
    writeFileSync(manifestPath, JSON.stringify(manifest));
    expect(() =>
      parseConfig(
        {
          approvedAmiFiles: [{ format: "packer-manifest", path: "packer-manifest.json" }],
          targets: [{ accountId: DOC_ACCOUNT, region: "us-east-1" }],
        },
        "year.json",
        folder,
      ),
    ).toThrow(/builds\[2\]\.artifact_id: "us-east-1:am-123" is not a "region:ami-id" pair/);
  });

  it("says what was left out in the stack it synthesizes and in the plan summary", async () => {
    // Given week 52's configuration, When it is synthesized
    const config = configAfter(52);
    const outdir = path.join(folder, "cdktf.out");
    const synth = await synthesizeAtomically(config, outdir, folder);
    const stackName = "ami-guard-111122223333-us-east-1";
    expect(synth.stackNames).toContain(stackName);
    const stack = JSON.parse(readFileSync(path.join(outdir, "stacks", stackName, "cdk.tf.json"), "utf8"));
    // Then the rule holds 21 ids and the stack records the 31 builds left out
    const [rule] = Object.values(stack.resource.aws_config_config_rule) as { input_parameters: string }[];
    expect(JSON.parse(rule?.input_parameters ?? "{}").amiIds.split(",")).toHaveLength(21);
    const notKept = stack.output[APPROVED_AMIS_NOT_KEPT_OUTPUT].value as string[];
    expect(notKept).toHaveLength(31);
    // And the plan summary of that stack says so, whether or not the plan changes anything
    const summary = summarizePlan(stackName, {
      resource_changes: [],
      output_changes: { [APPROVED_AMIS_NOT_KEPT_OUTPUT]: { after: notKept } },
    });
    expect(summary).toContain("#### Golden images not approved");
    expect(summary).toContain("31 older builds are left out of the rule to fit its limits");
    expect(summary).toContain(`- \`${usId(31)}: builds[32] "golden-linux"`);
  });
});
