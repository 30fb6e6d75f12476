import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { doneStacks, readProgress, recordDone } from "../../app/deploy-progress";
import { planWaves, runWaves, type StepResult, type Wave } from "../../app/waves";

const STACKS = Array.from({ length: 30 }, (_, i) => `ami-guard-${String(100_000_000_000 + i)}-eu-west-1`);
const CANARY = [STACKS[17] as string, STACKS[3] as string];

/**
 * A deploy step that records every call and fails the stacks named, as a real apply would. A failure
 * comes back a turn sooner than a success, so which stacks were already running when it did is fixed.
 */
function fakeDeploy(failing: ReadonlySet<string> = new Set()) {
  const calls: string[] = [];
  const deploy = async (stack: string): Promise<StepResult> => {
    calls.push(stack);
    if (failing.has(stack)) return { ok: false, reason: "Error: creating Config rule: AccessDenied" };
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    return { ok: true };
  };
  return { calls, deploy };
}

function memoryRecord() {
  const done = new Set<string>();
  return { done, record: (stack: string) => void done.add(stack) };
}

const passPreflight = async (): Promise<StepResult> => ({ ok: true });

describe("planWaves", () => {
  it("puts the canary first, then waves that double, the last taking the rest", () => {
    const waves = planWaves(STACKS, { canary: CANARY, firstWaveSize: 2, growthFactor: 2, maxWaves: 5 });
    expect(waves.map((wave) => wave.name)).toEqual(["canary", "wave 1", "wave 2", "wave 3", "wave 4"]);
    expect(waves.map((wave) => wave.stacks.length)).toEqual([2, 2, 4, 8, 14]);
    expect(waves[0]?.stacks).toEqual([...CANARY].sort());
    // a partition of the stacks, in any input order
    expect(waves.flatMap((wave) => wave.stacks).sort()).toEqual([...STACKS].sort());
    expect(planWaves([...STACKS].reverse(), { canary: CANARY, firstWaveSize: 2, maxWaves: 5 })).toEqual(
      waves,
    );
  });

  it("starts with the first wave when no canary stack changed, and never makes an empty wave", () => {
    const waves = planWaves(STACKS.slice(0, 3), { canary: CANARY.slice(0, 1), firstWaveSize: 4 });
    expect(waves).toEqual([{ index: 0, name: "wave 0", stacks: STACKS.slice(0, 3) }]);
    expect(planWaves([], { canary: CANARY })).toEqual([]);
  });

  it("2,000 stacks with the defaults: a canary of 2 and 7 waves, within the 8 wave jobs", () => {
    const org = Array.from({ length: 2_000 }, (_, i) => `ami-guard-${String(200_000_000_000 + i)}-us-east-1`);
    const waves = planWaves(org, { canary: org.slice(0, 2) });
    expect(waves.map((wave) => wave.stacks.length)).toEqual([2, 4, 8, 16, 32, 64, 128, 1746]);
  });
});

