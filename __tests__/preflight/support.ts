import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import type { AwsLoopback } from "../../tools/loopback/aws-loopback";
import { DYNAMODB_LOCKED_S3_BACKEND, rawConfig } from "../support/configs";
import { useAwsLoopback } from "../support/loopback";
import { ACCOUNT, REGION, RULE_NAME } from "./account";

/** The function's reservation in the test configuration; unset, no concurrency check runs. */
export const RESERVATION = 5;

/** An event-driven target with e-mails and an S3 backend locked by DynamoDB: every check runs. */
export function rawPreflightConfig(
  target: Record<string, unknown> = {},
  remediation: Record<string, unknown> = { reservedConcurrentExecutions: RESERVATION },
): Record<string, unknown> {
  return rawConfig({
    ruleName: RULE_NAME,
    remediation,
    targets: [{ accountId: ACCOUNT, region: REGION, ...target }],
    notifications: { emails: ["oncall@example.com"] },
    backend: DYNAMODB_LOCKED_S3_BACKEND,
  });
}

/** The loopback for the file's tests, with credentials of its own (see useAwsLoopback). */
export function useLoopbackAccount(started: (aws: AwsLoopback) => void): void {
  useAwsLoopback(
    (url) => ({
      AWS_ENDPOINT_URL: url,
      AWS_ACCESS_KEY_ID: "AKIALOOPBACK",
      AWS_SECRET_ACCESS_KEY: "loopback-secret",
    }),
    started,
  );
}

/**
 * A folder of its own for the tests of the enclosing block, removed after them; the function returned writes
 * a configuration to its config.json and returns that file's path, for AMI_GUARD_CONFIG.
 */
export function useConfigFile(): (config: unknown) => string {
  let folder = "";
  beforeAll(() => {
    folder = mkdtempSync(path.join(tmpdir(), "ami-guard-preflight-"));
  });
  afterAll(() => rmSync(folder, { recursive: true, force: true }));
  return (config) => {
    const file = path.join(folder, "config.json");
    writeFileSync(file, JSON.stringify(config));
    return file;
  };
}
