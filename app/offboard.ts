import { readFileSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";

/**
 * Offboarding one stack: stop Config's recorder, then destroy everything, keeping the compliance history
 * bucket unless the caller explicitly chose to delete it.
 *
 * Why it is not a plain `cdktf destroy`: Config keeps delivering snapshots to the bucket while the recorder
 * runs (https://docs.aws.amazon.com/config/latest/developerguide/stop-start-recorder.html), and S3 deletes a
 * bucket only once every object version and delete marker is gone
 * (https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteBucket.html: "All objects (including all
 * object versions and delete markers) in the bucket must be deleted before the bucket itself can be
 * deleted."). A destroy of a stack that ran for a day stops halfway on `BucketNotEmpty`.
 *
 * Each step is checked against the state first, so a rerun after any interruption does only what is left.
 */

export const OFFBOARD_OVERRIDE_FILE = "offboard_override.tf.json";

export interface TerraformResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface OffboardOptions {
  /** The stack's Terraform working directory (`cdktf.out/stacks/<stack>`), already initialized. */
  readonly dir: string;
  /** Runs terraform with these arguments in `dir`. */
  readonly terraform: (args: readonly string[]) => Promise<TerraformResult>;
  /** Delete the bucket and every snapshot in it instead of keeping it. @default false */
  readonly deleteComplianceHistory?: boolean;
  /** Progress lines for the user. @default - nothing */
  readonly log?: (line: string) => void;
}

export interface OffboardResult {
  /** The bucket left in the account with the compliance history, when it was kept. */
  readonly keptBucket?: string;
  /** True when the history bucket was deleted by this run. */
  readonly deletedHistory: boolean;
  /** Each step with what it did (`done`, or why it was skipped). */
  readonly steps: ReadonlyArray<{ readonly step: string; readonly outcome: string }>;
}

/** Offboarding stopped before changing anything, or a step failed; the message says which and how to go on. */
export class OffboardError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "OffboardError";
  }
}

interface StackJson {
  readonly resource?: Record<string, Record<string, Record<string, unknown>>>;
}

/** The addresses offboarding treats apart, read from the synthesized stack. */
export interface HistoryAddresses {
  /** `aws_config_configuration_recorder_status.<name>`, when the stack runs its own recorder. */
  readonly recorderStatus?: string;
  /** `aws_s3_bucket.<name>`, the bucket Config delivers to, when the stack creates one. */
  readonly bucket?: string;
  /** Resources configuring that bucket (versioning, encryption, lifecycle, policy, …): they stay with it. */
  readonly attachedToBucket: readonly string[];
}

function addressesOf(stack: StackJson, type: string): string[] {
  return Object.keys(stack.resource?.[type] ?? {}).map((name) => `${type}.${name}`);
}

/** Finds the recorder status, the history bucket and what is attached to it, by type and reference. */
export function historyAddresses(stack: StackJson): HistoryAddresses {
  const statuses = addressesOf(stack, "aws_config_configuration_recorder_status");
  const buckets = addressesOf(stack, "aws_s3_bucket");
  if (statuses.length > 1 || buckets.length > 1) {
    throw new OffboardError(
      `expected at most one recorder status and one bucket in the stack, found ${statuses.length} and ${buckets.length}`,
    );
  }
  const bucket = buckets[0];
  const attachedToBucket = bucket
    ? Object.entries(stack.resource ?? {})
        .filter(([type]) => type.startsWith("aws_s3_bucket_"))
        .flatMap(([type, byName]) =>
          Object.entries(byName)
            .filter(([, body]) => typeof body.bucket === "string" && body.bucket.includes(`\${${bucket}.`))
            .map(([name]) => `${type}.${name}`),
        )
        .sort()
    : [];
  return {
    ...(statuses[0] ? { recorderStatus: statuses[0] } : {}),
    ...(bucket ? { bucket } : {}),
    attachedToBucket,
  };
}

function outputOf(result: TerraformResult): string {
  // Terraform prints its error last: keep the end.
  const text = `${result.stdout}\n${result.stderr}`.trim();
  return text.length > 4000 ? `…${text.slice(-4000)}` : text;
}

/**
 * Offboards the stack in `dir`. Before changing anything it reads the state and plans the destroy, so
 * missing credentials, an unreachable backend or a resource that cannot be read stop it with nothing done.
 */