describe("runWaves with a fake deploy step", () => {
  const waves: Wave[] = planWaves(STACKS, { canary: CANARY, firstWaveSize: 2, growthFactor: 2, maxWaves: 5 });

  it("deploys everything, wave by wave, canary first, with a preflight before each wave", async () => {
    const { calls, deploy } = fakeDeploy();
    const progress = memoryRecord();
    const preflights: string[] = [];
    const outcome = await runWaves({
      waves,
      done: new Set(),
      deploy,
      record: progress.record,
      preflight: async (wave) => {
        preflights.push(wave.name);
        return { ok: true };
      },
      concurrency: 3,
    });
    expect(outcome.status).toBe("complete");
    expect(calls.slice(0, 2).sort()).toEqual([...CANARY].sort());
    expect(preflights).toEqual(["canary", "wave 1", "wave 2", "wave 3", "wave 4"]);
    expect([...progress.done].sort()).toEqual([...STACKS].sort());
  });

  it("stops at the first failed stack, says what was done, and a rerun resumes without redeploying", async () => {
    // Given the third stack of wave 3 fails
    const failing = waves[3]?.stacks[2] as string;
    const first = fakeDeploy(new Set([failing]));
    const progress = memoryRecord();
    const stopped = await runWaves({
      waves,
      done: new Set(),
      deploy: first.deploy,
      record: progress.record,
      preflight: passPreflight,
    });
    // Then the run stops there: later stacks of that wave and every later wave are not started
    expect(stopped.status).toBe("stopped");
    expect(stopped.failures).toEqual([
      { wave: 3, step: "deploy", stack: failing, reason: "Error: creating Config rule: AccessDenied" },
    ]);
    const upToFailure = waves.slice(0, 3).flatMap((wave) => wave.stacks).length + 2;
    expect(stopped.deployed).toHaveLength(upToFailure);
    expect(first.calls).toHaveLength(upToFailure + 1);
    expect(first.calls).not.toContain(waves[4]?.stacks[0]);
    expect(stopped.notStarted).toEqual([...(waves[3]?.stacks.slice(3) ?? []), ...(waves[4]?.stacks ?? [])]);
    expect([...progress.done].sort()).toEqual([...stopped.deployed].sort());

    // When the cause is fixed and the deploy runs again with the progress record
    const second = fakeDeploy();
    const resumed = await runWaves({
      waves,
      done: progress.done,
      deploy: second.deploy,
      record: progress.record,
      preflight: passPreflight,
    });
    // Then it deploys only what was left, starting with the stack that failed
    expect(resumed.status).toBe("complete");
    expect(second.calls[0]).toBe(failing);
    expect(second.calls).toHaveLength(STACKS.length - upToFailure);
    expect(resumed.alreadyDone).toHaveLength(upToFailure);
    expect(second.calls.some((stack) => stopped.deployed.includes(stack))).toBe(false);
  });

  it("with stacks deploying side by side, none starts after a failure, and those running finish and are recorded", async () => {
    const wave: Wave = { index: 1, name: "wave 1", stacks: STACKS.slice(0, 10) };
    const failing = STACKS[1] as string;
    const { calls, deploy } = fakeDeploy(new Set([failing]));
    const progress = memoryRecord();
    const outcome = await runWaves({
      waves: [wave],
      done: new Set(),
      deploy,
      record: progress.record,
      preflight: passPreflight,
      concurrency: 3,
    });
    expect(outcome.status).toBe("stopped");
    // three started together; the failure stops the fourth from starting
    expect(calls).toEqual(STACKS.slice(0, 3));
    expect([...outcome.deployed].sort()).toEqual([STACKS[0], STACKS[2]].sort());
    expect(outcome.notStarted).toEqual(STACKS.slice(3, 10));
  });

  it("a preflight that blocks a wave deploys nothing of it", async () => {
    const { calls, deploy } = fakeDeploy();
    const outcome = await runWaves({
      waves,
      done: new Set(),
      deploy,
      record: () => undefined,
      preflight: async (wave) => (wave.index === 1 ? { ok: false, reason: "quota" } : { ok: true }),
    });
    expect(outcome.failures).toEqual([{ wave: 1, step: "preflight", reason: "quota" }]);
    expect(calls).toEqual(waves[0]?.stacks);
  });
});

describe("the progress record", () => {
  it("counts a stack done only at the digest that was deployed", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "ami-guard-progress-"));
    try {
      const [a, b] = STACKS as [string, string];
      recordDone(path.join(dir, "wave1", "one.progress.jsonl"), a, "digest-a1");
      recordDone(path.join(dir, "two.progress.jsonl"), b, "digest-b1");
      const progress = readProgress(dir);
      expect(doneStacks(progress, { [a]: "digest-a1", [b]: "digest-b2" })).toEqual(new Set([a]));
      writeFileSync(path.join(dir, "bad.progress.jsonl"), "not json\n");
      expect(() => readProgress(dir)).toThrow(/bad\.progress\.jsonl:1: not a progress record/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
