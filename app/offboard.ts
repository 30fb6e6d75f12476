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

/**
 * The check's refresh has just read every resource into the state: the steps after it use that state rather
 * than reading every resource again (about 60 calls, and most of a step's time, per step).
 */
const AFTER_CHECK = ["-refresh=false"] as const;

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
 * Offboards the stack in `dir`. Before changing anything in the account it reads every resource and plans
 * the destroy, so missing credentials, an unreachable backend or a resource that cannot be read stop it with
 * nothing done. Terraform reads the resources once: each later step works from the state that read left.
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

  // 1. Check: the state is readable, every resource in it can be read, and a destroy can be planned.
  // `state pull` reads the state without starting a provider.
  const pull = async () => stateResources((await terraform("reading the state", ["state", "pull"])).stdout);
  if ((await pull()).size === 0) {
    // An earlier run finished, or nothing was ever applied: there is nothing to read, stop or destroy.
    steps.push({ step: "check", outcome: "0 resource(s) in the state; nothing to destroy" });
    steps.push({
      step: "stop-recorder",
      outcome: addresses.recorderStatus
        ? "already stopped by an earlier run"
        : "the stack uses the account's own recorder",
    });
    steps.push({ step: "history", outcome: "no history bucket in the state" });
    steps.push({ step: "destroy", outcome: "nothing left to destroy" });
    return { deletedHistory: false, steps };
  }
  // Reads every resource once (credentials, each resource readable) and writes what it read to the state,
  // changing nothing in the account: the steps after it work from that state without reading it again.
  await terraform("reading every resource", [
    "apply",
    "-refresh-only",
    "-auto-approve",
    "-input=false",
    "-no-color",
    "-lock-timeout=60s",
  ]);
  const state = await pull();
  const inState = new Set(state.keys());
  await terraform("planning the destroy", [
    "plan",
    "-destroy",
    "-input=false",
    "-no-color",
    "-lock-timeout=60s",
    ...AFTER_CHECK,
  ]);
  const bucketInState = addresses.bucket !== undefined && inState.has(addresses.bucket);
  const bucketName = bucketInState ? bucketNameOf(state, addresses.bucket as string) : undefined;
  if (options.deleteComplianceHistory && addresses.bucket && !bucketInState) {
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
      ...AFTER_CHECK,
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
          ...AFTER_CHECK,
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
    await terraform("destroying the stack", [
      "destroy",
      "-auto-approve",
      "-input=false",
      "-no-color",
      ...AFTER_CHECK,
    ]);
    steps.push({ step: "destroy", outcome: "done" });
  } finally {
    rmSync(overrideFile, { force: true });
  }
  return { ...(keptBucket ? { keptBucket } : {}), deletedHistory, steps };
}

interface PulledState {
  readonly resources?: ReadonlyArray<{
    readonly module?: string;
    readonly mode: string;
    readonly type: string;
    readonly name: string;
    readonly instances?: ReadonlyArray<{
      readonly index_key?: string | number;
      readonly attributes?: Record<string, unknown>;
    }>;
  }>;
}

/**
 * Each address `terraform state list` would print, with the instance's attributes, from the state JSON
 * `terraform state pull` prints (empty when there is no state yet).
 */
export function stateResources(pulled: string): Map<string, Record<string, unknown>> {
  const found = new Map<string, Record<string, unknown>>();
  if (pulled.trim() === "") return found;
  let state: PulledState;
  try {
    state = JSON.parse(pulled) as PulledState;
  } catch (error) {
    throw new OffboardError(`the state terraform printed is not JSON: ${(error as Error).message}`);
  }
  for (const resource of state.resources ?? []) {
    const base = `${resource.module ? `${resource.module}.` : ""}${resource.mode === "data" ? "data." : ""}${resource.type}.${resource.name}`;
    for (const instance of resource.instances ?? []) {
      const key = instance.index_key;
      const index =
        key === undefined ? "" : typeof key === "number" ? `[${key}]` : `[${JSON.stringify(key)}]`;
      found.set(`${base}${index}`, instance.attributes ?? {});
    }
  }
  return found;
}

function bucketNameOf(state: Map<string, Record<string, unknown>>, address: string): string {
  const name = state.get(address)?.bucket;
  if (typeof name !== "string" || name === "") {
    throw new OffboardError(`the state holds ${address} without a bucket name`);
  }
  return name;
}
