import { readFileSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { synthesizeAtomically } from "../../app/synth";
import { AwsEmulator } from "../../tools/emulator/emulator";
import {
  changedResources,
  EmulatedStack,
  failureOf,
  type PlanJsonChanges,
} from "../../tools/emulator/emulator-stack";
import { configOf, scratchFolder } from "../terraform/support";

/**
 * The one-time re-evaluation schedule over a rule's lifetime, applied on the local emulator: renaming the
 * rule, then a release that changes the retries, each re-applied. UpdateSchedule would re-send an at()
 * time already past (undocumented), so neither may update that schedule in place, and each re-apply must
 * leave nothing to do.
 */

const ACCOUNT = "111122223333";
const REGION = "eu-central-1";
const APPROVED = "ami-0abcdef1234567890";
// Terraform applies on a busy machine take minutes; a limit here is a hang detector, never a verdict.
const TERRAFORM_STEPS_TIMEOUT_MS = 20 * 60 * 1000;

const AFTER_CHANGE = /^aws_scheduler_schedule\.reevaluation_after-change_/;

async function synthesize(root: string, name: string, ruleName: string): Promise<string> {
  const config = configOf({
    ruleName,
    approvedAmiIds: [APPROVED],
    remediation: { mode: "audit" },
    targets: [{ accountId: ACCOUNT, region: REGION, recorder: "existing" }],
  });
  const outdir = path.join(root, name, "cdktf.out");
  await synthesizeAtomically(config, outdir, path.join(root, name));
  return outdir;
}

function afterChangeActions(plan: PlanJsonChanges): string[] {
  return (plan.resource_changes ?? [])
    .filter((change) => AFTER_CHANGE.test(change.address))
    .map((change) => change.change.actions.join(","));
}

describe("the one-time re-evaluation schedule on the emulator: rename, then new retries", () => {
  let root: string;
  let emulator: AwsEmulator | undefined;
  let stack: EmulatedStack;
  let stackName: string;
  let renamedDir: string;
  const steps: string[] = [];

  beforeAll(async () => {
    root = scratchFolder("emulator-reevaluation");
    emulator = await AwsEmulator.start({ accountIds: [ACCOUNT] });
    const first = await synthesize(root, "first", "approved-amis-by-id");
    renamedDir = await synthesize(root, "renamed", "golden-amis-only");
    stackName = `ami-guard-${ACCOUNT}-${REGION}`;
    stack = await EmulatedStack.prepare({
      synthDir: first,
      stackName,
      accountId: ACCOUNT,
      workDir: path.join(root, "work"),
      endpointUrl: emulator.url,
    });
    // Given the audit stack applied, with nothing left to do
    const applied = await stack.apply();
    if (applied.exitCode !== 0) throw new Error(failureOf("apply", applied));
    const second = await stack.plan();
    steps.push(`first plan after apply exited ${second.exitCode}`);
  }, TERRAFORM_STEPS_TIMEOUT_MS);

  // Stopping the emulator discards every resource the stack created: no destroy is needed to leave nothing.
  afterAll(async () => {
    await emulator?.stop();
    if (root) rmSync(root, { recursive: true, force: true });
  }, TERRAFORM_STEPS_TIMEOUT_MS);

  it("applies with nothing left to do", () => {
    expect(steps).toEqual(["first plan after apply exited 0"]);
  });

  it(
    "renaming the rule replaces the rule and the one-time schedule, and the re-apply leaves nothing to do",
    async () => {
      // When the configuration renames the rule
      stack.replaceConfiguration(renamedDir);
      const { plan } = await stack.planJson();
      const changes = changedResources(plan);
      // Then the rule is replaced, and the one-time schedule too: never updated in place
      expect(
        Object.entries(changes).filter(([address]) => address.startsWith("aws_config_config_rule.")),
      ).toEqual([[expect.any(String), "delete,create"]]);
      expect(afterChangeActions(plan)).toEqual(["delete,create"]);
      // And after applying what was inspected, a plan finds nothing to do
      const applied = await stack.applySavedPlan();
      if (applied.exitCode !== 0) throw new Error(failureOf("apply", applied));
      const again = await stack.plan();
      expect({ exitCode: again.exitCode, output: again.exitCode === 0 ? "" : again.stdout }).toEqual({
        exitCode: 0,
        output: "",
      });
    },
    TERRAFORM_STEPS_TIMEOUT_MS,
  );

  it(
    "a release that changes the retries replaces the one-time schedule, and the re-apply leaves nothing to do",
    async () => {
      // When a release changes the schedules' retry policy (the settings and both schedules, as synthesized)
      const file = path.join(renamedDir, "stacks", stackName, "cdk.tf.json");
      const json = JSON.parse(readFileSync(file, "utf8"));
      for (const schedule of Object.values(json.resource.aws_scheduler_schedule) as {
        target: { retry_policy: { maximum_retry_attempts: number } };
      }[]) {
        schedule.target.retry_policy.maximum_retry_attempts = 100;
      }
      for (const settings of Object.values(json.resource.terraform_data) as {
        triggers_replace: { retry_policy: string };
      }[]) {
        settings.triggers_replace.retry_policy = JSON.stringify({
          maximumRetryAttempts: 100,
          maximumEventAgeInSeconds: 3600,
        });
      }
      const changed = path.join(root, "retries.cdk.tf.json");
      writeFileSync(changed, JSON.stringify(json));
      stack.replaceConfiguration(renamedDir, { stackFile: changed });
      const { plan } = await stack.planJson();
      // Then the one-time schedule is replaced, never updated in place
      expect(afterChangeActions(plan)).toEqual(["delete,create"]);
      const applied = await stack.applySavedPlan();
      if (applied.exitCode !== 0) throw new Error(failureOf("apply", applied));
      const again = await stack.plan();
      expect({ exitCode: again.exitCode, output: again.exitCode === 0 ? "" : again.stdout }).toEqual({
        exitCode: 0,
        output: "",
      });
    },
    TERRAFORM_STEPS_TIMEOUT_MS,
  );
});
