import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { stackNameFor } from "../../app/ami-guard-stack";
import { parsePackerManifest, parseRegionMap } from "../../app/approved-ami-files";
import { ruleInputParameters, ruleLimitProblems } from "../../app/approved-amis";
import { ConfigError, loadConfig, parseConfig } from "../../app/config/load";
import { synthesizeAtomically } from "../../app/synth";
import { APPROVED_AMI, DOC_ACCOUNT } from "../support/configs";

const REPO_ROOT = path.resolve(__dirname, "..", "..");
const MANIFEST = path.join(REPO_ROOT, "examples", "golden-images", "packer-manifest.json");
const OTHER_ACCOUNT = "222233334444";
const EU = "ami-0e0e0e0e0e0e0e0e0";
const US = "ami-0a0a0a0a0a0a0a0a0";
const TEAM = "ami-0c0c0c0c0c0c0c0c0";

let folder: string;
beforeAll(() => {
  folder = mkdtempSync(path.join(tmpdir(), "ami-guard-approved-amis-"));
});
afterAll(() => rmSync(folder, { recursive: true, force: true }));

function problemsOf(raw: unknown, baseDir = folder): readonly string[] {
  try {
    parseConfig(raw, "test configuration", baseDir);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error("the configuration was accepted");
}

function listsOf(raw: unknown, baseDir = folder): Record<string, readonly string[]> {
  const config = parseConfig(raw, "test configuration", baseDir);
  return Object.fromEntries(config.targets.map((t) => [`${t.accountId}/${t.region}`, t.approvedAmiIds]));
}

function writeFile(name: string, content: unknown): string {
  const file = path.join(folder, name);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, typeof content === "string" ? content : JSON.stringify(content));
  return name;
}

const ids = (n: number, prefix = "0") =>
  Array.from({ length: n }, (_, i) => `ami-${prefix}${i.toString(16).padStart(16, "0")}`);

describe("which list each stack's rule gets", () => {
  const group = { accountIds: [DOC_ACCOUNT], regions: ["eu-west-1", "us-east-1", "ap-southeast-2"] };

  it("gives every region the flat list when nothing else is said (the shape of old configurations)", () => {
    expect(listsOf({ approvedAmiIds: [APPROVED_AMI], targetGroups: [group] })).toEqual({
      [`${DOC_ACCOUNT}/eu-west-1`]: [APPROVED_AMI],
      [`${DOC_ACCOUNT}/us-east-1`]: [APPROVED_AMI],
      [`${DOC_ACCOUNT}/ap-southeast-2`]: [APPROVED_AMI],
    });
  });

  it("lets a region map replace the flat list for the regions it names, and only those", () => {
    const raw = {
      approvedAmiIds: [APPROVED_AMI],
      approvedAmiIdsByRegion: { "eu-west-1": [EU], "us-east-1": [US] },
      targetGroups: [group],
    };
    expect(listsOf(raw)).toEqual({
      [`${DOC_ACCOUNT}/eu-west-1`]: [EU],
      [`${DOC_ACCOUNT}/us-east-1`]: [US],
      [`${DOC_ACCOUNT}/ap-southeast-2`]: [APPROVED_AMI],
    });
  });

  it("lets a group's list win over the top level, and a target's over the top level, whole", () => {
    const raw = {
      approvedAmiIdsByRegion: { "eu-west-1": [EU], "us-east-1": [US] },
      targetGroups: [
        { accountIds: [OTHER_ACCOUNT], regions: ["eu-west-1", "us-east-1"], approvedAmiIds: [TEAM] },
      ],
      targets: [
        { accountId: DOC_ACCOUNT, region: "eu-west-1", approvedAmiIdsByRegion: { "eu-west-1": [TEAM, EU] } },
      ],
    };
    expect(listsOf(raw)).toEqual({
      [`${DOC_ACCOUNT}/eu-west-1`]: [TEAM, EU],
      [`${OTHER_ACCOUNT}/eu-west-1`]: [TEAM],
      [`${OTHER_ACCOUNT}/us-east-1`]: [TEAM],
    });
  });

  it("falls back to the top level for a region a target's map does not name", () => {
    const raw = {
      approvedAmiIdsByRegion: { "us-east-1": [US] },
      targets: [
        { accountId: DOC_ACCOUNT, region: "us-east-1", approvedAmiIdsByRegion: { "eu-west-1": [EU] } },
      ],
    };
    expect(listsOf(raw)).toEqual({ [`${DOC_ACCOUNT}/us-east-1`]: [US] });
  });

  it("names a region-map key that is no region", () => {
    expect(
      problemsOf({
        approvedAmiIds: [APPROVED_AMI],
        targets: [
          { accountId: DOC_ACCOUNT, region: "eu-west-1", approvedAmiIdsByRegion: { "eu-west-9": [EU] } },
        ],
      }),
    ).toEqual([
      'targets[0].approvedAmiIdsByRegion.eu-west-9: unknown AWS region "eu-west-9"; expected one such as "eu-central-1"',
    ]);
  });

  it("names the stack that gets no list for its region", () => {
    expect(
      problemsOf({
        approvedAmiIdsByRegion: { "eu-west-1": [EU] },
        targetGroups: [{ accountIds: [DOC_ACCOUNT], regions: ["eu-west-1", "us-east-1"] }],
      }),
    ).toEqual([
      `targetGroups[0]: stack ${stackNameFor({ accountId: DOC_ACCOUNT, region: "us-east-1" })} has no approved AMI ids for us-east-1; set approvedAmiIds, approvedAmiIdsByRegion.us-east-1 or approvedAmiFiles on targetGroups[0] or at the top level`,
    ]);
  });
});

