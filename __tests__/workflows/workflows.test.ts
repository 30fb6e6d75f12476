import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { COMMENT_MARKER } from "../../.github/scripts/plan-comment";
import type { WorkflowProblems } from "./lint-workflows";

const ROOT = path.resolve(__dirname, "../..");
const WORKFLOWS_DIR = path.join(ROOT, ".github/workflows");
const WORKFLOW_FILES = readdirSync(WORKFLOWS_DIR)
  .filter((file) => /\.ya?ml$/.test(file))
  .sort();

interface Step {
  readonly uses?: string;
  readonly run?: string;
  readonly with?: Record<string, unknown>;
}
interface Job {
  readonly permissions?: Record<string, string>;
  readonly environment?: string;
  readonly concurrency?: { group?: string; "cancel-in-progress"?: boolean };
  readonly needs?: string | string[];
  readonly steps: Step[];
}
interface Workflow {
  readonly on: Record<string, unknown>;
  readonly permissions?: Record<string, string>;
  readonly jobs: Record<string, Job>;
}

/** A GitHub Actions expression as the workflow spells it, built so it never reads as a JS placeholder. */
function ghExpression(inner: string): string {
  return `$\{{ ${inner} }}`;
}

function readWorkflow(file: string): string {
  return readFileSync(path.join(WORKFLOWS_DIR, file), "utf8");
}

function parsedWorkflow(file: string): Workflow {
  return parse(readWorkflow(file)) as Workflow;
}

/**
 * Runs GitHub's workflow parser (see lint-workflows.ts) over files in one child process. A missing tsx or
 * parser fails the test with the tool's name rather than passing silently.
 */
function lintWorkflowFiles(files: readonly string[]): WorkflowProblems[] {
  const tsx = path.join(ROOT, "node_modules/tsx/dist/cli.mjs");
  if (!existsSync(tsx)) throw new Error(`tsx is not installed (${tsx}); run npm ci`);
  const result = spawnSync(process.execPath, [tsx, path.join(__dirname, "lint-workflows.ts"), ...files], {
    cwd: ROOT,
    encoding: "utf8",
  });
  if (result.status !== 0) {
    throw new Error(
      `the workflow linter (@actions/workflow-parser via tsx) could not run:\n${result.stderr}`,
    );
  }
  return JSON.parse(result.stdout) as WorkflowProblems[];
}

/** Copies of the real workflows, each with one mistake a person could make, and what the linter must say. */
const BROKEN_VARIANTS: readonly {
  name: string;
  from: string;
  replace: string;
  by: string;
  expect: RegExp;
}[] = [
  {
    name: "a misspelt permission level",
    from: "pull-request.yml",
    replace: "id-token: write",
    by: "id-token: writ",
    expect: /Unexpected value 'writ'/,
  },
  {
    name: "an unknown context in an expression",
    from: "deploy.yml",
    replace: ghExpression("matrix.stack"),
    by: ghExpression("matrx.stack"),
    expect: /Unrecognized named-value: 'matrx'/,
  },
  {
    name: "a concurrency flag that is not a boolean",
    from: "deploy.yml",
    replace: "cancel-in-progress: false",
    by: "cancel-in-progress: maybe",
    expect: /Unexpected value 'maybe'/,
  },
  {
    name: "a step that both runs and uses",
    from: "pull-request.yml",
    replace: "      - run: npm test",
    by: "      - run: npm test\n        uses: actions/checkout@v4",
    expect: /Unexpected value 'uses'/,
  },
  {
    name: "an unknown trigger",
    from: "pull-request.yml",
    replace: "  pull_request:\n",
    by: "  pull_requests:\n",
    expect: /Unexpected value 'pull_requests'/,
  },
];

describe("GitHub Actions workflows for users", () => {
  let results: Map<string, WorkflowProblems>;

  beforeAll(() => {
    const scratch = mkdtempSync(path.join(tmpdir(), "ami-guard-workflows-"));
    const files = WORKFLOW_FILES.map((file) => path.join(WORKFLOWS_DIR, file));
    for (const [index, variant] of BROKEN_VARIANTS.entries()) {
      const original = readWorkflow(variant.from);
      if (!original.includes(variant.replace)) {
        throw new Error(
          `${variant.from} no longer contains ${JSON.stringify(variant.replace)}; update the variant`,
        );
      }
      const file = path.join(scratch, `broken-${index}.yml`);
      writeFileSync(file, original.replace(variant.replace, variant.by));
      files.push(file);
    }
    results = new Map(lintWorkflowFiles(files).map((result) => [result.file, result]));
  });

  it("ships the pull-request and deploy workflows", () => {
    expect(WORKFLOW_FILES).toEqual(["deploy.yml", "pull-request.yml"]);
  });

  it.each(WORKFLOW_FILES)("%s passes GitHub's workflow parser", (file) => {
    expect(results.get(path.join(WORKFLOWS_DIR, file))?.errors).toEqual([]);
  });

  it.each(BROKEN_VARIANTS.map((variant, index) => [variant.name, index, variant.expect] as const))(
    "the parser rejects %s",
    (_name, index, expected) => {
      const errors = [...results.entries()].find(([file]) => file.endsWith(`broken-${index}.yml`))?.[1]
        .errors;
      expect(errors?.length).toBeGreaterThan(0);
      expect(errors?.join("\n")).toMatch(expected);
    },
  );
});

