import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { parseConfig } from "../../app/config/load";
import { buildLambdaBundle } from "../../app/lambda-bundle";
import { synthesizeAtomically } from "../../app/synth";
import { runSynthCommand } from "../../app/synth-command";
import { rawConfig } from "../support/configs";

const repoRoot = path.resolve(__dirname, "..", "..");
const tsx = path.join(repoRoot, "node_modules", ".bin", "tsx");

function scratch(prefix: string): string {
  return mkdtempSync(path.join(tmpdir(), `ami-guard-${prefix}-`));
}

function configFile(config: unknown): string {
  const file = path.join(scratch("app"), "config.json");
  writeFileSync(file, typeof config === "string" ? config : JSON.stringify(config));
  return file;
}

/** The app as main.ts runs it, in this process: its exit code and what it printed. */
async function runApp(config: unknown, outdir: string) {
  let stdout = "";
  let stderr = "";
  const status = await runSynthCommand(
    { ...process.env, AMI_GUARD_CONFIG: configFile(config), CDKTF_OUTDIR: outdir },
    { out: (text) => (stdout += text), err: (text) => (stderr += text) },
  );
  return { status, stdout, stderr };
}

describe("the app (main.ts)", () => {
  it("writes one stack per target, named by account and region", async () => {
    const outdir = path.join(scratch("out"), "cdktf.out");
    const result = await runApp(
      rawConfig({ targetGroups: [{ accountIds: ["444455556666"], regions: ["us-east-1", "eu-west-1"] }] }),
      outdir,
    );
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.stdout).toContain(`Synthesized 3 stack(s) into ${outdir}`);
    expect(readdirSync(path.join(outdir, "stacks")).sort()).toEqual([
      "ami-guard-111122223333-eu-central-1",
      "ami-guard-444455556666-eu-west-1",
      "ami-guard-444455556666-us-east-1",
    ]);
    expect(existsSync(path.join(outdir, "stacks", "ami-guard-444455556666-us-east-1", "cdk.tf.json"))).toBe(
      true,
    );
  });

  it("in its own process, refuses a bad configuration with every problem, exit 1, and removes stale output", () => {
    // Given a folder holding an earlier, valid synthesis
    const outdir = path.join(scratch("out"), "cdktf.out");
    mkdirSync(path.join(outdir, "stacks", "ami-guard-111122223333-eu-central-1"), { recursive: true });
    writeFileSync(path.join(outdir, "manifest.json"), "{}");
    // When `npm run synth`'s command runs on a configuration with three problems (one real process: the
    // exit code a CI step sees)
    const config = rawConfig({
      approvedAmiIds: ["ami-nothex!"],
      targets: [{ accountId: "12", region: "eu-central-1", mode: "x" }],
    });
    const result = spawnSync(tsx, [path.join(repoRoot, "main.ts")], {
      cwd: repoRoot,
      env: { ...process.env, AMI_GUARD_CONFIG: configFile(config), CDKTF_OUTDIR: outdir },
      encoding: "utf8",
    });
    // Then it names each by field, exits non-zero and leaves no output to be planned by mistake
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("3 problems in the ami-guard configuration");
    expect(result.stderr).toContain("approvedAmiIds[0]: must be");
    expect(result.stderr).toContain("targets[0].accountId: must be a 12-digit AWS account id");
    expect(result.stderr).toContain(
      'targets[0].mode: must be one of "audit", "manual", "automatic", "event-driven"',
    );
    expect(result.stderr).toContain("Nothing was synthesized.");
    expect(existsSync(outdir)).toBe(false);
  });

  it("refuses a file that is not JSON the same way", async () => {
    const outdir = path.join(scratch("out"), "cdktf.out");
    mkdirSync(path.join(outdir, "stacks"), { recursive: true });
    const result = await runApp("{ not json", outdir);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/is not valid JSON/);
    expect(result.stderr).toContain("Nothing was synthesized.");
    expect(existsSync(outdir)).toBe(false);
  });
});