describe("the managed rule's limits, per stack", () => {
  it("accepts 21 ids for a stack, gathered from a map and a file", () => {
    const file = writeFile("limit/twelve.json", { "eu-west-1": ids(12, "1") });
    const lists = listsOf({
      approvedAmiIdsByRegion: { "eu-west-1": ids(9, "2") },
      approvedAmiFiles: [{ format: "region-map", path: file }],
      targets: [{ accountId: DOC_ACCOUNT, region: "eu-west-1" }],
    });
    expect(lists[`${DOC_ACCOUNT}/eu-west-1`]).toHaveLength(21);
  });

  it("refuses 22, naming every stack over the limit and the fields its ids came from, all at once", () => {
    const file = writeFile("limit/thirteen.json", { "eu-west-1": ids(13, "1"), "us-east-1": ids(13, "1") });
    const problems = problemsOf({
      approvedAmiIdsByRegion: { "eu-west-1": ids(9, "2"), "us-east-1": ids(9, "3") },
      approvedAmiFiles: [{ format: "region-map", path: file }],
      targetGroups: [{ accountIds: [DOC_ACCOUNT], regions: ["eu-west-1", "us-east-1"] }],
    });
    expect(problems).toEqual([
      `approvedAmiIdsByRegion.eu-west-1 + approvedAmiFiles[0]: stack ami-guard-${DOC_ACCOUNT}-eu-west-1 gets 22 approved AMI ids; the managed rule accepts at most 21`,
      `approvedAmiIdsByRegion.us-east-1 + approvedAmiFiles[0]: stack ami-guard-${DOC_ACCOUNT}-us-east-1 gets 22 approved AMI ids; the managed rule accepts at most 21`,
    ]);
  });

  it("counts the rule's whole InputParameters against 1,024 characters", () => {
    // 21 well-formed ids are 474 characters as {"amiIds":"…"}: only the count can be exceeded in practice.
    expect(ruleInputParameters(ids(21))).toHaveLength(474);
    expect(ruleLimitProblems("s", { ids: ids(21), sources: ["f"] })).toEqual([]);
    expect(ruleLimitProblems("s", { ids: ids(48), sources: ["f"] })).toEqual([
      "f: stack s gets 48 approved AMI ids; the managed rule accepts at most 21",
      'f: stack s\'s rule parameters {"amiIds":"…"} are 1068 characters; AWS Config accepts at most 1024',
    ]);
  });
});

