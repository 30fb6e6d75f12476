import { lstatSync, readdirSync, readFileSync, realpathSync } from "node:fs";
import * as path from "node:path";
import type { PlanRun, StackPlanSuccess } from "../../tools/terraform/plan-stacks";
import { classifyChanges, formatPlanLine } from "../../tools/terraform/plan-summary";
import { DEFAULT_MIRROR, MIRROR_VARIABLE } from "../../tools/terraform/provider-mirror";
import { OFFLINE_OVERRIDE_FILE, OFFLINE_STATE_FILE } from "../../tools/terraform/scratch";
import {
  EVERY_MODE_CASES,
  type EveryModeCase,
  everyModeFixture,
  PLANNED_CASES,
  stackOf,
} from "./every-mode-fixture";
import { declaredAddresses, stackJson, succeeded, type Workspace } from "./support";

type Case = EveryModeCase;
const CASES = PLANNED_CASES;
const describeCase = (c: Case) => `${c.mode} with recorder "${c.recorder}"`;
const typesDeclared = (workspace: Workspace, c: Case) =>
  new Set(Object.keys(stackJson(workspace, stackOf(c)).resource ?? {}));

describe("real Terraform on every mode, each recorder choice planned twice", () => {
  let workspace: Workspace;
  let run: PlanRun;
  let synthesizedBefore: Readonly<Record<string, string>>;

  beforeAll(async () => {
    ({ workspace, run, synthesizedBefore } = await everyModeFixture());
    // Built by whichever file asks first (runOnce); the machine is shared, so allow for its load
  }, 300_000);

  const synthesizedFile = (c: Case, file: string) =>
    path.join(workspace.synth.outdir, "stacks", stackOf(c), file);
  const scratchFile = (c: Case, file: string) =>
    path.join(workspace.root, "scratch", "stacks", stackOf(c), file);

  const resultFor = (c: Case): StackPlanSuccess =>
    succeeded(run.results.find((r) => r.stackName === stackOf(c)));
  const typesPlanned = (c: Case) => new Set(classifyChanges(resultFor(c).plan).map((change) => change.type));

  it("plans one stack per mode, with each recorder choice twice", () => {
    expect(run.results.map((result) => result.stackName).sort()).toEqual(CASES.map(stackOf).sort());
    expect(CASES.map((c) => c.mode).sort()).toEqual([...new Set(EVERY_MODE_CASES.map((c) => c.mode))].sort());
    for (const recorder of ["create", "existing"]) {
      expect([recorder, CASES.filter((c) => c.recorder === recorder).length]).toEqual([recorder, 2]);
    }
  });

  it.each(CASES)("$mode with recorder $recorder links the one provider installation, the mirror", (c) => {
    // Given the mirror the tests plan with
    const mirror = process.env[MIRROR_VARIABLE] || DEFAULT_MIRROR;
    const installed = scratchFile(c, ".terraform/providers/registry.terraform.io/hashicorp/aws");
    const [version] = readdirSync(installed);
    const platformDir = path.join(installed, version as string);
    const [platform] = readdirSync(platformDir);
    // Then init linked the provider folder rather than copying 675 MB per stack
    expect(lstatSync(path.join(platformDir, platform as string)).isSymbolicLink()).toBe(true);
    expect(realpathSync(path.join(platformDir, platform as string))).toBe(
      realpathSync(
        path.join(mirror, "registry.terraform.io/hashicorp/aws", version as string, platform as string),
      ),
    );
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
      expect(readFileSync(synthesizedFile(c, "cdk.tf.json"), "utf8")).toBe(synthesizedBefore[stackOf(c)]);
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
      expect(readFileSync(result.files.text, "utf8")).not.toMatch(/: Reading\.\.\.$/m);
      expect(readFileSync(result.files.markdown, "utf8")).toContain(`**${formatPlanLine(result.counts)}**`);
    },
  );

  const RECORDER_TYPES = [
    "aws_config_configuration_recorder",
    "aws_config_configuration_recorder_status",
    "aws_config_delivery_channel",
    "aws_s3_bucket",
  ];
  const recorderTypes = (types: ReadonlySet<string>) => RECORDER_TYPES.filter((type) => types.has(type));

  it.each(EVERY_MODE_CASES)(
    "$mode with recorder $recorder declares the recorder only when it creates it",
    (c) => {
      expect([describeCase(c), recorderTypes(typesDeclared(workspace, c))]).toEqual([
        describeCase(c),
        c.recorder === "create" ? RECORDER_TYPES : [],
      ]);
    },
  );

  it.each(CASES)("$mode with recorder $recorder plans the recorder only when it creates it", (c) => {
    expect([describeCase(c), recorderTypes(typesPlanned(c))]).toEqual([
      describeCase(c),
      c.recorder === "create" ? RECORDER_TYPES : [],
    ]);
  });

  it("audit with an existing recorder plans just the rule and its re-evaluation", () => {
    const c = CASES.find((x) => x.mode === "audit" && x.recorder === "existing") as Case;
    // The rule; the schedules, their role, their dead-letter queues and alarms, the one-time one's settings
    expect(
      classifyChanges(resultFor(c).plan)
        .map((change) => change.type)
        .sort(),
    ).toEqual([
      "aws_cloudwatch_metric_alarm",
      "aws_cloudwatch_metric_alarm",
      "aws_config_config_rule",
      "aws_iam_role",
      "aws_iam_role_policy",
      "aws_scheduler_schedule",
      "aws_scheduler_schedule",
      "aws_sqs_queue",
      "aws_sqs_queue",
      "terraform_data",
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
