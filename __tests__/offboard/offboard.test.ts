import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import {
  historyAddresses,
  OFFBOARD_OVERRIDE_FILE,
  offboardStack,
  stateResources,
  type TerraformResult,
} from "../../app/offboard";

const RELEASE_STACK = path.resolve(
  __dirname,
  "../emulator/fixtures/release-0.1.0/ami-guard-111122223333-eu-central-1.tf.json",
);
const stackJson = () => JSON.parse(readFileSync(RELEASE_STACK, "utf8"));

const BUCKET = "aws_s3_bucket.recording_bucket_7AD9695C";
const RECORDER_STATUS = "aws_config_configuration_recorder_status.recording_recorder-status_72E3A56C";

/** A stack folder holding the synthesized stack, and a scripted terraform that records every call. */
function fakeStack(answers: (args: readonly string[]) => TerraformResult) {
  const dir = mkdtempSync(path.join(tmpdir(), "ami-guard-offboard-"));
  cpSync(RELEASE_STACK, path.join(dir, "cdk.tf.json"));
  const calls: string[][] = [];
  const terraform = async (args: readonly string[]) => {
    calls.push([...args]);
    return answers(args);
  };
  return { dir, calls, terraform, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

const ok = (stdout = ""): TerraformResult => ({ exitCode: 0, stdout, stderr: "" });
const VERSIONING = "aws_s3_bucket_versioning.recording_versioning_DB45363B";

/** What `terraform state pull` prints for a state holding these addresses (`type.name`). */
function pulledState(addresses: readonly string[]): string {
  return JSON.stringify({
    version: 4,
    resources: addresses.map((address) => {
      const [type, name] = address.split(".") as [string, string];
      return {
        mode: "managed",
        type,
        name,
        instances: [{ attributes: type === "aws_s3_bucket" ? { bucket: "ami-guard-config-2026" } : {} }],
      };
    }),
  });
}
const deployedState = pulledState([BUCKET, RECORDER_STATUS, VERSIONING]);

describe("historyAddresses", () => {
  it("finds the recorder status, the history bucket and everything configuring that bucket", () => {
    const found = historyAddresses(stackJson());
    expect(found.recorderStatus).toBe(RECORDER_STATUS);
    expect(found.bucket).toBe(BUCKET);
    expect(found.attachedToBucket.map((address) => address.split(".")[0])).toEqual([
      "aws_s3_bucket_lifecycle_configuration",
      "aws_s3_bucket_ownership_controls",
      "aws_s3_bucket_policy",
      "aws_s3_bucket_public_access_block",
      "aws_s3_bucket_server_side_encryption_configuration",
      "aws_s3_bucket_versioning",
    ]);
  });

  it("finds nothing to keep in a stack that reuses the account's recorder", () => {
    expect(historyAddresses({ resource: { aws_config_config_rule: { rule: {} } } })).toEqual({
      attachedToBucket: [],
    });
  });
});

describe("offboardStack", () => {
  it("changes nothing when the destroy cannot be planned", async () => {
    // Given credentials that cannot read the stack's resources
    const stack = fakeStack((args) =>
      args[0] === "plan"
        ? { exitCode: 1, stdout: "", stderr: "Error: AccessDenied: config:DescribeConfigRules" }
        : ok(args[1] === "pull" ? deployedState : ""),
    );
    try {
      // Then offboarding fails, naming the error, before stopping, removing or destroying anything
      await expect(offboardStack({ dir: stack.dir, terraform: stack.terraform })).rejects.toThrow(
        /planning the destroy failed[\s\S]*config:DescribeConfigRules/,
      );
      expect(stack.calls.map((args) => args.slice(0, 2).join(" "))).toEqual([
        "state pull",
        "apply -refresh-only",
        "state pull",
        "plan -destroy",
      ]);
    } finally {
      stack.cleanup();
    }
  });

  it("stops the recorder before the bucket leaves the state, and destroys last", async () => {
    const stack = fakeStack((args) => ok(args[1] === "pull" ? deployedState : ""));
    try {
      const result = await offboardStack({ dir: stack.dir, terraform: stack.terraform });
      const order = stack.calls.map((args) => args.slice(0, 2).join(" "));
      expect(order).toEqual([
        "state pull",
        "apply -refresh-only",
        "state pull",
        "plan -destroy",
        "destroy -auto-approve",
        "state rm",
        "destroy -auto-approve",
      ]);
      expect(stack.calls[4]).toContain(`-target=${RECORDER_STATUS}`);
      expect(stack.calls[5]).toEqual(expect.arrayContaining([BUCKET, VERSIONING]));
      expect(result.keptBucket).toBe("ami-guard-config-2026");
    } finally {
      stack.cleanup();
    }
  });

  it("sets force_destroy only when the history is to be deleted, and removes the override afterwards", async () => {
    let overrideSeen = false;
    const stack = fakeStack((args) => {
      if (args[0] === "apply") overrideSeen = existsSync(path.join(stack.dir, OFFBOARD_OVERRIDE_FILE));
      return ok(args[1] === "pull" ? deployedState : "");
    });
    try {
      const result = await offboardStack({
        dir: stack.dir,
        terraform: stack.terraform,
        deleteComplianceHistory: true,
      });
      expect(overrideSeen).toBe(true);
      expect(stack.calls.some((args) => args[0] === "state" && args[1] === "rm")).toBe(false);
      expect(result.deletedHistory).toBe(true);
      expect(existsSync(path.join(stack.dir, OFFBOARD_OVERRIDE_FILE))).toBe(false);
    } finally {
      stack.cleanup();
    }
  });

  it("reads every resource once, in the check, and no step after it reads them again", async () => {
    const stack = fakeStack((args) => ok(args[1] === "pull" ? deployedState : ""));
    try {
      await offboardStack({ dir: stack.dir, terraform: stack.terraform, deleteComplianceHistory: true });
      const reading = stack.calls.filter(
        (args) => args[0] === "plan" || args[0] === "apply" || args[0] === "destroy",
      );
      expect(reading[0]).toEqual(expect.arrayContaining(["apply", "-refresh-only"]));
      expect(
        reading.slice(1).map((args) => [args.slice(0, 2).join(" "), args.includes("-refresh=false")]),
      ).toEqual([
        ["plan -destroy", true],
        ["destroy -auto-approve", true],
        ["apply -auto-approve", true],
        ["destroy -auto-approve", true],
      ]);
    } finally {
      stack.cleanup();
    }
  });

  it("runs nothing after reading an empty state: an earlier run finished", async () => {
    const stack = fakeStack((args) => ok(args[1] === "pull" ? pulledState([]) : ""));
    try {
      const result = await offboardStack({ dir: stack.dir, terraform: stack.terraform });
      expect(stack.calls).toEqual([["state", "pull"]]);
      expect(result.steps).toEqual([
        { step: "check", outcome: "0 resource(s) in the state; nothing to destroy" },
        { step: "stop-recorder", outcome: "already stopped by an earlier run" },
        { step: "history", outcome: "no history bucket in the state" },
        { step: "destroy", outcome: "nothing left to destroy" },
      ]);
    } finally {
      stack.cleanup();
    }
  });
});

describe("stateResources", () => {
  it("names each instance as terraform state list does, data sources, modules and keys included", () => {
    const pulled = JSON.stringify({
      version: 4,
      resources: [
        { mode: "managed", type: "aws_s3_bucket", name: "b", instances: [{ attributes: { bucket: "x" } }] },
        { mode: "data", type: "aws_region", name: "current", instances: [{ attributes: {} }] },
        {
          module: "module.m",
          mode: "managed",
          type: "aws_sqs_queue",
          name: "q",
          instances: [{ index_key: 0 }, { index_key: "a" }],
        },
      ],
    });
    expect([...stateResources(pulled).keys()]).toEqual([
      "aws_s3_bucket.b",
      "data.aws_region.current",
      "module.m.aws_sqs_queue.q[0]",
      'module.m.aws_sqs_queue.q["a"]',
    ]);
    expect(stateResources(pulled).get("aws_s3_bucket.b")).toEqual({ bucket: "x" });
  });

  it("reads no state as empty, and refuses output that is not a state", () => {
    expect(stateResources("").size).toBe(0);
    expect(() => stateResources("Error: Failed to load state")).toThrow(/not JSON/);
  });
});
