import { CHECKOV_WAIVERS } from "../../tools/checkov-waivers";
import { CHECKOV_CHECKS, type CheckovCheck, runChecks } from "./checkov-checks";
import { everyStack, handlerBundleForTests, ref, type StackCase, type SynthesizedStack } from "./stacks";

/** The checks the platform team runs on these resource types. */
const REQUIRED_CHECKS = [
  "CKV_AWS_18",
  "CKV_AWS_19",
  "CKV_AWS_21",
  "CKV_AWS_26",
  "CKV_AWS_115",
  "CKV_AWS_116",
  "CKV_AWS_117",
  "CKV_AWS_145",
  "CKV_AWS_158",
  "CKV_AWS_173",
  "CKV_AWS_272",
  "CKV_AWS_301",
  "CKV_AWS_338",
  "CKV_AWS_364",
  "CKV2_AWS_6",
  "CKV2_AWS_61",
];

let cases: StackCase[];
beforeAll(async () => {
  cases = everyStack(await handlerBundleForTests());
});

const resultsOf = () => cases.flatMap(({ label, stack }) => runChecks(stack).map((r) => ({ ...r, label })));

describe("the checkov-equivalent suite over every mode's stacks", () => {
  it("encodes exactly the required checks", () => {
    expect(CHECKOV_CHECKS.map((c) => c.id).sort()).toEqual([...REQUIRED_CHECKS].sort());
  });

  it("evaluates every check on at least one resource somewhere", () => {
    const evaluated = new Set(resultsOf().map((r) => r.id));
    expect(REQUIRED_CHECKS.filter((id) => !evaluated.has(id))).toEqual([]);
  });

  it("passes every check that is not waived", () => {
    const failures = resultsOf()
      .filter((r) => !r.passed && !(r.id in CHECKOV_WAIVERS))
      .map((r) => `${r.label}: ${r.id} fails on ${r.resource}`);
    expect(failures).toEqual([]);
  });

  it("waives only checks that do fail, each with a written reason", () => {
    const failing = new Set(
      resultsOf()
        .filter((r) => !r.passed)
        .map((r) => r.id),
    );
    for (const [id, reason] of Object.entries(CHECKOV_WAIVERS)) {
      expect({ id, known: REQUIRED_CHECKS.includes(id), failing: failing.has(id) }).toEqual({
        id,
        known: true,
        failing: true,
      });
      expect(reason.length).toBeGreaterThan(60);
    }
  });
});

/** Resources that break every check, one per type, each named `bad`. */
const BAD: SynthesizedStack = {
  resource: {
    aws_s3_bucket: { bad: { bucket: "bad" } },
    aws_s3_bucket_server_side_encryption_configuration: {
      other: {
        bucket: ref("aws_s3_bucket.other.id"),
        rule: [{ apply_server_side_encryption_by_default: { sse_algorithm: "aws:kms" } }],
      },
    },
    aws_s3_bucket_public_access_block: {
      bad: { bucket: ref("aws_s3_bucket.bad.id"), block_public_acls: false, block_public_policy: true },
    },
    aws_s3_bucket_versioning: {
      bad: { bucket: ref("aws_s3_bucket.bad.id"), versioning_configuration: { status: "Suspended" } },
    },
    aws_s3_bucket_lifecycle_configuration: {
      bad: { bucket: ref("aws_s3_bucket.bad.id"), rule: [{ id: "x", status: "Disabled" }] },
    },
    aws_sns_topic: { bad: { name: "t" } },
    aws_lambda_function: { bad: { function_name: "f", environment: { variables: { A: "b" } } } },
    aws_lambda_permission: { bad: { principal: "*" }, service: { principal: "events.amazonaws.com" } },
    aws_cloudwatch_log_group: { bad: { name: "/l", retention_in_days: 30 } },
  },
  data: {},
};

describe("each encoded check fails on a resource built to break it", () => {
  it.each(REQUIRED_CHECKS)("%s fails on the bad resource", (id) => {
    const check = CHECKOV_CHECKS.find((c) => c.id === id) as CheckovCheck;
    const results = runChecks(BAD, [check]);
    expect(results.length).toBeGreaterThan(0);
    expect(results.some((r) => !r.passed)).toBe(true);
  });

  it("CKV_AWS_364 fails on a service permission without source, and CKV_AWS_301 passes it", () => {
    const [check364, check301] = ["CKV_AWS_364", "CKV_AWS_301"].map(
      (id) => CHECKOV_CHECKS.find((c) => c.id === id) as CheckovCheck,
    );
    const service = { principal: "events.amazonaws.com" };
    expect(check364?.passes(service, "service", BAD)).toBe(false);
    expect(check301?.passes(service, "service", BAD)).toBe(true);
  });
});
