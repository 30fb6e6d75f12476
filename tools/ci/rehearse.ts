import { cpSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import {
  checkoutWorkspace,
  filesEnding,
  passArtifact,
  runStep,
  type StepRun,
  stepScript,
} from "./workflow-steps";

/**
 * `npx tsx tools/ci/rehearse.ts --config examples/organization-30-stacks.json [--deploy]`: a list change
 * (the base lacks the last approved AMI id, so every stack changes) through the workflows' own steps on
 * this machine, one job after another, against offline plans, timing each. docs/scale.md checks its model
 * of a 2,000-stack run against these figures.
 *
 * The jobs run one after another here (two cores), where GitHub runs the shards side by side: the
 * wall time of the plan phase on GitHub is the slowest shard, which is what the table reports.
 */

interface Phase {
  readonly name: string;
  readonly wallMs: number;
  readonly note: string;
}

function checked(name: string, run: StepRun): StepRun {
  if (run.status !== 0) throw new Error(`${name} failed (${run.status}):\n${run.stdout}\n${run.stderr}`);
  return run;
}

const planLines = (run: StepRun) => run.stdout.split("\n").filter((line) => / Plan: /.test(line)).length;

function main(): void {
  const { values } = parseArgs({
    options: {
      config: { type: "string", default: "examples/organization-30-stacks.json" },
      "stacks-per-shard": { type: "string", default: "10" },
      deploy: { type: "boolean", default: false },
    },
  });
  const phases: Phase[] = [];
  // Each row also goes to stderr as it is measured, so a long run shows its progress.
  const record = (phase: Phase) => {
    phases.push(phase);
    process.stderr.write(`${phase.name}: ${(phase.wallMs / 1000).toFixed(1)} s ${phase.note}\n`);
  };
  const workspaces: string[] = [];
  const workspace = (prefix: string) => {
    const dir = checkoutWorkspace(`rehearse-${prefix}`);
    workspaces.push(dir);
    return dir;
  };
  try {
    const store = workspace("artifacts");
    const head = JSON.parse(readFileSync(path.resolve(values.config), "utf8")) as {
      approvedAmiIds: string[];
    };
    const headConfig = path.join(store, "head.json");
    const baseConfig = path.join(store, "base.json");
    writeFileSync(headConfig, JSON.stringify({ ...head, $schema: undefined }));
    writeFileSync(
      baseConfig,
      JSON.stringify({ ...head, $schema: undefined, approvedAmiIds: head.approvedAmiIds.slice(0, -1) }),
    );
    const env = {
      ...process.env,
      AMI_GUARD_CONFIG: headConfig,
      STACKS_PER_SHARD: values["stacks-per-shard"],
    };

    const changes = workspace("changes");
    const runnerTemp = path.join(changes, "runner-temp");
    const synth = stepScript("pull-request.yml", "test", "npm run synth");
    const headSynth = checked(
      "synth",
      runStep(synth, { cwd: changes, env: { ...env, CDKTF_OUTDIR: `${runnerTemp}/head` } }),
    );
    record({ name: "changes: synthesize the head", wallMs: headSynth.wallMs, note: "" });
    const baseSynth = checked(
      "base synth",
      runStep(synth, {
        cwd: changes,
        env: { ...env, AMI_GUARD_CONFIG: baseConfig, CDKTF_OUTDIR: `${runnerTemp}/base` },
      }),
    );
    record({ name: "changes: synthesize the base", wallMs: baseSynth.wallMs, note: "" });
    const compare = checked(
      "compare",
      runStep(stepScript("pull-request.yml", "changes", "compare"), {
        cwd: changes,
        env: { ...env, RUNNER_TEMP: runnerTemp },
      }),
    );
    record({
      name: "changes: compare",
      wallMs: compare.wallMs,
      note: `${compare.outputs.count} changed, every=${compare.outputs.every}, matrix ${compare.outputs.matrix}`,
    });
    cpSync(path.join(changes, "changed-stacks.json"), path.join(store, "changed-stacks.json"));

    // A shard with no stack: the fixed cost of a plan job (npm, synthesis, terraform's version check).
    const empty = workspace("plan-empty");
    writeFileSync(path.join(empty, "changed-stacks.json"), JSON.stringify({ changed: [] }));
    const fixed = checked(
      "empty shard",
      runStep(stepScript("pull-request.yml", "plan", "Plan this shard's changed stacks"), {
        cwd: empty,
        env: { ...env, SHARD: "1/1", PLAN_AGAINST: "offline" },
      }),
    );
    record({ name: "plan: a shard with no stack (fixed cost)", wallMs: fixed.wallMs, note: "" });

    const matrix = JSON.parse(compare.outputs.matrix as string) as { shard: string[] };
    let slowest = 0;
    for (const [index, shard] of matrix.shard.entries()) {
      const job = workspace(`plan-${index}`);
      cpSync(path.join(store, "changed-stacks.json"), path.join(job, "changed-stacks.json"));
      const run = checked(
        `shard ${shard}`,
        runStep(stepScript("pull-request.yml", "plan", "Plan this shard's changed stacks"), {
          cwd: job,
          env: { ...env, SHARD: shard, PLAN_AGAINST: "offline" },
        }),
      );
      const stacks = planLines(run);
      slowest = Math.max(slowest, run.wallMs);
      record({
        name: `plan: shard ${shard}`,
        wallMs: run.wallMs,
        note: `${stacks} stacks, ${((run.wallMs - fixed.wallMs) / 1000 / Math.max(1, stacks)).toFixed(2)} s per stack above the fixed cost`,
      });
      passArtifact(
        filesEnding(path.join(job, "plans"), ".summary.json"),
        path.join(store, "summaries"),
        `plan-summaries-${index}`,
      );
    }
    const commentJob = workspace("comment");
    cpSync(path.join(store, "changed-stacks.json"), path.join(commentJob, "changed-stacks.json"));
    cpSync(path.join(store, "summaries"), path.join(commentJob, "summaries"), { recursive: true });
    const aggregate = checked(
      "aggregate",
      runStep(stepScript("pull-request.yml", "comment", "aggregate"), { cwd: commentJob, env }),
    );
    const comment = readFileSync(path.join(commentJob, "comment.md"), "utf8");
    record({
      name: "comment: aggregate",
      wallMs: aggregate.wallMs,
      note: `${comment.length} characters, failed=${aggregate.outputs.failed}`,
    });

    if (values.deploy) {
      const deployChanges = workspace("deploy-changes");
      cpSync(path.join(store, "changed-stacks.json"), path.join(deployChanges, "changed-stacks.json"));
      const waves = checked(
        "waves",
        runStep(stepScript("deploy.yml", "changes", "waves"), { cwd: deployChanges, env }),
      );
      record({
        name: "deploy: plan the waves",
        wallMs: waves.wallMs,
        note: `${waves.outputs.waves} waves`,
      });
      for (let wave = 0; wave < 8; wave++) {
        const size = waves.outputs[`size${wave}`];
        if (size === "0") continue;
        const shards = (JSON.parse(waves.outputs[`matrix${wave}`] as string) as { shard: string[] }).shard;
        let waveWall = 0;
        for (const shard of shards) {
          const job = workspace(`wave-${wave}`);
          cpSync(path.join(store, "changed-stacks.json"), path.join(job, "changed-stacks.json"));
          const run = checked(
            `wave ${wave} shard ${shard}`,
            runStep(stepScript("deploy-wave.yml", "deploy", "Preflight and deploy this shard of the wave"), {
              cwd: job,
              env: { ...env, WAVE: String(wave), SHARD: shard, DEPLOY_AGAINST: "offline" },
            }),
          );
          waveWall = Math.max(waveWall, run.wallMs);
        }
        record({
          name: `deploy: wave ${wave} (slowest of ${shards.length} shard(s))`,
          wallMs: waveWall,
          note: `${size} stacks, offline plan per stack in place of an apply`,
        });
      }
    }

    const lines = ["| Phase | Wall (s) | Note |", "| --- | ---: | --- |"];
    for (const phase of phases)
      lines.push(`| ${phase.name} | ${(phase.wallMs / 1000).toFixed(1)} | ${phase.note} |`);
    lines.push(
      `| plan phase on GitHub (slowest shard) | ${(slowest / 1000).toFixed(1)} | shards run side by side there |`,
    );
    process.stdout.write(`${lines.join("\n")}\n`);
  } finally {
    for (const dir of workspaces) rmSync(dir, { recursive: true, force: true });
  }
}

main();