describe("Packer's manifest", () => {
  const text = readFileSync(MANIFEST, "utf8");

  it("approves every region:ami-id pair of every build, per region", () => {
    const reading = parsePackerManifest(text, "all");
    expect(reading.problems).toEqual([]);
    expect(Object.fromEntries(reading.idsByRegion)).toEqual({
      "eu-central-1": ["ami-0a1b2c3d4e5f60718", "ami-0b2c3d4e5f6071829"],
      "eu-west-1": ["ami-01234567890abcdef", "ami-0123456789abcdef0"],
      "us-east-1": ["ami-0fedcba9876543210", "ami-0edcba98765432100"],
    });
  });

  it("approves only the last run's builds when asked", () => {
    expect(Object.fromEntries(parsePackerManifest(text, "last-run").idsByRegion)).toEqual({
      "eu-central-1": ["ami-0b2c3d4e5f6071829"],
      "eu-west-1": ["ami-0123456789abcdef0"],
      "us-east-1": ["ami-0edcba98765432100"],
    });
  });

  it("names each malformed entry by its place in the file", () => {
    const manifest = JSON.parse(text);
    manifest.builds.push(
      { name: "docker", builder_type: "docker", artifact_id: "sha256:abc", packer_run_uuid: "x" },
      { name: "golden", artifact_id: "eu-west-9:ami-0123456789abcdef0,us-east-1:ami-XYZ" },
      { name: "no id" },
    );
    expect(parsePackerManifest(JSON.stringify(manifest)).problems).toEqual([
      "builds[4].artifact_id: is required",
    ]);
    manifest.builds.pop();
    const reading = parsePackerManifest(JSON.stringify(manifest));
    expect(reading.problems).toEqual([
      'builds[3].artifact_id: "eu-west-9" is not an AWS region',
      'builds[3].artifact_id: "ami-XYZ" is not an AMI id',
    ]);
    // Another builder's artifact in the same file is skipped, and the warning names the build
    expect(reading.warnings).toEqual([
      'builds[2] "docker" (builder_type "docker"): artifact "sha256:abc" is not an AMI; skipped',
    ]);
  });

  it("refuses last-run without last_run_uuid, and a file that is not JSON", () => {
    expect(parsePackerManifest('{"builds":[]}', "last-run").problems).toEqual([
      'last_run_uuid: is required to read only the last run (builds: "last-run")',
    ]);
    expect(parsePackerManifest("{").problems[0]).toMatch(/^\(the whole file\): is not valid JSON/);
  });

  it("gives each stack its region's ids, read relative to the configuration file", () => {
    const configDir = path.join(folder, "relative");
    mkdirSync(path.join(configDir, "images"), { recursive: true });
    writeFileSync(path.join(configDir, "images", "manifest.json"), text);
    const configFile = path.join(configDir, "ami-guard.json");
    writeFileSync(
      configFile,
      JSON.stringify({
        approvedAmiFiles: [{ format: "packer-manifest", path: "images/manifest.json", builds: "last-run" }],
        targetGroups: [{ accountIds: [DOC_ACCOUNT], regions: ["eu-west-1", "us-east-1"] }],
      }),
    );
    const config = loadConfig({ AMI_GUARD_CONFIG: configFile }, REPO_ROOT);
    expect(config.targets.map((t) => [t.region, t.approvedAmiIds])).toEqual([
      ["eu-west-1", ["ami-0123456789abcdef0"]],
      ["us-east-1", ["ami-0edcba98765432100"]],
    ]);
  });

  it("names the configuration entry and the file when the file is missing or malformed, all at once", () => {
    const broken = writeFile("broken/manifest.json", { builds: [{ artifact_id: "eu-west-1:ami-1" }] });
    const problems = problemsOf({
      approvedAmiIds: [APPROVED_AMI],
      approvedAmiFiles: [{ format: "packer-manifest", path: "nowhere/manifest.json" }],
      targets: [
        {
          accountId: DOC_ACCOUNT,
          region: "eu-west-1",
          approvedAmiFiles: [{ format: "packer-manifest", path: broken }],
        },
      ],
    });
    expect(problems).toEqual([
      `approvedAmiFiles[0] (${path.join(folder, "nowhere", "manifest.json")}): cannot be read: ENOENT`,
      `targets[0].approvedAmiFiles[0] (${path.join(folder, broken)}): builds[0].artifact_id: "ami-1" is not an AMI id`,
    ]);
  });
});

