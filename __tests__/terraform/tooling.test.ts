import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { stackNameFor } from "../../app/ami-guard-stack";
import { loadConfig } from "../../app/config/load";
import { MIRROR_VARIABLE, resolveProviderInstallation } from "../../tools/terraform/provider-mirror";
import { terraformTimeout } from "../support/timeouts";
import {
  configOf,
  planWorkspace,
  REPO_ROOT,
  scratchFolder,
  synthesizeInScratch,
  type Workspace,
} from "./support";

const TSX = path.join(REPO_ROOT, "node_modules", ".bin", "tsx");
const PLAN_SCRIPT = path.join(REPO_ROOT, "scripts", "plan.ts");

/** A PATH holding node and nothing else, so the script runs but no terraform can be found. */
function pathWithoutTerraform(): string {
  const bin = scratchFolder("node-only-bin");
  symlinkSync(process.execPath, path.join(bin, "node"));
  return bin;
}

function environmentWithout(...names: string[]): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of names) delete env[name];
  return env;
}

/** Runs `scripts/plan.ts` in its own process, with every output folder outside the repository. */
function runPlanScript(env: NodeJS.ProcessEnv, args: readonly string[] = []) {
  const out = scratchFolder("plan-cli");
  const result = spawnSync(
    process.execPath,
    [
      TSX,
      PLAN_SCRIPT,
      "--plans-dir",
      path.join(out, "plans"),
      "--scratch-dir",
      path.join(out, "scratch"),
      ...args,
    ],
    { cwd: REPO_ROOT, env: { ...env, CDKTF_OUTDIR: path.join(out, "cdktf.out") }, encoding: "utf8" },
  );
  return { ...result, plansDir: path.join(out, "plans") };
}

describe("the Terraform tooling checks", () => {
  let workspace: Workspace;

  beforeAll(async () => {
    workspace = await synthesizeInScratch(
      configOf({
        remediation: { mode: "audit" },
        targets: [{ accountId: "123412341234", region: "eu-north-1", recorder: "existing" }],
      }),
      "tooling",
    );
  });

  it("names the terraform binary when it is not on PATH", async () => {
    const env = { ...process.env, PATH: scratchFolder("empty-path") };
    await expect(planWorkspace(workspace, { env })).rejects.toThrow(
      /the "terraform" binary was not found on PATH/,
    );
  });

  it("names the binary TERRAFORM_BINARY_NAME asks for when that one is missing", async () => {
    const env = { ...process.env, TERRAFORM_BINARY_NAME: "tofu-not-installed" };
    await expect(planWorkspace(workspace, { env })).rejects.toThrow(
      /"tofu-not-installed" binary was not found/,
    );
  });

  it("names the mirror path when the mirror does not exist", async () => {
    const missing = path.join(scratchFolder("mirror"), "no-such-mirror");
    const env = { ...process.env, [MIRROR_VARIABLE]: missing };
    await expect(planWorkspace(workspace, { env })).rejects.toThrow(`${missing}, which does not exist`);
  });

  it("names the mirror path when the mirror holds no hashicorp/aws", async () => {
    const mirror = scratchFolder("mirror-without-aws");
    mkdirSync(path.join(mirror, "registry.terraform.io", "hashicorp", "null"), { recursive: true });
    const env = { ...process.env, [MIRROR_VARIABLE]: mirror };
    await expect(planWorkspace(workspace, { env })).rejects.toThrow(
      `${mirror}, which holds no registry.terraform.io/hashicorp/aws`,
    );
  });

  it("falls back to the default mirror and says so in one line when the variable is unset", () => {
    const mirror = scratchFolder("default-mirror");
    mkdirSync(path.join(mirror, "registry.terraform.io", "hashicorp", "aws"), { recursive: true });
    const installation = resolveProviderInstallation(environmentWithout(MIRROR_VARIABLE), {
      defaultMirror: mirror,
    });
    expect(installation.mirror).toBe(mirror);
    expect(installation.note).toBe(
      `Providers come from the mirror at ${mirror} (${MIRROR_VARIABLE} is unset).`,
    );
  });

  it("leaves provider installation to Terraform when no mirror is named or found", () => {
    const installation = resolveProviderInstallation(environmentWithout(MIRROR_VARIABLE), {
      defaultMirror: scratchFolder("no-default-mirror"),
    });
    expect(installation.mirror).toBeUndefined();
    expect(installation.note).toContain("Terraform downloads providers from the registry");
  });

  it(
    "reports a stack Terraform rejects with the step and Terraform's error, and still plans the others",
    async () => {
      // Given two stacks, one of which has a configuration terraform validate refuses
      const twoStacks = await synthesizeInScratch(
        configOf({
          remediation: { mode: "audit" },
          targets: [
            { accountId: "123412341234", region: "eu-north-1", recorder: "existing" },
            { accountId: "123412341234", region: "eu-south-1", recorder: "existing" },
          ],
        }),
        "broken-stack",
      );
      const broken = stackNameFor({ accountId: "123412341234", region: "eu-south-1" });
      writeFileSync(
        path.join(twoStacks.synth.outdir, "stacks", broken, "broken.tf.json"),
        JSON.stringify({ resource: { aws_sns_topic: { broken: { no_such_argument: true } } } }),
      );
      // When both are planned
      const run = await planWorkspace(twoStacks);
      // Then the broken one fails in validate with Terraform's message, and the other one is planned
      const failure = run.results.find((result) => result.stackName === broken);
      expect(failure).toMatchObject({ ok: false, step: "validate" });
      expect(failure?.ok === false && failure.output).toContain(
        'No argument or block type is named "no_such_argument"',
      );
      expect(run.results.filter((result) => result.ok).map((result) => result.stackName)).toEqual([
        stackNameFor({ accountId: "123412341234", region: "eu-north-1" }),
      ]);
    },
    terraformTimeout(2),
  );
});

