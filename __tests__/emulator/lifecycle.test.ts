import { rmSync } from "node:fs";
import * as path from "node:path";
import {
  DeleteObjectCommand,
  ListBucketsCommand,
  ListObjectVersionsCommand,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { type OffboardResult, offboardStack } from "../../app/offboard";
import { AwsEmulator } from "../../tools/emulator/emulator";
import { changedResources, EmulatedStack, type TimedResult } from "../../tools/emulator/emulator-stack";
import { leftBehind, type RemainingResource, remainingResources } from "../../tools/emulator/inventory";
import { launchAndRemediate, terminateInstances, type Walkthrough } from "../../tools/emulator/walkthrough";
import {
  afterSettled,
  emptyPlan,
  releaseStackFile,
  scratchFolder,
  shippedRawConfig,
  succeeded,
  synthesize,
  Timings,
} from "./support";

/**
 * Every mode applied, planned again and taken down on the local emulator (docs/emulator.md), over a
 * lifetime: a weekly build approved, an upgrade from the previous release, the function stopping an
 * instance, offboarding with compliance history in the bucket.
 *
 * The stacks run at the same time, each in an account of its own on one moto, and each test awaits its
 * own stack's chain: the provider's own waits (SQS policy propagation, S3 lifecycle steadiness) overlap
 * instead of adding up. The chains are of similar length, so none waits for another: the audit stack is
 * offboarded keeping its history, the manual one deleting it, the automatic one takes the weekly build,
 * and the event-driven stack is the shipped configuration, applied first as the previous release
 * synthesized it and then as this code does, so its apply is the upgrade, and destroyed plainly at the
 * end. The automatic stack is not taken down: stopping the emulator discards it with everything else.
 */

const REGION = "eu-central-1";
const SHIPPED_ACCOUNT = "111122223333";
const APPROVED_AMI = "ami-0abcdef1234567890";
const WEEKLY_BUILD_AMI = "ami-0fedcba9876543210";
const MODE_ACCOUNTS = { audit: "111111111111", manual: "222222222222", automatic: "333333333333" } as const;
const STACK_OF = (accountId: string) => `ami-guard-${accountId}-${REGION}`;
/** No timing is asserted; a loaded machine only makes the run longer. */
const LONG = 30 * 60_000;

/**
 * What an upgrade from the previous release may replace or delete, each with its reason. Everything else
 * the plan shows must be a create or an in-place update; the Config rule is never replaced (a new rule
 * starts its compliance history from nothing).
 */
const INTENDED_UPGRADE_REPLACEMENTS: Readonly<Record<string, string>> = {};

interface ModeRun {
  readonly apply: Promise<TimedResult>;
  readonly plan: Promise<TimedResult>;
}

let emulator: AwsEmulator;
let root: string;
const timings = new Timings();
const stacks: Record<string, EmulatedStack> = {};
/** A stack applied, planned again, then offboarded with several versions of history in its bucket, twice. */
type OffboardedRun = ModeRun & {
  offboard: Promise<OffboardResult>;
  remaining: Promise<RemainingResource[]>;
  rerun: Promise<OffboardResult>;
};
let auditRun: OffboardedRun & { versionsKept: Promise<number> };
let manualRun: OffboardedRun;
let automaticRun: ModeRun & {
  weeklyPlan: Promise<Record<string, string>>;
  weeklyApply: Promise<TimedResult>;
  weeklyReplan: Promise<TimedResult>;
};
let eventDrivenRun: {
  releaseApply: Promise<TimedResult>;
  upgradePlan: Promise<Record<string, string>>;
  apply: Promise<TimedResult>;
  plan: Promise<TimedResult>;
  walkthrough: Promise<Walkthrough>;
  destroy: Promise<TimedResult>;
  remaining: Promise<RemainingResource[]>;
};

/** Every promise is awaited by a test; until then a rejection must not count as unhandled. */
function held<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

async function timed(stack: string, step: string, run: () => Promise<TimedResult>): Promise<TimedResult> {
  const result = await run();
  timings.add(stack, step, result);
  return result;
}

/** Runs `use` with a client of the emulator's S3 in the account, destroyed after, so no idle socket outlives it. */
async function withS3<T>(accountId: string, use: (s3: S3Client) => Promise<T>): Promise<T> {
  const s3 = new S3Client({
    endpoint: emulator.url,
    region: REGION,
    forcePathStyle: true,
    credentials: { accessKeyId: accountId, secretAccessKey: "emulator" },
  });
  try {
    return await use(s3);
  } finally {
    s3.destroy();
  }
}

/** Puts several versions of two snapshots and a delete marker in the stack's bucket, as Config would over days. */
async function fillHistoryBucket(
  accountId: string,
  options: { readonly deleteMarker: boolean },
): Promise<{ bucket: string; versions: number }> {
  const bucket = await withS3(accountId, async (s3) => {
    const name = (await s3.send(new ListBucketsCommand({}))).Buckets?.[0]?.Name;
    if (!name) throw new Error(`no bucket in ${accountId}`);
    const prefix = `AWSLogs/${accountId}/Config/${REGION}`;
    for (const day of [1, 2, 3]) {
      await s3.send(
        new PutObjectCommand({
          Bucket: name,
          Key: `${prefix}/ConfigSnapshot.json.gz`,
          Body: `snapshot of day ${day}`,
        }),
      );
    }
    await s3.send(
      new PutObjectCommand({ Bucket: name, Key: `${prefix}/ConfigHistory.json.gz`, Body: "history" }),
    );
    // moto 5.2.1 fails DeleteObjects on a key holding a delete marker (docs/emulator.md): the bucket that
    // force_destroy empties holds versions only.
    if (options.deleteMarker) {
      await s3.send(new DeleteObjectCommand({ Bucket: name, Key: `${prefix}/ConfigHistory.json.gz` }));
    }
    return name;
  });
  return { bucket, versions: await versionCount(accountId, bucket) };
}

function versionCount(accountId: string, bucket: string): Promise<number> {
  return withS3(accountId, async (s3) => {
    const listed = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket }));
    return (listed.Versions?.length ?? 0) + (listed.DeleteMarkers?.length ?? 0);
  });
}