describe("a region map file", () => {
  it("reads { region: [ids] } and names each bad entry", () => {
    expect(Object.fromEntries(parseRegionMap(`{"eu-west-1":["${EU}"]}`).idsByRegion)).toEqual({
      "eu-west-1": [EU],
    });
    expect(
      parseRegionMap('{"mars-1":["ami-12345678"],"eu-west-1":[],"us-east-1":["ami-12345678",3]}').problems,
    ).toEqual([
      "mars-1: is not an AWS region",
      "eu-west-1: must be a non-empty list of AMI ids",
      "us-east-1[1]: 3 is not an AMI id",
    ]);
    expect(parseRegionMap("[]").problems).toEqual([
      '(the whole file): must be an object such as { "eu-west-1": ["ami-…"] }',
    ]);
  });
});

describe("examples/four-regions.json", () => {
  let outdir: string;
  afterAll(() => {
    if (outdir) rmSync(path.dirname(outdir), { recursive: true, force: true });
  });

  it("synthesizes one rule per stack holding its own region's ids, from the manifest, a region map and a target's own list", async () => {
    // Given the example configuration for four regions
    const config = loadConfig({ AMI_GUARD_CONFIG: "examples/four-regions.json" }, REPO_ROOT);
    // When it is synthesized
    outdir = path.join(mkdtempSync(path.join(tmpdir(), "ami-guard-four-regions-")), "cdktf.out");
    const synth = await synthesizeAtomically(config, outdir);
    // Then each stack's rule parameters name exactly its region's ids
    const parameters = Object.fromEntries(
      synth.stackNames.map((name) => {
        const stack = JSON.parse(readFileSync(path.join(outdir, "stacks", name, "cdk.tf.json"), "utf8"));
        const [rule] = Object.values(stack.resource.aws_config_config_rule) as { input_parameters: string }[];
        return [name, JSON.parse(rule?.input_parameters ?? "{}").amiIds];
      }),
    );
    expect(parameters).toEqual({
      "ami-guard-444455556666-eu-west-1": "ami-0e5f60718293a4b5c",
      "ami-guard-111122223333-eu-central-1": "ami-0a1b2c3d4e5f60718,ami-0b2c3d4e5f6071829",
      "ami-guard-111122223333-eu-west-1": "ami-01234567890abcdef,ami-0123456789abcdef0",
      "ami-guard-111122223333-us-east-1": "ami-0fedcba9876543210,ami-0edcba98765432100",
      "ami-guard-222233334444-eu-central-1": "ami-0a1b2c3d4e5f60718,ami-0b2c3d4e5f6071829",
      "ami-guard-222233334444-eu-west-1": "ami-01234567890abcdef,ami-0123456789abcdef0",
      "ami-guard-222233334444-us-east-1": "ami-0fedcba9876543210,ami-0edcba98765432100",
      "ami-guard-333344445555-ap-southeast-2": "ami-0c3d4e5f607182930,ami-0d4e5f60718293a4b",
    });
  });
});