describe("workflow policy", () => {
  const workflows = WORKFLOW_FILES.map((file) => [file, parsedWorkflow(file)] as const);
  const jobs = workflows.flatMap(([file, workflow]) =>
    Object.entries(workflow.jobs).map(([id, job]) => ({ file, id, job })),
  );

  it.each(WORKFLOW_FILES)(
    "%s pins every action to a full commit SHA, with the version as a comment",
    (file) => {
      const uses = readWorkflow(file)
        .split("\n")
        .filter((line) => /^\s*(?:-\s+)?uses:/.test(line));
      expect(uses.length).toBeGreaterThan(0);
      for (const line of uses) {
        expect(line).toMatch(/uses: [\w.-]+\/[\w./-]+@[0-9a-f]{40} # v\d+(?:\.\d+)*$/);
      }
    },
  );

  it.each(WORKFLOW_FILES)("%s grants only read access to contents by default", (file) => {
    expect(parsedWorkflow(file).permissions).toEqual({ contents: "read" });
  });

  it("every job spells out its permissions", () => {
    for (const { file, id, job } of jobs) {
      expect([`${file}:${id}`, job.permissions]).toEqual([`${file}:${id}`, expect.any(Object)]);
    }
  });

  it("only jobs that assume an AWS role may request an OIDC token, and each of those does", () => {
    for (const { file, id, job } of jobs) {
      const assumesRole = job.steps.some((step) =>
        step.uses?.startsWith("aws-actions/configure-aws-credentials@"),
      );
      expect([`${file}:${id}`, job.permissions?.["id-token"]]).toEqual([
        `${file}:${id}`,
        assumesRole ? "write" : undefined,
      ]);
      if (assumesRole) {
        const credentials = job.steps.find((step) =>
          step.uses?.startsWith("aws-actions/configure-aws-credentials@"),
        );
        expect(credentials?.with?.["role-to-assume"]).toMatch(/^\$\{\{ vars\.AMI_GUARD_\w+_ROLE_ARN \}\}$/);
        expect(credentials?.with).not.toHaveProperty("aws-access-key-id");
      }
    }
  });

  it("only the plan job may write to pull requests", () => {
    const writers = jobs.filter(({ job }) => job.permissions?.["pull-requests"] === "write");
    expect(writers.map(({ file, id }) => `${file}:${id}`)).toEqual(["pull-request.yml:plan"]);
  });

  describe("pull-request.yml", () => {
    const workflow = parsedWorkflow("pull-request.yml");
    const runs = (id: string) => workflow.jobs[id]?.steps.map((step) => step.run ?? "") ?? [];

    it("installs with npm ci, tests and synthesizes", () => {
      expect(runs("test")).toEqual(expect.arrayContaining(["npm ci", "npm test", "npm run synth"]));
    });

    it("plans every synthesized stack after the tests pass and summarizes them", () => {
      expect(workflow.jobs.plan?.needs).toBe("test");
      const planScript = runs("plan").find((run) => run.includes("terraform -chdir"));
      expect(planScript).toContain("for dir in cdktf.out/stacks/*/");
      expect(planScript).toContain("show -json tfplan");
      expect(planScript).toContain("npx tsx .github/scripts/plan-comment.ts");
    });

    it("updates one comment, found by the marker the comment script writes", () => {
      const comment = workflow.jobs.plan?.steps.find((step) =>
        step.uses?.startsWith("actions/github-script@"),
      );
      const script = String(comment?.with?.script);
      expect(script).toContain(`const marker = "${COMMENT_MARKER}"`);
      expect(script).toContain("updateComment");
      expect(script).toContain("createComment");
    });
  });

  describe("deploy.yml", () => {
    const workflow = parsedWorkflow("deploy.yml");
    const deploy = workflow.jobs.deploy;

    it("runs on pushes to main", () => {
      expect(workflow.on.push).toEqual({ branches: ["main"] });
    });

    it("deploys each changed stack with cdktf in its own job", () => {
      expect(deploy?.needs).toBe("changes");
      expect(deploy?.steps.map((step) => step.run ?? "")).toContainEqual(
        expect.stringMatching(/^npx cdktf deploy "\$STACK" --auto-approve/),
      );
    });

    it("runs the preflight for the stack before cdktf deploy, so a block stops the job", () => {
      const runs = deploy?.steps.map((step) => step.run ?? "") ?? [];
      const preflight = runs.findIndex((run) => /^npm run preflight -- "\$STACK"$/.test(run));
      const apply = runs.findIndex((run) => run.startsWith("npx cdktf deploy"));
      expect(preflight).toBeGreaterThanOrEqual(0);
      expect(preflight).toBeLessThan(apply);
      const credentials = deploy?.steps.findIndex((step) =>
        step.uses?.startsWith("aws-actions/configure-aws-credentials"),
      );
      expect(credentials).toBeLessThan(preflight);
    });

    it("never runs two deploys of one stack at once, and never cancels a running apply", () => {
      expect(deploy?.concurrency).toEqual({
        group: `ami-guard-deploy-${ghExpression("matrix.stack")}`,
        "cancel-in-progress": false,
      });
    });

    it("deploys in the GitHub environment named after the stack, where reviewers gate production", () => {
      expect(deploy?.environment).toBe(ghExpression("matrix.stack"));
    });
  });

  it("the scripts the workflows call exist", () => {
    const text = WORKFLOW_FILES.map(readWorkflow).join("\n");
    const scripts = [...text.matchAll(/\.github\/scripts\/[\w-]+\.ts/g)].map((match) => match[0]);
    expect(scripts.length).toBeGreaterThan(0);
    for (const script of scripts)
      expect([script, existsSync(path.join(ROOT, script))]).toEqual([script, true]);
    const npmScripts = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")).scripts as Record<
      string,
      string
    >;
    for (const [, name] of text.matchAll(/npm run ([\w:-]+)/g)) {
      expect([name, npmScripts[name as string] !== undefined]).toEqual([name, true]);
    }
  });
});