function offboard(
  label: string,
  stack: EmulatedStack,
  deleteComplianceHistory: boolean,
): Promise<OffboardResult> {
  return offboardStack({
    dir: stack.dir,
    deleteComplianceHistory,
    terraform: async (args) => {
      const result = await stack.run(args);
      timings.add(label, `offboard: ${args.slice(0, 2).join(" ")}`, result);
      return result;
    },
  });
}

beforeAll(async () => {
  root = scratchFolder("lifecycle");
  emulator = await AwsEmulator.start({
    accountIds: [SHIPPED_ACCOUNT, ...Object.values(MODE_ACCOUNTS)],
  });
  // One synthesis for every stack: the shipped configuration with a target per other mode beside it.
  const shipped = shippedRawConfig();
  const targets = [
    ...(shipped.targets as unknown[]),
    ...Object.entries(MODE_ACCOUNTS).map(([mode, accountId]) => ({ accountId, region: REGION, mode })),
  ];
  const current = await synthesize({ ...shipped, targets }, root, "current");
  // The four working copies are initialized at once, while this process synthesizes the weekly build.
  const prepared = Promise.all(
    [SHIPPED_ACCOUNT, ...Object.values(MODE_ACCOUNTS)].map(async (accountId) => {
      stacks[accountId] = await EmulatedStack.prepare({
        synthDir: current.outdir,
        stackName: STACK_OF(accountId),
        accountId,
        // A folder each: every preparation writes its CLI configuration there while the others run init.
        workDir: path.join(root, "work", accountId),
        endpointUrl: emulator.url,
      });
    }),
  );
  // A week later: a new build approved for the automatic target.
  const weekly = await synthesize(
    {
      ...shipped,
      approvedAmiIds: [APPROVED_AMI, WEEKLY_BUILD_AMI],
      targets: [{ accountId: MODE_ACCOUNTS.automatic, region: REGION, mode: "automatic" }],
    },
    root,
    "weekly",
  );
  await prepared;
  const audit = stacks[MODE_ACCOUNTS.audit] as EmulatedStack;
  const manual = stacks[MODE_ACCOUNTS.manual] as EmulatedStack;
  const automatic = stacks[MODE_ACCOUNTS.automatic] as EmulatedStack;
  const shippedStack = stacks[SHIPPED_ACCOUNT] as EmulatedStack;

  {
    const apply = held(timed("audit", "apply", () => audit.apply()));
    const plan = held(apply.then(() => timed("audit", "second plan", () => audit.plan())));
    const filled = held(plan.then(() => fillHistoryBucket(MODE_ACCOUNTS.audit, { deleteMarker: true })));
    const offboarded = held(afterSettled(plan, () => filled.then(() => offboard("audit", audit, false))));
    const remaining = held(
      offboarded.then(() => remainingResources(emulator.url, MODE_ACCOUNTS.audit, REGION)),
    );
    const versionsKept = held(
      remaining.then(async () => versionCount(MODE_ACCOUNTS.audit, (await filled).bucket)),
    );
    const rerun = held(versionsKept.then(() => offboard("audit", audit, false)));
    auditRun = { apply, plan, offboard: offboarded, remaining, versionsKept, rerun };
  }
  {
    const apply = held(timed("manual", "apply", () => manual.apply()));
    const plan = held(apply.then(() => timed("manual", "second plan", () => manual.plan())));
    const filled = held(
      afterSettled(plan, () => fillHistoryBucket(MODE_ACCOUNTS.manual, { deleteMarker: false })),
    );
    const offboarded = held(filled.then(() => offboard("manual", manual, true)));
    const remaining = held(
      afterSettled(offboarded, () => remainingResources(emulator.url, MODE_ACCOUNTS.manual, REGION)),
    );
    const rerun = held(remaining.then(() => offboard("manual", manual, true)));
    manualRun = { apply, plan, offboard: offboarded, remaining, rerun };
  }
  {
    const apply = held(timed("automatic", "apply", () => automatic.apply()));
    const plan = held(apply.then(() => timed("automatic", "second plan", () => automatic.plan())));
    const weeklyPlan = held(
      plan.then(async () => {
        automatic.replaceConfiguration(weekly.outdir);
        const { plan: json, seconds } = await automatic.planJson();
        timings.add("automatic", "weekly build: plan", { seconds });
        return changedResources(json);
      }),
    );
    const weeklyApply = held(
      weeklyPlan.then(() => timed("automatic", "weekly build: apply", () => automatic.applySavedPlan())),
    );
    const weeklyReplan = held(
      weeklyApply.then(() => timed("automatic", "weekly build: second plan", () => automatic.plan())),
    );
    automaticRun = { apply, plan, weeklyPlan, weeklyApply, weeklyReplan };
  }
  {
    const stackName = STACK_OF(SHIPPED_ACCOUNT);
    const releaseFile = releaseStackFile(stackName, path.join(shippedStack.dir, "cdk.tf.json"), root);
    shippedStack.replaceConfiguration(current.outdir, { stackFile: releaseFile });
    const releaseApply = held(timed("event-driven", "apply release 0.1.0", () => shippedStack.apply()));
    const upgradePlan = held(
      releaseApply.then(async () => {
        succeeded("apply release 0.1.0", await releaseApply);
        shippedStack.replaceConfiguration(current.outdir);
        const { plan: json, seconds } = await shippedStack.planJson();
        timings.add("event-driven", "upgrade: plan", { seconds });
        return changedResources(json);
      }),
    );
    const apply = held(
      upgradePlan.then(() => timed("event-driven", "apply (upgrade)", () => shippedStack.applySavedPlan())),
    );
    const plan = held(apply.then(() => timed("event-driven", "second plan", () => shippedStack.plan())));
    const walkthrough = held(
      plan.then(() =>
        launchAndRemediate({
          emulator,
          accountId: SHIPPED_ACCOUNT,
          region: REGION,
          stackDir: shippedStack.dir,
          approvedAmiId: APPROVED_AMI,
        }),
      ),
    );
    const destroy = held(
      afterSettled(walkthrough, async () => {
        const walked = await walkthrough.catch(() => undefined);
        await terminateInstances(
          emulator,
          SHIPPED_ACCOUNT,
          REGION,
          walked?.instances.map((instance) => instance.instanceId) ?? [],
        );
        return timed("event-driven", "destroy", () => shippedStack.destroy(["-refresh=false"]));
      }),
    );
    const remaining = held(destroy.then(() => remainingResources(emulator.url, SHIPPED_ACCOUNT, REGION)));
    eventDrivenRun = { releaseApply, upgradePlan, apply, plan, walkthrough, destroy, remaining };
  }
}, LONG);

