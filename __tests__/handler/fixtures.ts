import { readFileSync } from "node:fs";
import type { LogFields, MetricDimension, Observability } from "../../handler/observability";
import type { HandlerSettings } from "../../handler/settings";
import type { MetricName } from "../../lib/contract";
import { SAMPLE_EVENT_PATH, SAMPLE_INSTANCE_RUNNING_EVENT_PATH } from "../../tools/drill/sample-event";

export const ACCOUNT = "111122223333";
export const REGION = "eu-central-1";
export const RULE = "approved-amis-by-id";
export const INSTANCE = "i-0123456789abcdef0";
export const TOPIC_ARN = `arn:aws:sns:${REGION}:${ACCOUNT}:ami-guard-notifications`;
export const EXEMPTION_TAG = "ami-guard:exempt";
/** On the stack's list. */
export const APPROVED_AMI = "ami-0abcdef1234567890";
/** Not on it: the AMI the instances in these tests run unless a test says otherwise. */
export const UNAPPROVED_AMI = "ami-0123456789abcdef0";

interface SamplePlaceholders {
  readonly account?: string;
  readonly region?: string;
  readonly instance?: string;
  readonly rule?: string;
}

/** Tests break the sample event field by field, at any depth. */
// biome-ignore lint/suspicious/noExplicitAny: a test event is mutated freely, the decision under test validates it
export type MutableEvent = Record<string, any>;

/** The recorded compliance-change event with its placeholders filled in; a fresh copy on every call. */
export function sampleEvent(values: SamplePlaceholders = {}): MutableEvent {
  const text = readFileSync(SAMPLE_EVENT_PATH, "utf8")
    .replaceAll("{{ACCOUNT}}", values.account ?? ACCOUNT)
    .replaceAll("{{REGION}}", values.region ?? REGION)
    .replaceAll("{{INSTANCE}}", values.instance ?? INSTANCE)
    .replaceAll("{{RULE}}", values.rule ?? RULE);
  return JSON.parse(text);
}

/** The recorded instance-running event with its placeholders filled in; a fresh copy on every call. */
export function sampleRunningEvent(values: Omit<SamplePlaceholders, "rule"> = {}): MutableEvent {
  const text = readFileSync(SAMPLE_INSTANCE_RUNNING_EVENT_PATH, "utf8")
    .replaceAll("{{ACCOUNT}}", values.account ?? ACCOUNT)
    .replaceAll("{{REGION}}", values.region ?? REGION)
    .replaceAll("{{INSTANCE}}", values.instance ?? INSTANCE);
  return JSON.parse(text);
}

export function settings(overrides: Partial<HandlerSettings> = {}): HandlerSettings {
  return {
    ruleName: RULE,
    accountId: ACCOUNT,
    region: REGION,
    dryRun: false,
    exemptionTagKey: EXEMPTION_TAG,
    topicArn: TOPIC_ARN,
    approvedAmiIds: [APPROVED_AMI],
    ...overrides,
  };
}

interface LogLine {
  readonly level: "info" | "warn" | "error";
  readonly message: string;
  readonly fields: LogFields;
}

interface MetricRecord {
  readonly name: MetricName;
  readonly value: number;
  readonly dimension?: MetricDimension;
}

/** Records what the handler logs and counts, and the keys in force when each line was written. */
export class RecordingObservability implements Observability {
  readonly lines: LogLine[] = [];
  readonly metrics: MetricRecord[] = [];
  invocationsEnded = 0;
  private keys: LogFields = {};

  appendKeys(keys: LogFields): void {
    this.keys = { ...this.keys, ...keys };
  }
  info(message: string, fields: LogFields = {}): void {
    this.lines.push({ level: "info", message, fields: { ...this.keys, ...fields } });
  }
  warn(message: string, fields: LogFields = {}): void {
    this.lines.push({ level: "warn", message, fields: { ...this.keys, ...fields } });
  }
  error(message: string, fields: LogFields = {}): void {
    this.lines.push({ level: "error", message, fields: { ...this.keys, ...fields } });
  }
  count(name: MetricName, dimension?: MetricDimension): void {
    this.metrics.push({ name, value: 1, ...(dimension ? { dimension } : {}) });
  }
  milliseconds(name: MetricName, value: number): void {
    this.metrics.push({ name, value });
  }
  endInvocation(): void {
    this.invocationsEnded += 1;
    this.keys = {};
  }

  metricNames(): string[] {
    return this.metrics.map((metric) => metric.name);
  }
  decisions(): unknown[] {
    return this.lines.map((line) => line.fields.decision).filter((decision) => decision !== undefined);
  }
}

/** What DescribeRemediationExecutionStatus says once Config has started the runbook for the instance. */
export function executionInProgress(instanceId = INSTANCE, invokedAt = new Date("2026-01-01T00:00:00Z")) {
  return {
    RemediationExecutionStatuses: [
      {
        ResourceKey: { resourceType: "AWS::EC2::Instance" as const, resourceId: instanceId },
        State: "IN_PROGRESS" as const,
        InvocationTime: invokedAt,
      },
    ],
  };
}
