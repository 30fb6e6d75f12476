import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { COMMENT_MARKER } from "../../.github/scripts/plan-comment";
import { ghExpression, ROOT, readWorkflow, WORKFLOW_FILES } from "./workflow-files";

interface Step {
  readonly uses?: string;
  readonly run?: string;
  readonly with?: Record<string, unknown>;
}
interface Job {
  readonly name?: string;
  readonly if?: string;
  readonly permissions?: Record<string, string>;
  readonly environment?: string;
  readonly concurrency?: { group?: string; "cancel-in-progress"?: boolean };
  readonly needs?: string | string[];
  readonly strategy?: { "fail-fast"?: boolean; "max-parallel"?: number; matrix?: unknown };
  /** A reusable workflow the job calls instead of running steps. */
  readonly uses?: string;
  readonly with?: Record<string, unknown>;
  readonly env?: Record<string, string>;
  readonly steps?: Step[];
}
interface Workflow {
  readonly on: Record<string, unknown>;
  readonly permissions?: Record<string, string>;
  readonly concurrency?: { group?: string; "cancel-in-progress"?: boolean };
  readonly jobs: Record<string, Job>;
}

function parsedWorkflow(file: string): Workflow {
  return parse(readWorkflow(file)) as Workflow;
}

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
        .filter((line) => /^\s*(?:-\s+)?uses:/.test(line))
        // A workflow of this repository is pinned by the commit that runs it.
        .filter((line) => !/uses: \.\/\.github\/workflows\/[\w-]+\.yml$/.test(line));
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

  /** A job's steps, or for a job that calls a local reusable workflow, the steps of every job there. */
  const stepsOf = (job: Job): Step[] =>
    job.steps ??
    (job.uses?.startsWith("./.github/workflows/")
      ? Object.values(parsedWorkflow(path.basename(job.uses)).jobs).flatMap((called) => called.steps ?? [])
      : []);

  it("only jobs that assume an AWS role may request an OIDC token, and each of those does", () => {
    for (const { file, id, job } of jobs) {
      const assumesRole = stepsOf(job).some((step) =>
        step.uses?.startsWith("aws-actions/configure-aws-credentials@"),
      );
      expect([`${file}:${id}`, job.permissions?.["id-token"]]).toEqual([
        `${file}:${id}`,
        assumesRole ? "write" : undefined,
      ]);
      if (assumesRole) {
        const credentials = stepsOf(job).find((step) =>
          step.uses?.startsWith("aws-actions/configure-aws-credentials@"),
        );
        expect(credentials?.with?.["role-to-assume"]).toMatch(/^\$\{\{ vars\.AMI_GUARD_\w+_ROLE_ARN \}\}$/);
        expect(credentials?.with).not.toHaveProperty("aws-access-key-id");
      }
    }
  });

  it("only the comment job may write to pull requests", () => {
    const writers = jobs.filter(({ job }) => job.permissions?.["pull-requests"] === "write");
    expect(writers.map(({ file, id }) => `${file}:${id}`)).toEqual(["pull-request.yml:comment"]);
  });

  it.each(WORKFLOW_FILES)("%s runs Node.js 22 wherever it sets Node up", (file) => {
    const versions = jobs
      .filter((entry) => entry.file === file)
      .flatMap(({ job }) => job.steps ?? [])
      .filter((step) => step.uses?.startsWith("actions/setup-node@"))
      .map((step) => step.with?.["node-version"]);
    expect(versions.length).toBeGreaterThan(0);
    expect(new Set(versions)).toEqual(new Set([22]));
  });

  it("no matrix is computed with more shards than its job's max-parallel, so every shard starts at once", () => {
    const pr = parsedWorkflow("pull-request.yml");
    const compare = pr.jobs.changes?.steps?.find((step) => step.run?.includes("changed-stacks.ts"))?.run;
    expect(compare).toContain(`--max-shards ${pr.jobs.plan?.strategy?.["max-parallel"]}`);
    const waves = parsedWorkflow("deploy.yml").jobs.changes?.steps?.find((step) =>
      step.run?.includes("--plan-waves"),
    )?.run;
    expect(waves).toContain(
      `--max-shards ${parsedWorkflow("deploy-wave.yml").jobs.deploy?.strategy?.["max-parallel"]}`,
    );
  });

  it("every matrix comes from a computed shard list, never cancels its siblings, and caps parallel jobs", () => {
    const matrixJobs = jobs.filter(({ job }) => job.strategy?.matrix !== undefined);
    expect(matrixJobs.map(({ file, id }) => `${file}:${id}`).sort()).toEqual([
      "deploy-wave.yml:deploy",
      "pull-request.yml:plan",
    ]);
    for (const { job } of matrixJobs) {
      expect(String(job.strategy?.matrix)).toMatch(
        /^\$\{\{ fromJSON\((needs\.changes\.outputs\.matrix|inputs\.matrix)\) \}\}$/,
      );
      expect(job.strategy?.["fail-fast"]).toBe(false);
      expect(job.strategy?.["max-parallel"]).toEqual(expect.any(Number));
    }
  });

  describe("pull-request.yml", () => {
    const workflow = parsedWorkflow("pull-request.yml");
    const runs = (id: string) => workflow.jobs[id]?.steps?.map((step) => step.run ?? "") ?? [];

    it("installs with npm ci, tests and synthesizes", () => {
      expect(runs("test")).toEqual(expect.arrayContaining(["npm ci", "npm test", "npm run synth"]));
    });

    it("compares the pull request's synthesis with its base's, after the tests pass", () => {
      expect(workflow.jobs.changes?.needs).toBe("test");
      const compare = runs("changes").find((run) => run.includes("changed-stacks.ts"));
      expect(compare).toContain(
        '--head "$RUNNER_TEMP/head" --base "$RUNNER_TEMP/base" --write changed-stacks.json --stacks-per-shard "$STACKS_PER_SHARD" --max-shards 64',
      );
      expect(workflow.jobs.changes?.steps?.find((step) => step.run?.includes("worktree add"))).toBeDefined();
    });

    it("plans only the changed stacks, one shard per matrix job, against the real backends", () => {
      const plan = workflow.jobs.plan;
      expect(plan?.needs).toBe("changes");
      expect(plan?.if).toBe("needs.changes.outputs.count != '0'");
      expect(plan?.env?.PLAN_AGAINST).toBe("backend");
      expect(runs("plan")).toContain(
        'npm run plan -- --shard "$SHARD" --stacks-file changed-stacks.json --against "$PLAN_AGAINST" --plans-dir plans',
      );
    });

    it("aggregates every shard's summaries into one comment, also when a shard failed", () => {
      const comment = workflow.jobs.comment;
      expect(comment?.needs).toEqual(["changes", "plan"]);
      expect(comment?.if).toBe("always() && needs.changes.result == 'success'");
      expect(runs("comment")).toContainEqual(
        expect.stringMatching(/^npx tsx \.github\/scripts\/plan-comment\.ts --summaries-dir summaries/),
      );
    });

    it("updates one comment, found by the marker the comment script writes", () => {
      const comment = workflow.jobs.comment?.steps?.find((step) =>
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
    const waveWorkflow = parsedWorkflow("deploy-wave.yml");
    const waveJob = waveWorkflow.jobs.deploy;
    const waveRuns = waveJob?.steps?.map((step) => step.run ?? "") ?? [];

    it("runs on pushes to main, one run at a time, never cancelling a running apply", () => {
      expect(workflow.on.push).toEqual({ branches: ["main"] });
      expect(workflow.concurrency).toEqual({ group: "ami-guard-deploy", "cancel-in-progress": false });
    });

    it("chains eight wave jobs, each starting only after the one before succeeded", () => {
      for (let k = 0; k < 8; k++) {
        const wave = workflow.jobs[`wave${k}`];
        expect(wave?.uses).toBe("./.github/workflows/deploy-wave.yml");
        expect(wave?.needs).toEqual(k === 0 ? "changes" : ["changes", `wave${k - 1}`]);
        expect(wave?.if).toBe(`needs.changes.outputs.size${k} != '0'`);
        expect(wave?.with).toEqual({ wave: k, matrix: ghExpression(`needs.changes.outputs.matrix${k}`) });
      }
      expect(workflow.jobs.wave8).toBeUndefined();
    });

    it("plans the waves from the changed stacks in the changes job", () => {
      const runs = workflow.jobs.changes?.steps?.map((step) => step.run ?? "") ?? [];
      expect(runs).toContain(
        'npm run deploy -- --plan-waves --stacks-file changed-stacks.json --stacks-per-shard "$STACKS_PER_SHARD" --max-shards 20',
      );
    });

    it("each wave shard preflights and deploys its stacks, resuming from the progress of earlier attempts", () => {
      expect(waveRuns).toContain(
        'npm run deploy -- --wave "$WAVE" --shard "$SHARD" --stacks-file changed-stacks.json --progress-dir deploy-progress --against "$DEPLOY_AGAINST" --auto-approve',
      );
      expect(waveJob?.env?.DEPLOY_AGAINST).toBe("backend");
      const steps = waveJob?.steps ?? [];
      const download = steps.findIndex((step) => step.with?.pattern === "deploy-progress-*");
      const credentials = steps.findIndex((step) =>
        step.uses?.startsWith("aws-actions/configure-aws-credentials"),
      );
      const deploy = steps.findIndex((step) => step.run?.startsWith("npm run deploy"));
      expect(download).toBeGreaterThanOrEqual(0);
      expect(download).toBeLessThan(deploy);
      expect(credentials).toBeLessThan(deploy);
      const upload = steps.find((step) => String(step.with?.name).startsWith("deploy-progress-"));
      expect(upload?.with?.name).toContain(ghExpression("github.run_attempt"));
    });

    it("deploys each wave in the GitHub environment named after it, where reviewers gate it", () => {
      expect(waveJob?.environment).toBe(`ami-guard-wave-${ghExpression("inputs.wave")}`);
    });

    it("reports what is deployed and what is left, also after a failed wave", () => {
      const report = workflow.jobs.report;
      expect(report?.needs).toEqual(["changes", ...Array.from({ length: 8 }, (_, k) => `wave${k}`)]);
      expect(report?.if).toContain("always()");
      expect(report?.steps?.map((step) => step.run ?? "")).toContain(
        "npm run deploy -- --report --stacks-file changed-stacks.json --progress-dir deploy-progress",
      );
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