afterAll(async () => {
  // Every chain has settled by now (each test awaited its own); stop the emulator and say what it cost.
  await emulator?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
  process.stdout.write(`Emulator step timings:\n${timings.report()}\n`);
});

describe("audit mode on the emulator, offboarded keeping its compliance history", () => {
  it(
    "applies and plans nothing more",
    async () => {
      succeeded("apply", await auditRun.apply);
      emptyPlan("second plan", await auditRun.plan);
    },
    LONG,
  );

  it(
    "stops the recorder, keeps the bucket with every version, and removes everything else",
    async () => {
      const result = await auditRun.offboard;
      expect(result.steps.map((step) => step.step)).toEqual(["check", "stop-recorder", "history", "destroy"]);
      expect(result.steps.find((step) => step.step === "stop-recorder")?.outcome).toBe("done");
      expect(result.keptBucket).toMatch(/^ami-guard-config-/);
      expect(result.deletedHistory).toBe(false);
      expect(leftBehind(await auditRun.remaining)).toEqual([{ kind: "s3:bucket", name: result.keptBucket }]);
      // three snapshot versions, the history object and its delete marker
      expect(await auditRun.versionsKept).toBe(5);
    },
    LONG,
  );

  it(
    "does nothing more when run again",
    async () => {
      const again = await auditRun.rerun;
      expect(again.steps.find((step) => step.step === "stop-recorder")?.outcome).toBe(
        "already stopped by an earlier run",
      );
      expect(again.steps.find((step) => step.step === "history")?.outcome).toBe(
        "no history bucket in the state",
      );
      expect(again.keptBucket).toBeUndefined();
    },
    LONG,
  );
});

