import { spawnSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { parse } from "yaml";

/**
 * Runs a workflow's own `run:` scripts on this machine, as the runner would: the text comes from the YAML
 * (so a change to the workflow is what runs), bash runs it in a workspace of its own, and GITHUB_OUTPUT is
 * a file read back afterwards. The shard-steps test and `npx tsx tools/ci/rehearse.ts` use it; the only
 * thing they change is the variable each workflow provides for that purpose (PLAN_AGAINST, DEPLOY_AGAINST
 * = "offline": no AWS here).
 */

export const REPO_ROOT = path.resolve(__dirname, "..", "..");

interface WorkflowStep {
  readonly name?: string;
  readonly id?: string;
  readonly run?: string;
  readonly uses?: string;
}

/** The `run:` text of the step named `name` (or with that id, or an unnamed step whose text it is). */
export function stepScript(workflowFile: string, job: string, name: string): string {
  const workflow = parse(
    readFileSync(path.join(REPO_ROOT, ".github", "workflows", workflowFile), "utf8"),
  ) as {
    jobs: Record<string, { steps?: WorkflowStep[] }>;
  };
  const step = workflow.jobs[job]?.steps?.find(
    (candidate) => candidate.name === name || candidate.id === name || candidate.run?.trim() === name,
  );
  if (!step?.run) throw new Error(`${workflowFile}: job ${job} has no run step named "${name}"`);
  return step.run;
}

/** Project files a step may use; everything it writes lands in the workspace, never in the clone. */
const LINKED = [
  "package.json",
  "node_modules",
  "tsconfig.json",
  "cdktf.json",
  "main.ts",
  "index.ts",
  "app",
  "lib",
  "handler",
  "tools",
  "scripts",
  ".github",
];

/**
 * A folder that looks like a checkout (each project entry a link to the clone), so `npm run plan` and the
 * scripts run from it and write cdktf.out, plans and progress there. Remove it with `rmSync(…, {recursive})`.
 */
export function checkoutWorkspace(prefix: string): string {
  const workspace = mkdtempSync(path.join(tmpdir(), `ami-guard-${prefix}-`));
  for (const entry of LINKED) {
    const source = path.join(REPO_ROOT, entry);
    if (existsSync(source)) symlinkSync(source, path.join(workspace, entry));
  }
  return workspace;
}

export interface StepRun {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
  /** What the step wrote to GITHUB_OUTPUT, as name → value. */
  readonly outputs: Readonly<Record<string, string>>;
  readonly wallMs: number;
}

/** Runs one step's script with bash -e (GitHub's default shell for run steps) in the workspace. */
export function runStep(script: string, options: { cwd: string; env: NodeJS.ProcessEnv }): StepRun {
  const outputFile = path.join(options.cwd, `.github-output-${process.pid}-${Date.now()}`);
  writeFileSync(outputFile, "");
  const start = process.hrtime.bigint();
  const result = spawnSync("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", script], {
    cwd: options.cwd,
    env: { ...options.env, GITHUB_OUTPUT: outputFile },
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
  });
  const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.error) throw new Error(`bash could not run: ${result.error.message}`);
  const outputs = Object.fromEntries(
    readFileSync(outputFile, "utf8")
      .split("\n")
      .filter((line) => line.includes("="))
      .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
  );
  rmSync(outputFile, { force: true });
  return { status: result.status ?? 1, stdout: result.stdout, stderr: result.stderr, outputs, wallMs };
}

/**
 * What upload-artifact then download-artifact (with a pattern) do between jobs: each job's files land in
 * a folder named after its artifact under `into`.
 */
export function passArtifact(files: readonly string[], into: string, artifactName: string): void {
  const target = path.join(into, artifactName);
  mkdirSync(target, { recursive: true });
  for (const file of files) cpSync(file, path.join(target, path.basename(file)));
}

/** Files directly in `dir` whose names end with `suffix`. */
export function filesEnding(dir: string, suffix: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => name.endsWith(suffix))
    .map((name) => path.join(dir, name));
}
