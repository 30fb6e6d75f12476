import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import {
  historyAddresses,
  OFFBOARD_OVERRIDE_FILE,
  offboardStack,
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
const stateList = [BUCKET, RECORDER_STATUS, "aws_s3_bucket_versioning.recording_versioning_DB45363B"].join(
  "\n",
);

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
        : ok(stateList),
    );
    try {
      // Then offboarding fails, naming the error, before stopping, removing or destroying anything
      await expect(offboardStack({ dir: stack.dir, terraform: stack.terraform })).rejects.toThrow(
        /planning the destroy failed[\s\S]*config:DescribeConfigRules/,
      );
      expect(stack.calls.map((args) => args[0])).toEqual(["state", "plan"]);
    } finally {
      stack.cleanup();
    }
  });

  it("stops the recorder before the bucket leaves the state, and destroys last", async () => {
    const stack = fakeStack((args) =>
      args[0] === "state" && args[1] === "show"
        ? ok('  bucket = "ami-guard-config-2026"\n')
        : ok(args[1] === "list" ? stateList : ""),
    );
    try {
      const result = await offboardStack({ dir: stack.dir, terraform: stack.terraform });
      const order = stack.calls.map((args) => args.slice(0, 2).join(" "));
      expect(order).toEqual([
        "state list",
        "plan -destroy",
        "state show",
        "destroy -auto-approve",
        "state rm",
        "destroy -auto-approve",
      ]);
      expect(stack.calls[3]).toContain(`-target=${RECORDER_STATUS}`);
      expect(stack.calls[4]).toEqual(
        expect.arrayContaining([BUCKET, "aws_s3_bucket_versioning.recording_versioning_DB45363B"]),
      );
      expect(result.keptBucket).toBe("ami-guard-config-2026");
    } finally {
      stack.cleanup();
    }
  });

  it("sets force_destroy only when the history is to be deleted, and removes the override afterwards", async () => {
    let overrideSeen = false;
    const stack = fakeStack((args) => {
      if (args[0] === "apply") overrideSeen = existsSync(path.join(stack.dir, OFFBOARD_OVERRIDE_FILE));
      return args[0] === "state" && args[1] === "show"
        ? ok('  bucket = "ami-guard-config-2026"\n')
        : ok(args[1] === "list" ? stateList : "");
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
});