describe("manual mode on the emulator, offboarded deleting its compliance history", () => {
  it(
    "applies and plans nothing more",
    async () => {
      succeeded("apply", await manualRun.apply);
      emptyPlan("second plan", await manualRun.plan);
    },
    LONG,
  );

  it(
    "deletes the bucket with every version only when asked, and leaves only the key pending deletion",
    async () => {
      const result = await manualRun.offboard;
      expect(result.deletedHistory).toBe(true);
      expect(result.keptBucket).toBeUndefined();
      const remaining = await manualRun.remaining;
      expect(leftBehind(remaining)).toEqual([]);
      expect(remaining.filter((resource) => resource.kind === "kms:key").map((key) => key.state)).toEqual([
        "PendingDeletion",
      ]);
      const again = await manualRun.rerun;
      expect(again.steps.find((step) => step.step === "check")?.outcome).toMatch(/^0 resource/);
    },
    LONG,
  );
});

describe("automatic mode on the emulator: a weekly build approved", () => {
  it(
    "applies and plans nothing more",
    async () => {
      succeeded("apply", await automaticRun.apply);
      emptyPlan("second plan", await automaticRun.plan);
    },
    LONG,
  );

  it(
    "replaces the after-change re-evaluation schedule when a build is approved, then plans nothing more",
    async () => {
      const changes = await automaticRun.weeklyPlan;
      const schedule = Object.keys(changes).find((address) => address.includes("reevaluation_after-change"));
      const rule = Object.keys(changes).find((address) => address.startsWith("aws_config_config_rule."));
      expect(schedule && changes[schedule]).toMatch(/^(delete,create|create,delete)$/);
      expect(rule && changes[rule]).toBe("update");
      succeeded("apply", await automaticRun.weeklyApply);
      emptyPlan("second plan after the weekly build", await automaticRun.weeklyReplan);
    },
    LONG,
  );
});

describe("event-driven mode on the emulator: the shipped configuration upgraded from the previous release", () => {
  it(
    "plans only intended changes over release 0.1.0 and never replaces the Config rule",
    async () => {
      succeeded("apply release 0.1.0", await eventDrivenRun.releaseApply);
      const changes = await eventDrivenRun.upgradePlan;
      const destructive = Object.entries(changes).filter(([, actions]) => actions.includes("delete"));
      expect(destructive.filter(([address]) => address.startsWith("aws_config_config_rule."))).toEqual([]);
      expect(destructive.filter(([address]) => !(address in INTENDED_UPGRADE_REPLACEMENTS))).toEqual([]);
    },
    LONG,
  );

  it(
    "applies this code and plans nothing more",
    async () => {
      succeeded("apply", await eventDrivenRun.apply);
      emptyPlan("second plan", await eventDrivenRun.plan);
    },
    LONG,
  );

  it(
    "stops the instance on an unapproved AMI through the deployed function and Config's remediation, and leaves the approved one running",
    async () => {
      const walked = await eventDrivenRun.walkthrough;
      const unapproved = walked.instances.find((instance) => instance.label === "unapproved");
      const approved = walked.instances.find((instance) => instance.label === "approved");
      expect(unapproved).toMatchObject({
        compliance: "NON_COMPLIANT",
        decision: "remediated",
        finalState: "stopped",
      });
      expect(approved).toMatchObject({ compliance: "COMPLIANT", finalState: "running" });
      expect(walked.executions.map((run) => [run.resourceKey.resourceId, run.state])).toEqual([
        [unapproved?.instanceId, "SUCCEEDED"],
      ]);
    },
    LONG,
  );

  it(
    "destroys and leaves only the key pending deletion",
    async () => {
      succeeded("destroy", await eventDrivenRun.destroy);
      expect(leftBehind(await eventDrivenRun.remaining)).toEqual([]);
    },
    LONG,
  );
});
