import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { stackNameFor } from "../../app/ami-guard-stack";
import {
  RECORDER_CHOICES,
  REMEDIATION_MODES,
  type RecorderChoice,
  type RemediationMode,
} from "../../app/config";
import type { AwsRegion } from "../../lib/regions";
import type { PlanRun, StackPlanSuccess } from "../../tools/terraform/plan-stacks";
import { classifyChanges, formatPlanLine } from "../../tools/terraform/plan-summary";
import { OFFLINE_OVERRIDE_FILE, OFFLINE_STATE_FILE } from "../../tools/terraform/scratch";
import {
  configOf,
  declaredAddresses,
  planWorkspace,
  stackJson,
  succeeded,
  synthesizeInScratch,
  type Workspace,
} from "./support";

interface Case {
  readonly mode: RemediationMode;
  readonly recorder: RecorderChoice;
  readonly accountId: string;
  readonly region: AwsRegion;
}

/** Every mode with both recorder choices, each in an account and region of its own: 8 stacks in one app. */
const CASES: readonly Case[] = REMEDIATION_MODES.flatMap((mode, modeIndex) =>
  RECORDER_CHOICES.map((recorder, recorderIndex) => ({
    mode,
    recorder,
    accountId: String(modeIndex + 1).repeat(12),
    region: (recorderIndex === 0 ? "eu-central-1" : "us-east-1") as AwsRegion,
  })),
);

const stackOf = (c: Case) => stackNameFor(c);
const describeCase = (c: Case) => `${c.mode} with recorder "${c.recorder}"`;

