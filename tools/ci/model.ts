import { parseArgs } from "node:util";
import { shardCountFor, shardSizes } from "../../app/shards";
import { planWaves } from "../../app/waves";

/**
 * `npx tsx tools/ci/model.ts [--stacks 2000] [--per-stack S] …`: the wall-time model of docs/scale.md for
 * a list change that touches every stack, from the per-stack plan time `npm run bench plan` measures and
 * the assumptions the flags name; tools/ci/rehearse.ts checks its shape on 30 stacks. It uses the real shard and wave code, so the largest shard (bounded
 * loads keep it within 110 % of the average, not at it) and the wave sizes are the ones the workflows would get.
 */
const { values } = parseArgs({
  options: {
    stacks: { type: "string", default: "2000" },
    "stacks-per-shard": { type: "string", default: "10" },
    "plan-max-shards": { type: "string", default: "64" },
    "deploy-max-shards": { type: "string", default: "20" },
    // Seconds per stack of an offline plan, one at a time: `npm run bench plan` gives 10 stacks in 40.3 s
    // at concurrency 2 on two cores (README), so 8 s each, two at a time.
    "per-stack": { type: "string", default: "8" },
    // Seconds a runner takes before the first command: checkout, npm ci, setup-terraform (assumed).
    "runner-setup": { type: "string", default: "90" },
    // Seconds to synthesize every stack; 60 is the target for 2,000 (assumed until measured there).
    synth: { type: "string", default: "60" },
    // Extra seconds per stack a real plan spends refreshing state against AWS (assumed).
    refresh: { type: "string", default: "5" },
    // Seconds per stack for a real apply of a list change (an in-place update of one rule; assumed).
    apply: { type: "string", default: "30" },
    canary: { type: "string", default: "2" },
  },
});
const num = (name: keyof typeof values) => Number(values[name]);
const stackCount = num("stacks");
const stacks = Array.from(
  { length: stackCount },
  (_, i) =>
    `ami-guard-${String(210_000_000_000 + Math.floor(i / 4) * 1111)}-${["eu-central-1", "eu-west-1", "us-east-1", "us-west-2"][i % 4]}`,
);

function largestShard(names: readonly string[], count: number): number {
  return Math.max(...shardSizes(names, count));
}

const fixed = num("runner-setup") + num("synth");
const perPlan = (num("per-stack") + num("refresh")) / 2; // two stacks at a time on two cores
const planShards = shardCountFor(stackCount, {
  stacksPerShard: num("stacks-per-shard"),
  maxShards: num("plan-max-shards"),
});
const planLargest = largestShard(stacks, planShards);
const planWall = fixed + planLargest * perPlan;

const lines = [
  "| Phase | Jobs | Stacks in the largest job | Wall (s) |",
  "| --- | ---: | ---: | ---: |",
  `| changes: setup, synthesize head and base, compare | 1 | ${stackCount} | ${(num("runner-setup") + 2 * num("synth")).toFixed(0)} |`,
  `| plan: ${planShards} shards side by side | ${planShards} | ${planLargest} | ${planWall.toFixed(0)} |`,
  `| comment: setup, aggregate | 1 | ${stackCount} | ${(num("runner-setup") + 5).toFixed(0)} |`,
];
const prTotal = num("runner-setup") + 2 * num("synth") + planWall + num("runner-setup") + 5;
lines.push(`| **pull request, in all** | | | **${prTotal.toFixed(0)}** |`);

const waves = planWaves(stacks, { canary: stacks.slice(0, num("canary")) });
let deployTotal = num("runner-setup") + 2 * num("synth");
for (const wave of waves) {
  const count = shardCountFor(wave.stacks.length, {
    stacksPerShard: num("stacks-per-shard"),
    maxShards: num("deploy-max-shards"),
  });
  const largest = largestShard(wave.stacks, count);
  // npm run deploy applies two stacks at a time by default (--concurrency 2).
  const wall = fixed + largest * (num("apply") / 2);
  deployTotal += wall;
  lines.push(`| deploy ${wave.name} | ${count} | ${largest} | ${wall.toFixed(0)} |`);
}
lines.push(`| **deploy, in all (waves one after another)** | | | **${deployTotal.toFixed(0)}** |`);
process.stdout.write(
  `Model for ${stackCount} stacks (per-stack plan ${values["per-stack"]} s + refresh ${values.refresh} s, two at a time; setup ${values["runner-setup"]} s; synthesis ${values.synth} s; apply ${values.apply} s per stack, two at a time)\n\n${lines.join("\n")}\n`,
);