describe("synthesizeAtomically", () => {
  it("leaves neither output nor a partial folder behind when synthesis fails midway", async () => {
    // Given an earlier synthesis in the output folder
    const parent = scratch("atomic");
    const outdir = path.join(parent, "cdktf.out");
    await synthesizeAtomically(parseConfig(rawConfig({ remediation: { mode: "audit" } })), outdir);
    expect(existsSync(path.join(outdir, "manifest.json"))).toBe(true);
    // When a later synthesis throws (a target whose stack cannot be built)
    const broken = { ...parseConfig(rawConfig({ remediation: { mode: "audit" } })) };
    Object.assign(broken, { targets: [{ ...broken.targets[0], region: undefined }] });
    await expect(synthesizeAtomically(broken, outdir)).rejects.toThrow();
    // Then nothing is left to plan: no stale output and no half-written folder
    expect(readdirSync(parent)).toEqual([]);
  });
});

describe("synthesizeAtomically's output folder", () => {
  it("may sit in a folder that does not exist yet", async () => {
    const outdir = path.join(scratch("nested"), "does", "not", "exist", "cdktf.out");
    const result = await synthesizeAtomically(
      parseConfig(rawConfig({ remediation: { mode: "audit" } })),
      outdir,
    );
    expect(
      existsSync(path.join(result.outdir, "stacks", "ami-guard-111122223333-eu-central-1", "cdk.tf.json")),
    ).toBe(true);
  });
});

describe("local state", () => {
  it("lives outside the synthesized output, so a new synthesis keeps it", async () => {
    // Given a synthesized stack with the local backend and the state an apply wrote where it points
    const project = scratch("project");
    const outdir = path.join(project, "cdktf.out");
    const config = parseConfig(rawConfig({ remediation: { mode: "audit" } }));
    await synthesizeAtomically(config, outdir, project);
    const stackDir = path.join(outdir, "stacks", "ami-guard-111122223333-eu-central-1");
    const backend = JSON.parse(readFileSync(path.join(stackDir, "cdk.tf.json"), "utf8")).terraform.backend
      .local;
    const stateFile = path.resolve(stackDir, backend.path);
    writeFileSync(stateFile, '{"version":4}');
    // When the app synthesizes again
    await synthesizeAtomically(config, outdir, project);
    // Then the state is still there, in the project folder, named after the stack, by a relative path
    expect(stateFile).toBe(path.join(project, "terraform.ami-guard-111122223333-eu-central-1.tfstate"));
    expect(backend.path).toBe("../../../terraform.ami-guard-111122223333-eu-central-1.tfstate");
    expect(readFileSync(stateFile, "utf8")).toBe('{"version":4}');
  });
});

describe("the Lambda bundle", () => {
  it("is byte-identical across two builds of the same sources", async () => {
    // No cache: this is about esbuild and the zip writer being deterministic.
    const first = await buildLambdaBundle({ outdir: scratch("zip-a"), cacheDir: false });
    const second = await buildLambdaBundle({ outdir: scratch("zip-b"), cacheDir: false });
    expect(readFileSync(second.zipPath).equals(readFileSync(first.zipPath))).toBe(true);
    expect(second.sourceCodeHash).toBe(first.sourceCodeHash);
  });

  it("differs when the handler source differs", async () => {
    const folder = scratch("handler");
    const entry = path.join(folder, "index.ts");
    writeFileSync(entry, 'export const handler = async () => "a";\n');
    const first = await buildLambdaBundle({ entry, outdir: scratch("zip-c"), cacheDir: false });
    writeFileSync(entry, 'export const handler = async () => "b";\n');
    const second = await buildLambdaBundle({ entry, outdir: scratch("zip-d"), cacheDir: false });
    expect(second.sourceCodeHash).not.toBe(first.sourceCodeHash);
  });

  it("ships in the synthesized stacks exactly as built, under the hash the function declares", async () => {
    const outdir = path.join(scratch("assets"), "cdktf.out");
    const result = await synthesizeAtomically(parseConfig(rawConfig()), outdir);
    const stackDir = path.join(outdir, "stacks", "ami-guard-111122223333-eu-central-1");
    const stack = JSON.parse(readFileSync(path.join(stackDir, "cdk.tf.json"), "utf8"));
    const fn = Object.values(stack.resource.aws_lambda_function)[0] as {
      filename: string;
      source_code_hash: string;
    };
    const shipped = readFileSync(path.join(stackDir, fn.filename));
    expect(fn.source_code_hash).toBe(result.bundle?.sourceCodeHash);
    expect(require("node:crypto").createHash("sha256").update(shipped).digest("base64")).toBe(
      fn.source_code_hash,
    );
  });
});
