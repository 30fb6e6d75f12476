import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { parseConfig } from "../../app/config/load";
import { buildLambdaBundle } from "../../app/lambda-bundle";
import { synthesizeAtomically } from "../../app/synth";
import { runSynthCommand } from "../../app/synth-command";
import { rawConfig } from "../support/configs";
import { configFile, scratch } from "./support";

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
