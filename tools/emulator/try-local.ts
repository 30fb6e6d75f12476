import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import type { AmiGuardConfig, Target } from "../../app/config";
import { synthesizeAtomically } from "../../app/synth";
import { checkTerraformBinary } from "../terraform/terraform-cli";
import { AwsEmulator } from "./emulator";
import { EmulatedStack, failureOf, type TimedResult } from "./emulator-stack";
import { leftBehind, remainingResources } from "./inventory";
import { checkMotoServer } from "./moto-server";
import { launchAndRemediate, terminateInstances, type Walkthrough } from "./walkthrough";

export interface TryLocallyOptions {
  readonly config: AmiGuardConfig;
  /** One line at a time, for the user. */
  readonly say: (line: string) => void;
  /** @default process.env */
  readonly env?: NodeJS.ProcessEnv;
}

export interface TryLocallyResult {
  readonly stackName: string;
  readonly walkthrough: Walkthrough;
  /** Seconds per step. */
  readonly seconds: Readonly<Record<string, number>>;
  /** What the destroy left in the emulator besides keys pending deletion (nothing, when all went well). */
  readonly leftBehind: readonly string[];
}

/** The configuration's first event-driven target: the one mode where ami-guard's own function acts. */
export function targetToTry(config: AmiGuardConfig): Target {
  const target = config.targets.find((candidate) => candidate.mode === "event-driven" && !candidate.dryRun);
  if (!target) {
    throw new Error(
      'trying ami-guard locally needs a target in mode "event-driven" without dryRun in the configuration (the shipped ami-guard.config.json has one)',
    );
  }
  return target;
}

function check(step: string, result: TimedResult, seconds: Record<string, number>): TimedResult {
  seconds[step] = result.seconds;
  if (result.exitCode !== 0 && !(step === "second plan" && result.exitCode === 2)) {
    throw new Error(failureOf(step, result));
  }
  return result;
}

/**
 * Applies one target of the configuration to a local emulator (moto_server behind the emulator proxy),
 * launches an instance from an unapproved image and one from an approved AMI, lets the deployed function
 * and Config's remediation act, reports, and tears everything down, the emulator included.
 */
export async function tryLocally(options: TryLocallyOptions): Promise<TryLocallyResult> {
  const env = options.env ?? process.env;
  const { say } = options;
  checkMotoServer(env);
  await checkTerraformBinary(env);
  const target = targetToTry(options.config);
  const approvedAmiId = target.approvedAmiIds[0];
  if (!approvedAmiId) throw new Error(`${target.source} approves no AMI in ${target.region}`);
  const config: AmiGuardConfig = {
    ...options.config,
    targets: [target],
    aggregator: undefined,
    prevention: undefined,
  };
  const root = mkdtempSync(path.join(tmpdir(), "ami-guard-try-"));
  const seconds: Record<string, number> = {};
  let emulator: AwsEmulator | undefined;
  try {
    say(`Synthesizing ${target.source} (${target.accountId}, ${target.region}, ${target.mode})…`);
    const synth = await synthesizeAtomically(config, path.join(root, "cdktf.out"), root);
    const stackName = synth.stackNames[0] as string;
    say("Starting the local AWS emulator (moto_server behind the emulator proxy)…");
    emulator = await AwsEmulator.start({ accountIds: [target.accountId], env });
    const stack = await EmulatedStack.prepare({
      synthDir: synth.outdir,
      stackName,
      accountId: target.accountId,
      workDir: path.join(root, "work"),
      endpointUrl: emulator.url,
      env,
    });
    say(
      `Applying ${stackName} to the emulator (the AWS provider's own waits make this take a minute or two)…`,
    );
    check("apply", await stack.apply(), seconds);
    const second = check("second plan", await stack.plan(), seconds);
    say(
      second.exitCode === 0
        ? "A second plan shows no changes."
        : "A second plan still shows changes (see above).",
    );
    say("Launching an instance from an unapproved image and one from an approved AMI…");
    let walkthrough: Walkthrough | undefined;
    try {
      walkthrough = await launchAndRemediate({
        emulator,
        accountId: target.accountId,
        region: target.region,
        stackDir: stack.dir,
        approvedAmiId,
      });
    } finally {
      say("Tearing down…");
      await terminateInstances(
        emulator,
        target.accountId,
        target.region,
        walkthrough?.instances.map((instance) => instance.instanceId) ?? [],
      ).catch(() => undefined);
      check("destroy", await stack.destroy(["-refresh=false"]), seconds);
    }
    const remaining = leftBehind(await remainingResources(emulator.url, target.accountId, target.region));
    return {
      stackName,
      walkthrough,
      seconds,
      leftBehind: remaining.map((resource) => `${resource.kind} ${resource.name}`),
    };
  } finally {
    await emulator?.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

/** The short report the command prints. */
export function formatTryReport(result: TryLocallyResult): string {
  const rows = result.walkthrough.instances.map(
    (instance) =>
      `  ${instance.label.padEnd(10)} ${instance.instanceId.padEnd(20)} ${instance.imageId.padEnd(22)} ${instance.compliance.padEnd(14)} ${instance.decision.padEnd(18)} ${instance.finalState}`,
  );
  const runs = result.walkthrough.executions.map(
    (run) => `  ${run.configRuleName} → AWS-StopEC2Instance on ${run.resourceKey.resourceId}: ${run.state}`,
  );
  return [
    `ami-guard on a local emulator: ${result.stackName}`,
    "",
    `  ${"instance".padEnd(10)} ${"id".padEnd(20)} ${"AMI".padEnd(22)} ${"Config".padEnd(14)} ${"function".padEnd(18)} state`,
    ...rows,
    "",
    "Remediation runs:",
    ...(runs.length > 0 ? runs : ["  none"]),
    "",
    `Steps: ${Object.entries(result.seconds)
      .map(([step, seconds]) => `${step} ${seconds.toFixed(0)} s`)
      .join(", ")}.`,
    result.leftBehind.length === 0
      ? "Torn down: nothing is left in the emulator but a KMS key pending deletion, and the emulator has stopped."
      : `Torn down, but the emulator still held: ${result.leftBehind.join(", ")}.`,
    "Nothing was created in AWS: every call went to the emulator on 127.0.0.1.",
  ].join("\n");
}
