import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import type { AmiGuardConfig } from "../../app/config";
import { parseConfig } from "../../app/config/load";
import { type SynthResult, synthesizeAtomically } from "../../app/synth";
import {
  type PlanRun,
  planStacks,
  type StackPlanResult,
  type StackPlanSuccess,
} from "../../tools/terraform/plan-stacks";

export const REPO_ROOT = path.resolve(__dirname, "..", "..");
export const APPROVED_AMI = "ami-0abcdef1234567890";

export function scratchFolder(prefix: string): string {
  return mkdtempSync(path.join(tmpdir(), `ami-guard-${prefix}-`));
}

export function configOf(raw: Record<string, unknown>): AmiGuardConfig {
  return parseConfig({ approvedAmiIds: [APPROVED_AMI], ...raw }, "test configuration");
}

export interface Workspace {
  readonly root: string;
  readonly synth: SynthResult;
}

/** Synthesizes into a folder of its own, so tests never touch the repository's cdktf.out. */
export async function synthesizeInScratch(config: AmiGuardConfig, prefix: string): Promise<Workspace> {
  const root = scratchFolder(prefix);
  // Local state lives in the workspace too, never beside the project.
  const synth = await synthesizeAtomically(config, path.join(root, "cdktf.out"), root);
  return { root, synth };
}

/** Plans every stack of a workspace with its own scratch and plans folders. */
export function planWorkspace(
  workspace: Workspace,
  options: { readonly concurrency?: number; readonly env?: NodeJS.ProcessEnv } = {},
): Promise<PlanRun> {
  return planStacks({
    synthDir: workspace.synth.outdir,
    stackNames: workspace.synth.stackNames,
    scratchDir: path.join(workspace.root, "scratch"),
    plansDir: path.join(workspace.root, "plans"),
    concurrency: options.concurrency ?? 2,
    ...(options.env ? { env: options.env } : {}),
  });
}

/** The successful result, or a failure that shows Terraform's own output in the test report. */
export function succeeded(result: StackPlanResult | undefined): StackPlanSuccess {
  if (!result) throw new Error("no result for the stack");
  if (!result.ok) {
    throw new Error(`${result.stackName}: terraform ${result.step} failed:\n${result.output}`);
  }
  return result;
}

interface SynthesizedStackJson {
  readonly resource?: Record<string, Record<string, Record<string, unknown>>>;
  readonly terraform?: { readonly backend?: Record<string, { readonly path?: string }> };
}

export function stackJson(workspace: Workspace, stackName: string): SynthesizedStackJson {
  return JSON.parse(
    readFileSync(path.join(workspace.synth.outdir, "stacks", stackName, "cdk.tf.json"), "utf8"),
  ) as SynthesizedStackJson;
}

/** `type.name` of every managed resource the synthesized stack declares. */
export function declaredAddresses(stack: SynthesizedStackJson): string[] {
  return Object.entries(stack.resource ?? {})
    .flatMap(([type, byName]) => Object.keys(byName).map((name) => `${type}.${name}`))
    .sort();
}

/** The one resource name cdktf gave a type in this stack. */
export function onlyNameOf(stack: SynthesizedStackJson, type: string): string {
  const names = Object.keys(stack.resource?.[type] ?? {});
  if (names.length !== 1) throw new Error(`expected one ${type}, found ${names.length}`);
  return names[0] as string;
}

export interface SavedResource {
  readonly type: string;
  readonly name: string;
  readonly attributes: Record<string, unknown>;
  /** @default the AWS provider; `terraform_data` is Terraform's built-in */
  readonly provider?: string;
}

/**
 * The approved-AMIs rule as an earlier apply left it in state, under the address `name` and the Config
 * rule name `ruleName`.
 */
export function savedApprovedAmisRule(
  name: string,
  ruleName: string,
  account: string,
  region: string,
  extra: Record<string, unknown> = {},
): SavedResource {
  return {
    type: "aws_config_config_rule",
    name,
    attributes: {
      id: ruleName,
      name: ruleName,
      arn: `arn:aws:config:${region}:${account}:config-rule/config-rule-abc123`,
      rule_id: "config-rule-abc123",
      source: [
        {
          owner: "AWS",
          source_identifier: "APPROVED_AMIS_BY_ID",
          source_detail: [],
          custom_policy_details: [],
        },
      ],
      tags: {},
      tags_all: {},
      ...extra,
    },
  };
}

/**
 * The stack's compliance-history bucket as an earlier apply left it in state: S3 completed the configured
 * prefix with a unique suffix on create.
 */
export function savedHistoryBucket(
  stack: SynthesizedStackJson,
  forceDestroy: boolean,
): SavedResource & { readonly bucket: string } {
  const name = onlyNameOf(stack, "aws_s3_bucket");
  const bucketPrefix = String(stack.resource?.aws_s3_bucket?.[name]?.bucket_prefix);
  const bucket = `${bucketPrefix}20261130000000000000000001`;
  return {
    type: "aws_s3_bucket",
    name,
    bucket,
    attributes: {
      id: bucket,
      bucket,
      bucket_prefix: bucketPrefix,
      arn: `arn:aws:s3:::${bucket}`,
      force_destroy: forceDestroy,
      tags: {},
      tags_all: {},
    },
  };
}

/**
 * Saves a Terraform state (format 4) beside a synthesized stack, where its local backend reads it: the
 * offline stand-in for resources an earlier apply created, since neither apply nor import works offline.
 */
export function saveLocalState(
  workspace: Workspace,
  stackName: string,
  resources: readonly SavedResource[],
): void {
  const backendPath = stackJson(workspace, stackName).terraform?.backend?.local?.path;
  if (!backendPath) throw new Error(`${stackName} has no local backend to save a state for`);
  const state = {
    version: 4,
    terraform_version: "1.11.4",
    serial: 1,
    lineage: "00000000-0000-4000-8000-000000000000",
    outputs: {},
    resources: resources.map((resource) => ({
      mode: "managed",
      type: resource.type,
      name: resource.name,
      provider: resource.provider ?? 'provider["registry.terraform.io/hashicorp/aws"]',
      instances: [{ schema_version: 0, attributes: resource.attributes, sensitive_attributes: [] }],
    })),
    check_results: null,
  };
  writeFileSync(path.join(workspace.synth.outdir, "stacks", stackName, backendPath), JSON.stringify(state));
}

/** Plans only the named stacks of a workspace, so a test pays for the Terraform runs it reads. */
export function planStacksOf(workspace: Workspace, stackNames: readonly string[]): Promise<PlanRun> {
  return planStacks({
    synthDir: workspace.synth.outdir,
    stackNames,
    scratchDir: path.join(workspace.root, "scratch"),
    plansDir: path.join(workspace.root, "plans"),
    concurrency: 2,
  });
}
