import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { type FunctionCode, functionCodeFromZip } from "../../lib/function-code";

export interface SynthesizedJson {
  readonly resource?: Record<string, Record<string, Record<string, unknown>>>;
  readonly data?: Record<string, Record<string, Record<string, unknown>>>;
}

/**
 * An empty but valid zip (its end-of-central-directory record alone): the constructs only copy and hash it,
 * so the real handler bundle would only slow these tests down.
 */
export function emptyFunctionZip(): FunctionCode {
  const folder = mkdtempSync(path.join(tmpdir(), "ami-guard-construct-"));
  const zipPath = path.join(folder, "handler.zip");
  writeFileSync(zipPath, Buffer.concat([Buffer.from([0x50, 0x4b, 0x05, 0x06]), Buffer.alloc(18)]));
  return functionCodeFromZip(zipPath);
}

/**
 * Attributes that are physical names in AWS: unique per account and region (IAM per account), so two
 * pipelines must never declare the same one. Role policies are named within their role, hence absent.
 */
const NAME_ATTRIBUTES: Readonly<Record<string, string>> = {
  aws_s3_bucket: "bucket_prefix",
  aws_iam_role: "name",
  aws_config_configuration_recorder: "name",
  aws_config_delivery_channel: "name",
  aws_config_config_rule: "name",
  aws_kms_alias: "name",
  aws_sns_topic: "name",
  aws_sqs_queue: "name",
  aws_cloudwatch_event_rule: "name",
  aws_cloudwatch_log_group: "name",
  aws_lambda_function: "function_name",
  aws_cloudwatch_metric_alarm: "alarm_name",
  aws_cloudwatch_dashboard: "dashboard_name",
};

/** `type name` for every named resource whose name is written out rather than referenced. */
export function physicalNames(stack: SynthesizedJson, addressPrefix = ""): string[] {
  return Object.entries(stack.resource ?? {})
    .flatMap(([type, byAddress]) => {
      const attribute = NAME_ATTRIBUTES[type];
      if (!attribute) return [];
      return Object.entries(byAddress)
        .filter(([address]) => address.startsWith(addressPrefix))
        .map(([, resource]) => resource[attribute])
        .filter((name): name is string => typeof name === "string" && !name.includes("${"))
        .map((name) => `${type} ${name}`);
    })
    .sort();
}

/** The types physicalNames reads, so a test can prove it knows every named type a pipeline creates. */
export const NAMED_RESOURCE_TYPES = Object.keys(NAME_ATTRIBUTES);
