import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { Testing } from "cdktf";
import { AmiGuardStack } from "../../app/ami-guard-stack";
import type { AmiGuardConfig } from "../../app/config";
import { parseConfig } from "../../app/config/load";
import {
  RECORDER_CHOICES,
  REMEDIATION_MODES,
  type RecorderChoice,
  type RemediationMode,
} from "../../app/config/schema";
import { buildLambdaBundle, type LambdaBundle } from "../../app/lambda-bundle";

export const ACCOUNT = "111122223333";

export type Block = Record<string, unknown>;
export interface SynthesizedStack {
  readonly resource: Record<string, Record<string, Block>>;
  readonly data: Record<string, Record<string, Block>>;
}

export interface StackCase {
  readonly label: string;
  readonly mode: RemediationMode;
  readonly recorder: RecorderChoice;
  readonly region: string;
  readonly stack: SynthesizedStack;
}

export function configFor(
  mode: RemediationMode,
  recorder: RecorderChoice,
  region = "eu-central-1",
): AmiGuardConfig {
  return parseConfig({
    approvedAmiIds: ["ami-0abcdef1234567890"],
    remediation: { mode },
    ...(mode === "event-driven" || mode === "automatic"
      ? { notifications: { emails: ["ops@example.com"] } }
      : {}),
    targets: [{ accountId: ACCOUNT, region, recorder }],
  });
}

export function synthesize(config: AmiGuardConfig, bundle: LambdaBundle): SynthesizedStack {
  const [target] = config.targets;
  if (!target) throw new Error("the configuration has no target");
  const json = JSON.parse(Testing.synth(new AmiGuardStack(Testing.app(), { config, target, bundle })));
  return { resource: json.resource ?? {}, data: json.data ?? {} };
}

export function handlerBundleForTests(): Promise<LambdaBundle> {
  return buildLambdaBundle({ outdir: mkdtempSync(path.join(tmpdir(), "ami-guard-policy-bundle-")) });
}

/** The label of each stack `everyStack` builds, known before the stacks are (for `it.each`). */
export const STACK_CASE_LABELS = [
  ...REMEDIATION_MODES.flatMap((mode) => RECORDER_CHOICES.map((recorder) => `${mode}/${recorder}`)),
  "event-driven/create/cn-north-1",
];

/** Every mode crossed with every recorder choice, plus a China-partition stack for the ARNs that differ. */
export function everyStack(bundle: LambdaBundle): StackCase[] {
  const cases: StackCase[] = [];
  for (const mode of REMEDIATION_MODES) {
    for (const recorder of RECORDER_CHOICES) {
      cases.push({
        label: `${mode}/${recorder}`,
        mode,
        recorder,
        region: "eu-central-1",
        stack: synthesize(configFor(mode, recorder), bundle),
      });
    }
  }
  cases.push({
    label: "event-driven/create/cn-north-1",
    mode: "event-driven",
    recorder: "create",
    region: "cn-north-1",
    stack: synthesize(configFor("event-driven", "create", "cn-north-1"), bundle),
  });
  return cases;
}

export function resourcesOf(stack: SynthesizedStack, type: string): [string, Block][] {
  return Object.entries(stack.resource[type] ?? {});
}

/** `${aws_s3_bucket.name.id}` → true when the value refers to that resource. */
export function refersTo(value: unknown, type: string, name: string): boolean {
  return typeof value === "string" && value.includes(`\${${type}.${name}.`);
}

/** A Terraform reference as cdktf writes it, `${aws_s3_bucket.b.id}`, without a template-looking literal. */
export function ref(address: string): string {
  return `$\{${address}}`;
}