describe("real Terraform on every mode and recorder choice", () => {
  let workspace: Workspace;
  let run: PlanRun;
  let synthesizedBefore: ReadonlyMap<string, string>;

  beforeAll(async () => {
    workspace = await synthesizeInScratch(
      configOf({
        targets: CASES.map(({ accountId, region, recorder, mode }) => ({
          accountId,
          region,
          recorder,
          mode,
        })),
        // A bucket no offline run can reach: the scratch copies must plan against a local state instead
        backend: { type: "s3", bucket: "ami-guard-state-example", region: "eu-central-1" },
      }),
      "every-mode",
    );
    synthesizedBefore = new Map(
      CASES.map((c) => [stackOf(c), readFileSync(synthesizedFile(c, "cdk.tf.json"), "utf8")] as const),
    );
    run = await planWorkspace(workspace, { concurrency: 2 });
    // Eight real plans take about 40 s on two idle cores; the machine is shared, so allow for its load
  }, 300_000);

  const synthesizedFile = (c: Case, file: string) =>
    path.join(workspace.synth.outdir, "stacks", stackOf(c), file);
  const scratchFile = (c: Case, file: string) =>
    path.join(workspace.root, "scratch", "stacks", stackOf(c), file);

  const resultFor = (c: Case): StackPlanSuccess =>
    succeeded(run.results.find((r) => r.stackName === stackOf(c)));
  const typesPlanned = (c: Case) => new Set(classifyChanges(resultFor(c).plan).map((change) => change.type));

  it("plans the eight stacks the configuration names", () => {
    expect(run.results.map((result) => result.stackName).sort()).toEqual(CASES.map(stackOf).sort());
  });

  it.each(CASES)(
    "$mode with recorder $recorder is planned with the S3 backend swapped for a local state",
    (c) => {
      expect(Object.keys(stackJson(workspace, stackOf(c)).terraform?.backend ?? {})).toEqual(["s3"]);
      const override = JSON.parse(readFileSync(scratchFile(c, OFFLINE_OVERRIDE_FILE), "utf8"));
      expect(override.terraform).toEqual({ backend: { local: { path: OFFLINE_STATE_FILE } } });
      expect(override.provider.aws[0]).toMatchObject({
        skip_credentials_validation: true,
        skip_requesting_account_id: true,
        skip_metadata_api_check: true,
        allowed_account_ids: null,
      });
    },
  );

  it.each(CASES)(
    "$mode with recorder $recorder leaves the synthesized folder cdktf deploy applies untouched",
    (c) => {
      expect(readFileSync(synthesizedFile(c, "cdk.tf.json"), "utf8")).toBe(synthesizedBefore.get(stackOf(c)));
      const files = readdirSync(path.dirname(synthesizedFile(c, "cdk.tf.json")));
      expect(files.filter((file) => file.endsWith(".tf.json"))).toEqual(["cdk.tf.json"]);
      expect(files).not.toContain(".terraform");
    },
  );

  it.each(CASES)(
    "$mode with recorder $recorder passes validate and plans to create exactly what it declares",
    (c) => {
      const result = resultFor(c);
      const changes = classifyChanges(result.plan);
      const declared = declaredAddresses(stackJson(workspace, stackOf(c)));
      expect(declared.length).toBeGreaterThan(0);
      expect(changes.every((change) => change.kind === "create")).toBe(true);
      expect(changes.map((change) => change.address).sort()).toEqual(declared);
      expect(result.counts).toEqual({ add: declared.length, change: 0, destroy: 0 });
      // The kept text plan is Terraform's own rendering and agrees with the count read from the JSON
      expect(readFileSync(result.files.text, "utf8")).toContain(formatPlanLine(result.counts));
      expect(readFileSync(result.files.markdown, "utf8")).toContain(`**${formatPlanLine(result.counts)}**`);
    },
  );

  it.each(CASES.filter((c) => c.recorder === "create"))(
    "$mode with a created recorder plans the recorder",
    (c) => {
      for (const type of [
        "aws_config_configuration_recorder",
        "aws_config_configuration_recorder_status",
        "aws_config_delivery_channel",
        "aws_s3_bucket",
      ]) {
        expect([describeCase(c), typesPlanned(c).has(type)]).toEqual([describeCase(c), true]);
      }
    },
  );

  it.each(CASES.filter((c) => c.recorder === "existing"))(
    "$mode with an existing recorder plans no recorder",
    (c) => {
      for (const type of [
        "aws_config_configuration_recorder",
        "aws_config_delivery_channel",
        "aws_s3_bucket",
      ]) {
        expect([describeCase(c), typesPlanned(c).has(type)]).toEqual([describeCase(c), false]);
      }
    },
  );

  it("audit with an existing recorder plans just the rule and its re-evaluation", () => {
    const c = CASES.find((x) => x.mode === "audit" && x.recorder === "existing") as Case;
    expect(classifyChanges(resultFor(c).plan).map((change) => change.type)).toEqual([
      "aws_config_config_rule",
      "aws_iam_role",
      "aws_iam_role_policy",
      "aws_scheduler_schedule",
      "aws_scheduler_schedule",
    ]);
  });

  it.each(CASES.filter((c) => c.mode === "audit"))(
    "audit ($recorder) plans no remediation and no function",
    (c) => {
      expect(typesPlanned(c).has("aws_config_config_rule")).toBe(true);
      expect(typesPlanned(c).has("aws_config_remediation_configuration")).toBe(false);
      expect(typesPlanned(c).has("aws_lambda_function")).toBe(false);
    },
  );

  it.each(CASES.filter((c) => c.mode === "manual" || c.mode === "automatic"))(
    "$mode ($recorder) plans a remediation configuration that is automatic only in automatic mode, and no function",
    (c) => {
      const remediation = resultFor(c).plan.resource_changes?.find(
        (change) => change.type === "aws_config_remediation_configuration",
      ) as unknown as { change: { after: { automatic: boolean; target_id: string } } } | undefined;
      expect(remediation?.change.after.automatic).toBe(c.mode === "automatic");
      expect(remediation?.change.after.target_id).toBe("AWS-StopEC2Instance");
      expect(typesPlanned(c).has("aws_lambda_function")).toBe(false);
    },
  );

  it.each(CASES.filter((c) => c.mode === "event-driven"))(
    "event-driven ($recorder) plans the function, its trigger and the remediation configuration it starts",
    (c) => {
      for (const type of [
        "aws_lambda_function",
        "aws_lambda_permission",
        "aws_cloudwatch_event_rule",
        "aws_cloudwatch_event_target",
        "aws_config_remediation_configuration",
      ]) {
        expect([type, typesPlanned(c).has(type)]).toEqual([type, true]);
      }
    },
  );
});