export async function offboardStack(options: OffboardOptions): Promise<OffboardResult> {
  const log = options.log ?? (() => undefined);
  const steps: { step: string; outcome: string }[] = [];
  const terraform = async (what: string, args: readonly string[]): Promise<TerraformResult> => {
    const result = await options.terraform(args);
    if (result.exitCode !== 0) {
      throw new OffboardError(
        `${what} failed (terraform ${args[0]} exited ${result.exitCode}):\n${outputOf(result)}`,
      );
    }
    return result;
  };
  const stack = JSON.parse(readFileSync(path.join(options.dir, "cdk.tf.json"), "utf8")) as StackJson;
  const addresses = historyAddresses(stack);
  const overrideFile = path.join(options.dir, OFFBOARD_OVERRIDE_FILE);
  // A force_destroy left by an interrupted run must not reach a later plan.
  rmSync(overrideFile, { force: true });

  // 1. Check: the state is readable and a destroy can be planned (credentials, backend, every resource).
  const inState = new Set(
    (await terraform("reading the state", ["state", "list"])).stdout
      .split("\n")
      .filter((line) => line !== ""),
  );
  await terraform("planning the destroy", [
    "plan",
    "-destroy",
    "-input=false",
    "-no-color",
    "-lock-timeout=60s",
  ]);
  const bucketInState = addresses.bucket !== undefined && inState.has(addresses.bucket);
  const bucketName = bucketInState ? await bucketNameOf(options, addresses.bucket as string) : undefined;
  if (options.deleteComplianceHistory && addresses.bucket && !bucketInState && inState.size > 0) {
    log(
      "The compliance history bucket is not in the state (kept by an earlier offboarding, or never created): this run cannot delete it.",
    );
  }
  steps.push({
    step: "check",
    outcome: `${inState.size} resource(s) in the state; the destroy plans cleanly`,
  });

  // 2. Stop the recorder, so no snapshot lands in the bucket while it is emptied or handed over.
  if (addresses.recorderStatus && inState.has(addresses.recorderStatus)) {
    log("Stopping the Config recorder…");
    await terraform("stopping the Config recorder", [
      "destroy",
      "-auto-approve",
      "-input=false",
      "-no-color",
      `-target=${addresses.recorderStatus}`,
    ]);
    steps.push({ step: "stop-recorder", outcome: "done" });
  } else {
    steps.push({
      step: "stop-recorder",
      outcome: addresses.recorderStatus
        ? "already stopped by an earlier run"
        : "the stack uses the account's own recorder",
    });
  }

  // 3. Keep the history (leave the bucket, unmanaged) or let Terraform empty it.
  let keptBucket: string | undefined;
  let deletedHistory = false;
  if (bucketInState && addresses.bucket) {
    if (options.deleteComplianceHistory) {
      log(`Deleting the compliance history in ${bucketName} (every object version)…`);
      const resourceName = addresses.bucket.slice("aws_s3_bucket.".length);
      writeFileSync(
        overrideFile,
        `${JSON.stringify({ resource: { aws_s3_bucket: { [resourceName]: { force_destroy: true } } } }, null, 2)}\n`,
      );
      try {
        // force_destroy lives in the state only: this apply changes nothing in AWS.
        await terraform("allowing the bucket to be emptied", [
          "apply",
          "-auto-approve",
          "-input=false",
          "-no-color",
          `-target=${addresses.bucket}`,
        ]);
        deletedHistory = true;
        steps.push({
          step: "history",
          outcome: "force_destroy set; the destroy empties and deletes the bucket",
        });
      } catch (error) {
        rmSync(overrideFile, { force: true });
        throw error;
      }
    } else {
      const kept = [addresses.bucket, ...addresses.attachedToBucket].filter((address) =>
        inState.has(address),
      );
      await terraform("handing the bucket over", ["state", "rm", "-lock-timeout=60s", ...kept]);
      keptBucket = bucketName;
      steps.push({
        step: "history",
        outcome: `kept ${bucketName}: ${kept.length} resource(s) removed from the state`,
      });
    }
  } else {
    steps.push({ step: "history", outcome: "no history bucket in the state" });
  }

  // 4. Destroy the rest.
  try {
    log("Destroying the stack's other resources…");
    await terraform("destroying the stack", ["destroy", "-auto-approve", "-input=false", "-no-color"]);
    steps.push({ step: "destroy", outcome: "done" });
  } finally {
    rmSync(overrideFile, { force: true });
  }
  return { ...(keptBucket ? { keptBucket } : {}), deletedHistory, steps };
}

async function bucketNameOf(options: OffboardOptions, address: string): Promise<string> {
  const shown = await options.terraform(["state", "show", "-no-color", address]);
  const name = /^\s*bucket\s*=\s*"([^"]+)"/m.exec(shown.stdout)?.[1];
  if (shown.exitCode !== 0 || !name) {
    throw new OffboardError(`reading the bucket's name from the state failed:\n${outputOf(shown)}`);
  }
  return name;
}
