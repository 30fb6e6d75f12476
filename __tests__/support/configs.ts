import type { AmiGuardConfig } from "../../app/config";
import { ConfigError, parseConfig } from "../../app/config/load";
import type { RecorderChoice, RemediationMode } from "../../app/config/schema";

export const APPROVED_AMI = "ami-0abcdef1234567890";
export const DOC_ACCOUNT = "111122223333";

/** An S3 state backend locked by a DynamoDB table, as a raw configuration's `backend`. */
export const DYNAMODB_LOCKED_S3_BACKEND = {
  type: "s3",
  bucket: "ami-guard-state",
  region: "eu-west-1",
  locking: "dynamodb",
  dynamodbTable: "locks",
} as const;

/** A minimal valid raw configuration; tests override what they are about. */
export function rawConfig(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    approvedAmiIds: [APPROVED_AMI],
    targets: [{ accountId: DOC_ACCOUNT, region: "eu-central-1" }],
    ...overrides,
  };
}

/** One target in the given mode and recorder choice. */
export function singleTargetConfig(
  mode: RemediationMode,
  recorder: RecorderChoice = "create",
): AmiGuardConfig {
  return parseConfig(
    rawConfig({
      remediation: { mode },
      targets: [{ accountId: DOC_ACCOUNT, region: "eu-central-1", recorder }],
    }),
  );
}

export const ALL_MODES: readonly RemediationMode[] = ["audit", "manual", "automatic", "event-driven"];
export const ALL_RECORDERS: readonly RecorderChoice[] = ["create", "existing"];

/** The organization's two stacks beside the targets: an aggregator and a prevention policy, in one management account. */
export const ORGANIZATION_STACKS = {
  aggregator: { accountId: "999988887777", region: "eu-central-1" },
  prevention: {
    accountId: "999988887777",
    region: "us-east-1",
    state: "audit_mode",
    imageProviders: ["amazon"],
    targetIds: ["r-ab12"],
  },
} as const;

/** The problems a configuration is refused for, or a failure if it is accepted. */
export function problemsOf(raw: unknown): readonly string[] {
  try {
    parseConfig(raw);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error("the configuration was accepted");
}
