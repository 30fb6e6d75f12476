import { readFileSync } from "node:fs";
import * as path from "node:path";
import { stackNameFor } from "../../app/ami-guard-stack";
import type { AmiGuardConfig } from "../../app/config";
import {
  RECORDER_CHOICES,
  REMEDIATION_MODES,
  type RecorderChoice,
  type RemediationMode,
} from "../../app/config/schema";
import type { AwsRegion } from "../../lib/regions";
import type { PlanRun } from "../../tools/terraform/plan-stacks";
import { runOnce } from "../support/run-once";
import { configOf, planWorkspace, synthesizeInScratch, type Workspace } from "./support";

export interface EveryModeCase {
  readonly mode: RemediationMode;
  readonly recorder: RecorderChoice;
  readonly accountId: string;
  readonly region: AwsRegion;
}

/** Every mode with both recorder choices, each in an account and region of its own: 8 stacks in one app. */
export const EVERY_MODE_CASES: readonly EveryModeCase[] = REMEDIATION_MODES.flatMap((mode, modeIndex) =>
  RECORDER_CHOICES.map((recorder, recorderIndex) => ({
    mode,
    recorder,
    accountId: String(modeIndex + 1).repeat(12),
    region: (recorderIndex === 0 ? "eu-central-1" : "us-east-1") as AwsRegion,
  })),
);

/**
 * The stacks Terraform validates and plans: every mode once, the recorder choices taking turns so each is
 * planned twice. The other four differ from a planned one only in the recorder resources, which are read
 * from the synthesized JSON (every-mode.test.ts) and planned here in the other modes.
 */
const PLANNED_RECORDER: Readonly<Record<RemediationMode, RecorderChoice>> = {
  audit: "existing",
  manual: "create",
  automatic: "existing",
  "event-driven": "create",
};

export const PLANNED_CASES: readonly EveryModeCase[] = EVERY_MODE_CASES.filter(
  (c) => PLANNED_RECORDER[c.mode] === c.recorder,
);

export const stackOf = (c: Pick<EveryModeCase, "accountId" | "region">): string => stackNameFor(c);

export function plannedCaseOf(mode: RemediationMode): EveryModeCase {
  const found = PLANNED_CASES.find((c) => c.mode === mode);
  if (!found) throw new Error(`no planned case for ${mode}`);
  return found;
}

/** Each case as a target of its own, with an S3 backend no offline run can reach: the scratch copies must plan against a local state instead. */
export function everyModeConfig(): AmiGuardConfig {
  return configOf({
    targets: EVERY_MODE_CASES.map(({ accountId, region, recorder, mode }) => ({
      accountId,
      region,
      recorder,
      mode,
    })),
    backend: { type: "s3", bucket: "ami-guard-state-example", region: "eu-central-1" },
  });
}

export interface EveryModeFixture {
  readonly workspace: Workspace;
  readonly run: PlanRun;
  /** Each synthesized cdk.tf.json as it was before planning. */
  readonly synthesizedBefore: Readonly<Record<string, string>>;
}

/**
 * Synthesized and planned once per test run (see runOnce): every-mode.test.ts checks the plans, and
 * drill.test.ts drills them and breaks copies of them.
 */
export async function everyModeFixture(): Promise<EveryModeFixture> {
  const { value } = await runOnce("every-mode-plans", async (): Promise<EveryModeFixture> => {
    const synthesized = await synthesizeInScratch(everyModeConfig(), "every-mode");
    const workspace: Workspace = {
      root: synthesized.root,
      synth: { outdir: synthesized.synth.outdir, stackNames: synthesized.synth.stackNames },
    };
    const synthesizedBefore = Object.fromEntries(
      workspace.synth.stackNames.map((stack) => [
        stack,
        readFileSync(path.join(workspace.synth.outdir, "stacks", stack, "cdk.tf.json"), "utf8"),
      ]),
    );
    const run = await planWorkspace(
      { ...workspace, synth: { ...workspace.synth, stackNames: PLANNED_CASES.map(stackOf) } },
      { concurrency: 2 },
    );
    return { workspace, run, synthesizedBefore };
  });
  return value;
}
