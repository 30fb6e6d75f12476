import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { TerraformOutput, TerraformStack } from "cdktf";
import { AmiGuardStack } from "../../app/ami-guard-stack";
import { buildApp } from "../../app/app";
import type { AmiGuardConfig } from "../../app/config";
import { parseConfig } from "../../app/config/load";
import { RECORDER_CHOICES, REMEDIATION_MODES } from "../../app/config/schema";
import type { LambdaBundle } from "../../app/lambda-bundle";
import { emptyFunctionZip } from "../construct/support";
import { ORGANIZATION_STACKS } from "../support/configs";

/**
 * AmiGuardStack skips cdktf's preparing pass, which exists to wire references between stacks. That is
 * only sound while no stack of the app refers to another: these tests synthesize with cdktf's own pass
 * run first and require the very same bytes, and show the comparison catches a reference that crosses.
 */

/**
 * Every mode, the recorder choices taking turns, and the organization's aggregator and prevention stacks
 * beside them.
 */
function everyKindOfStack(): AmiGuardConfig {
  const targets = REMEDIATION_MODES.map((mode, modeIndex) => ({
    accountId: String(modeIndex + 1).repeat(12),
    region: "eu-central-1",
    mode,
    recorder: RECORDER_CHOICES[modeIndex % RECORDER_CHOICES.length],
  }));
  return parseConfig(
    {
      approvedAmiIds: ["ami-0abcdef1234567890"],
      notifications: { emails: ["platform-alerts@example.com"] },
      targets,
      ...ORGANIZATION_STACKS,
    },
    "every kind of stack",
  );
}

const bundle: LambdaBundle = { ...emptyFunctionZip(), bundleBytes: 0, zipBytes: 22, fromCache: false };

/** Synthesizes the app into a folder of its own and returns every file it wrote, by relative path. */
function synthesized(
  config: AmiGuardConfig,
  options: { readonly withCdktfPreparingPass: boolean; readonly crossStackOutput?: boolean },
): Map<string, string> {
  const outdir = mkdtempSync(path.join(tmpdir(), "ami-guard-preparing-pass-"));
  const app = buildApp(config, { outdir, bundle });
  const stacks = app.node.children.filter((child): child is AmiGuardStack => child instanceof AmiGuardStack);
  const [first, second] = stacks;
  if (options.crossStackOutput && first && second) {
    new TerraformOutput(second, "first_stack_rule", { value: first.pipeline.rule.arn });
  }
  if (options.withCdktfPreparingPass) {
    for (const stack of stacks) TerraformStack.prototype.prepareStack.call(stack);
  }
  app.synth();
  const files = new Map<string, string>();
  for (const entry of readdirSync(outdir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) {
      const file = path.join(entry.parentPath, entry.name);
      files.set(path.relative(outdir, file), readFileSync(file, "utf8"));
    }
  }
  return files;
}

/** The check itself: the same files, with the same bytes, whether cdktf's preparing pass ran or not. */
function expectTheSameBytesWithoutThePass(config: AmiGuardConfig, crossStackOutput: boolean): void {
  const withPass = synthesized(config, { withCdktfPreparingPass: true, crossStackOutput });
  const withoutPass = synthesized(config, { withCdktfPreparingPass: false, crossStackOutput });
  expect([...withPass.keys()].filter((file) => file.endsWith("cdk.tf.json"))).toHaveLength(
    REMEDIATION_MODES.length + 2,
  );
  expect(withoutPass).toEqual(withPass);
}

describe("synthesis without cdktf's preparing pass", () => {
  const config = everyKindOfStack();

  it("writes every kind of stack byte for byte as cdktf's own pass does", () => {
    expectTheSameBytesWithoutThePass(config, false);
  });

  it("would fail the check above once a stack refers to another", () => {
    // cdktf's pass wires the reference through an output of the first stack (or refuses its name);
    // without the pass the second stack would name a resource it does not have.
    expect(() => expectTheSameBytesWithoutThePass(config, true)).toThrow();
  });
});
