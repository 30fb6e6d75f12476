import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import {
  checkoutWorkspace,
  filesEnding,
  passArtifact,
  runStep,
  type StepRun,
  stepScript,
} from "../../tools/ci/workflow-steps";

/**
 * Each workflow's shard and aggregate steps, run here from the workflow files' own text, against offline
 * plans: what differs from GitHub is only PLAN_AGAINST/DEPLOY_AGAINST=offline, each job getting a fresh
 * workspace instead of a runner, and artifacts copied between them instead of uploaded. The base
 * synthesis uses `npm run synth` with the base configuration, where the workflow checks the base commit out.
 */

const APPROVED = ["ami-0abcdef1234567890"];
const GROUP = { regions: ["eu-west-1", "us-east-1"], mode: "audit", recorder: "existing" };
function config(secondList: readonly string[]) {
  return {
    approvedAmiIds: APPROVED,
    targetGroups: [
      { ...GROUP, accountIds: ["111111111111"] },
      { ...GROUP, accountIds: ["222222222222"], approvedAmiIds: secondList },
    ],
    deployment: { canary: [{ accountId: "222222222222", region: "us-east-1" }] },
    // As CI needs it (docs/cli.md); offline plans put a local backend in their scratch copies.
    backend: { type: "s3", bucket: "ami-guard-state-example", region: "eu-west-1" },
  };
}
const CHANGED = ["ami-guard-222222222222-eu-west-1", "ami-guard-222222222222-us-east-1"];

function expectSuccess(run: StepRun): StepRun {
  if (run.status !== 0) throw new Error(`step failed (${run.status}):\n${run.stdout}\n${run.stderr}`);
  return run;
}