describe("npm run plan (scripts/plan.ts)", () => {
  it(
    "plans the default configuration: one Plan line per stack, a total, and the four files per stack",
    () => {
      // The npm wrapper adds only the script lookup; this is the command package.json runs
      expect(require(path.join(REPO_ROOT, "package.json")).scripts.plan).toBe("tsx scripts/plan.ts");
      const env = environmentWithout("AMI_GUARD_CONFIG");
      const expectedStacks = loadConfig(env, REPO_ROOT).targets.map(stackNameFor);

      const result = runPlanScript(env);

      expect(result.stderr).toBe("");
      expect(result.status).toBe(0);
      const planLines = result.stdout.split("\n").filter((line) => / Plan: /.test(line));
      expect(planLines.map((line) => line.split(":")[0]).sort()).toEqual([...expectedStacks].sort());
      for (const line of planLines)
        expect(line).toMatch(/^[\w-]+: Plan: [1-9]\d* to add, 0 to change, 0 to destroy\.$/);
      expect(result.stdout).toMatch(
        new RegExp(
          `^Total: ${expectedStacks.length} of ${expectedStacks.length} stack\\(s\\) planned, \\d+ to add, 0 to change, 0 to destroy\\.`,
          "m",
        ),
      );
      expect(readdirSync(result.plansDir).sort()).toEqual(
        expectedStacks
          .flatMap((stack) => [
            `${stack}.plan.json`,
            `${stack}.plan.md`,
            `${stack}.plan.txt`,
            `${stack}.summary.json`,
          ])
          .sort(),
      );
      // One synthesis and every default stack planned, in a child process.
    },
    terraformTimeout(2),
  );

  it("exits non-zero with a message naming terraform when it is not on PATH", () => {
    const result = runPlanScript({ ...process.env, PATH: pathWithoutTerraform() });
    expect(result.stderr).toContain('the "terraform" binary was not found on PATH');
    expect(result.status).toBe(1);
  });

  it("refuses an unknown --stack and a bad --concurrency before planning anything", () => {
    const unknown = runPlanScript(process.env, ["--stack", "ami-guard-000000000000-eu-west-1"]);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain("--stack ami-guard-000000000000-eu-west-1: no such stack");
    const badConcurrency = runPlanScript(process.env, ["--concurrency", "0"]);
    expect(badConcurrency.status).toBe(1);
    expect(badConcurrency.stderr).toContain('--concurrency must be a whole number ≥ 1, got "0"');
  });
});
