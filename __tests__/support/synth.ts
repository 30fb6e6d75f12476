import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { Testing } from "cdktf";
import { AmiGuardStack } from "../../app/ami-guard-stack";
import type { AmiGuardConfig, Target } from "../../app/config";
import { buildLambdaBundle, type LambdaBundle } from "../../app/lambda-bundle";

let bundlePromise: Promise<LambdaBundle> | undefined;

/** The real handler bundle, built once per test file: stacks in event-driven mode need it. */
export function handlerBundle(): Promise<LambdaBundle> {
  bundlePromise ??= buildLambdaBundle({ outdir: mkdtempSync(path.join(tmpdir(), "ami-guard-test-bundle-")) });
  return bundlePromise;
}

function stackFor(config: AmiGuardConfig, bundle: LambdaBundle, target: Target = firstTarget(config)) {
  return new AmiGuardStack(Testing.app(), { config, target, bundle });
}

/** Synthesized stacks of this test file, by configuration and bundle: the same input gives the same text. */
const synthesized = new Map<string, string>();

/** The stack's Terraform JSON as the string cdktf's matchers take; each configuration synthesized once. */
export function synthStack(config: AmiGuardConfig, bundle: LambdaBundle): string {
  const key = JSON.stringify([config, bundle.sourceCodeHash, bundle.zipPath]);
  let text = synthesized.get(key);
  if (text === undefined) {
    text = Testing.synth(stackFor(config, bundle));
    synthesized.set(key, text);
  }
  return text;
}

interface SynthesizedStack {
  readonly resource?: Record<string, Record<string, Record<string, unknown>>>;
  readonly data?: Record<string, Record<string, Record<string, unknown>>>;
  readonly output?: Record<string, { value: unknown }>;
  readonly provider?: Record<string, Record<string, unknown>[]>;
  readonly terraform?: Record<string, unknown>;
}

export function parsedStack(config: AmiGuardConfig, bundle: LambdaBundle): SynthesizedStack {
  return JSON.parse(synthStack(config, bundle)) as SynthesizedStack;
}

/** The single resource of a type, failing loudly when there are none or several. */
export function onlyResource(stack: SynthesizedStack, type: string): Record<string, unknown> {
  const instances = Object.values(stack.resource?.[type] ?? {});
  if (instances.length !== 1) throw new Error(`expected exactly one ${type}, found ${instances.length}`);
  return instances[0] as Record<string, unknown>;
}

export function resourceTypes(stack: SynthesizedStack): string[] {
  return Object.keys(stack.resource ?? {}).sort();
}

/**
 * HCL for snapshots: formatted by `terraform fmt` so a reviewer reads it as Terraform, with the bundle's
 * content hashes replaced, so a handler change shows in its own tests rather than churning every snapshot.
 */
export function reviewableHcl(config: AmiGuardConfig, bundle: LambdaBundle): string {
  const hcl = String(Testing.synthHcl(stackFor(config, bundle)));
  const formatted = spawnSync("terraform", ["fmt", "-no-color", "-"], { input: hcl, encoding: "utf8" });
  if (formatted.error) {
    throw new Error(
      `the HCL snapshots need the "terraform" binary on PATH to format them: ${formatted.error.message}`,
    );
  }
  if (formatted.status !== 0)
    throw new Error(`terraform fmt refused the synthesized HCL:\n${formatted.stderr}`);
  return formatted.stdout
    .replaceAll(bundle.sourceCodeHash, "<source-code-hash>")
    .replace(/assets\/([\w-]+)\/[0-9A-F]{32}\//g, "assets/$1/<asset-hash>/")
    .replaceAll(path.resolve(__dirname, "..", ".."), "<repo>");
}

function firstTarget(config: AmiGuardConfig): Target {
  const [target] = config.targets;
  if (!target) throw new Error("the configuration has no target");
  return target;
}