describe("the workflows' shard and aggregate steps, run locally against offline plans", () => {
  const workspaces: string[] = [];
  const workspace = (prefix: string) => {
    const dir = checkoutWorkspace(prefix);
    workspaces.push(dir);
    return dir;
  };
  let store: string;
  let env: NodeJS.ProcessEnv;
  let compare: StepRun;
  const shardRuns: StepRun[] = [];
  let aggregate: StepRun;
  let comment: string;

  beforeAll(() => {
    store = workspace("artifacts");
    const headConfig = path.join(store, "head.json");
    const baseConfig = path.join(store, "base.json");
    writeFileSync(headConfig, JSON.stringify(config(["ami-0fedcba9876543210"])));
    writeFileSync(baseConfig, JSON.stringify(config(APPROVED)));
    env = { ...process.env, AMI_GUARD_CONFIG: headConfig, STACKS_PER_SHARD: "1" };

    // Given the changes job: the head and base syntheses, then its Compare step
    const changes = workspace("changes");
    const runnerTemp = path.join(changes, "runner-temp");
    const synth = stepScript("pull-request.yml", "test", "npm run synth").trim();
    expect(synth).toBe("npm run synth");
    expectSuccess(runStep(synth, { cwd: changes, env: { ...env, CDKTF_OUTDIR: `${runnerTemp}/head` } }));
    expectSuccess(
      runStep(synth, {
        cwd: changes,
        env: { ...env, AMI_GUARD_CONFIG: baseConfig, CDKTF_OUTDIR: `${runnerTemp}/base` },
      }),
    );
    compare = expectSuccess(
      runStep(stepScript("pull-request.yml", "changes", "compare"), {
        cwd: changes,
        env: { ...env, RUNNER_TEMP: runnerTemp },
      }),
    );
    cpSync(path.join(changes, "changed-stacks.json"), path.join(store, "changed-stacks.json"));

    // When every shard of the matrix runs the plan step in a job of its own
    const matrix = JSON.parse(compare.outputs.matrix as string) as { shard: string[] };
    for (const [index, shard] of matrix.shard.entries()) {
      const job = workspace(`plan-${index}`);
      cpSync(path.join(store, "changed-stacks.json"), path.join(job, "changed-stacks.json"));
      const run = runStep(stepScript("pull-request.yml", "plan", "Plan this shard's changed stacks"), {
        cwd: job,
        env: { ...env, SHARD: shard, PLAN_AGAINST: "offline" },
      });
      shardRuns.push(expectSuccess(run));
      passArtifact(
        filesEnding(path.join(job, "plans"), ".summary.json"),
        path.join(store, "summaries"),
        `plan-summaries-${index}`,
      );
    }

    // And the comment job aggregates what the shards uploaded
    const commentJob = workspace("comment");
    cpSync(path.join(store, "changed-stacks.json"), path.join(commentJob, "changed-stacks.json"));
    cpSync(path.join(store, "summaries"), path.join(commentJob, "summaries"), { recursive: true });
    aggregate = expectSuccess(
      runStep(stepScript("pull-request.yml", "comment", "aggregate"), { cwd: commentJob, env }),
    );
    comment = readFileSync(path.join(commentJob, "comment.md"), "utf8");
  }, 900_000);

  afterAll(() => {
    for (const dir of workspaces) rmSync(dir, { recursive: true, force: true });
  });

  it("pull-request.yml: the compare step finds the two stacks whose list changed and sizes the matrix by them", () => {
    expect(compare.outputs.count).toBe("2");
    expect(compare.outputs.every).toBe("false");
    expect(JSON.parse(compare.outputs.matrix as string)).toEqual({ shard: ["1/2", "2/2"] });
  });

  it("pull-request.yml: the shards plan each changed stack exactly once, and nothing else", () => {
    const planned = shardRuns.flatMap((run) =>
      run.stdout
        .split("\n")
        .filter((line) => / Plan: /.test(line))
        .map((line) => line.split(":")[0]),
    );
    expect(planned.sort()).toEqual(CHANGED);
    for (const run of shardRuns) expect(run.stdout).toMatch(/^Shard \d\/2: \d of 2 stack\(s\)\.$/m);
  });

  it("pull-request.yml: the aggregate step writes one comment with the count, the totals and no failure", () => {
    // (No state exists offline, so each changed stack plans to create; list changes in plans against a
    // state are covered in __tests__/scale/plan-aggregate.test.ts.)
    expect(aggregate.outputs.failed).toBe("0");
    expect(comment).toContain("**2 of 4 stacks changed** against the base; only those were planned.");
    expect(comment).toMatch(/\*\*Total:\*\* 2 stacks planned: \d+ to add, 0 to change, 0 to destroy/);
    for (const stack of CHANGED) expect(comment).toContain(`### \`${stack}\``);
    expect(comment).not.toContain("ami-guard-111111111111");
  });

  describe("deploy.yml", () => {
    let waves: StepRun;
    const waveRuns: { wave: number; run: StepRun }[] = [];
    let report: StepRun;
    let rerun: StepRun;

    const runWaveShard = (wave: number, shard: string, attempt: number) => {
      const job = workspace(`wave-${wave}`);
      cpSync(path.join(store, "changed-stacks.json"), path.join(job, "changed-stacks.json"));
      cpSync(path.join(store, "progress"), path.join(job, "deploy-progress"), { recursive: true });
      const run = runStep(
        stepScript("deploy-wave.yml", "deploy", "Preflight and deploy this shard of the wave"),
        {
          cwd: job,
          env: { ...env, WAVE: String(wave), SHARD: shard, DEPLOY_AGAINST: "offline" },
        },
      );
      passArtifact(
        filesEnding(path.join(job, "deploy-progress"), ".progress.jsonl"),
        path.join(store, "progress"),
        `deploy-progress-wave${wave}-${shard.replace("/", "of")}-attempt${attempt}`,
      );
      return run;
    };

    beforeAll(() => {
      mkdirSync(path.join(store, "progress"), { recursive: true });
      const changes = workspace("deploy-changes");
      cpSync(path.join(store, "changed-stacks.json"), path.join(changes, "changed-stacks.json"));
      waves = expectSuccess(runStep(stepScript("deploy.yml", "changes", "waves"), { cwd: changes, env }));
      for (let wave = 0; wave < 8; wave++) {
        if (waves.outputs[`size${wave}`] === "0") continue;
        const matrix = JSON.parse(waves.outputs[`matrix${wave}`] as string) as { shard: string[] };
        for (const shard of matrix.shard)
          waveRuns.push({ wave, run: expectSuccess(runWaveShard(wave, shard, 1)) });
      }
      const reportJob = workspace("report");
      cpSync(path.join(store, "changed-stacks.json"), path.join(reportJob, "changed-stacks.json"));
      cpSync(path.join(store, "progress"), path.join(reportJob, "deploy-progress"), { recursive: true });
      report = runStep(stepScript("deploy.yml", "report", "Report progress"), { cwd: reportJob, env });
      rerun = runWaveShard(1, "1/1", 2);
    }, 900_000);

    it("plans the canary alone first, then a wave with the other changed stack", () => {
      expect([0, 1, 2].map((k) => waves.outputs[`size${k}`])).toEqual(["1", "1", "0"]);
      expect(waves.outputs.matrix0).toBe('{"shard":["1/1"]}');
      expect(waves.outputs.matrix7).toBe('{"shard":[]}');
      expect(waveRuns.map(({ wave }) => wave)).toEqual([0, 1]);
      expect(waveRuns[0]?.run.stdout).toContain("deploying ami-guard-222222222222-us-east-1");
      expect(waveRuns[1]?.run.stdout).toContain("deploying ami-guard-222222222222-eu-west-1");
    });

    it("each wave shard records what it deployed, and the report finds every changed stack done", () => {
      expect(report.stdout).toContain("Every one of 2 changed stack(s) is deployed.");
      expect(report.status).toBe(0);
    });

    it("a re-run of a wave skips what its progress says is done", () => {
      expect(rerun.status).toBe(0);
      expect(rerun.stdout).toContain(
        "Deploy complete: 0 stack(s) deployed, 1 already done by an earlier run.",
      );
      expect(rerun.stdout).not.toContain("deploying ");
    });
  });
});
