import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";

/**
 * Config's "Config Rules Compliance Change" event for an EC2 instance turning NON_COMPLIANT, in the shape
 * the AWS Config Developer Guide documents
 * (https://docs.aws.amazon.com/config/latest/developerguide/monitor-config-with-cloudwatchevents.html),
 * with placeholders {{ACCOUNT}}, {{REGION}}, {{RULE}}, {{INSTANCE}} for the drill and the tests to fill.
 */
export const SAMPLE_EVENT_PATH = path.resolve(__dirname, "sample-compliance-change-event.json");

/**
 * EC2's "EC2 Instance State-change Notification" for an instance entering `running`: the example the EC2
 * User Guide records (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/monitoring-instance-state-changes.html),
 * whose `state` is `pending` there and `running` here (one of the values the same page lists), with
 * placeholders {{ACCOUNT}}, {{REGION}}, {{INSTANCE}}.
 */
export const SAMPLE_INSTANCE_RUNNING_EVENT_PATH = path.resolve(
  __dirname,
  "sample-instance-running-event.json",
);

/**
 * SSM's "EC2 Automation Execution Status-change Notification", the example the Systems Manager User Guide
 * records (https://docs.aws.amazon.com/systems-manager/latest/userguide/monitoring-systems-manager-event-examples.html),
 * with the stop runbook as its Definition, `Failed` as its Status, and placeholders {{ACCOUNT}}, {{REGION}},
 * {{EXECUTION}}. It names the execution, not its parameters or role (AUTOMATION_STATUS_EVENT_FIELDS).
 */
export const SAMPLE_AUTOMATION_FAILED_EVENT_PATH = path.resolve(
  __dirname,
  "sample-automation-failed-event.json",
);

/** A well-formed instance id no real account has; the loopback answers for it as running and untagged. */
export const DRILL_INSTANCE_ID = "i-0d1a2b3c4d5e6f708";

interface SampleEventValues {
  readonly account: string;
  readonly region: string;
  readonly rule: string;
  readonly instance: string;
}

export type DrillEvent = Record<string, unknown>;

/** Raised when the recorded event cannot be read; the drill cannot prove anything without it. */
export class SampleEventError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SampleEventError";
  }
}

/** The template's text, read once per drill; the message names the path when it is missing. */
export function readSampleEventTemplate(file = SAMPLE_EVENT_PATH): string {
  if (!existsSync(file)) {
    throw new SampleEventError(`the recorded compliance-change event is missing: expected ${file}`);
  }
  return readFileSync(file, "utf8");
}

/** The template filled in for one stack; a fresh object each call, so variants never leak into each other. */
export function fillSampleEvent(template: string, values: SampleEventValues): DrillEvent {
  const text = template
    .replaceAll("{{ACCOUNT}}", values.account)
    .replaceAll("{{REGION}}", values.region)
    .replaceAll("{{RULE}}", values.rule)
    .replaceAll("{{INSTANCE}}", values.instance);
  const unfilled = /\{\{[A-Z_]+\}\}/.exec(text);
  if (unfilled)
    throw new SampleEventError(
      `the recorded event has a placeholder the drill does not fill: ${unfilled[0]}`,
    );
  return JSON.parse(text) as DrillEvent;
}

function detailOf(event: DrillEvent): Record<string, unknown> {
  return event.detail as Record<string, unknown>;
}

function evaluationOf(event: DrillEvent): Record<string, unknown> {
  return detailOf(event).newEvaluationResult as Record<string, unknown>;
}

function qualifierOf(event: DrillEvent): Record<string, unknown> {
  const identifier = evaluationOf(event).evaluationResultIdentifier as Record<string, unknown>;
  return identifier.evaluationResultQualifier as Record<string, unknown>;
}

interface EventVariant {
  /** How the step names it: "COMPLIANT", "other-rule", ... */
  readonly label: string;
  readonly make: (event: DrillEvent) => DrillEvent;
}

/** Events the pattern must not let through: each differs from the recorded one in one respect. */
export const IGNORED_VARIANTS: readonly EventVariant[] = [
  {
    label: "COMPLIANT",
    make: (event) => {
      evaluationOf(event).complianceType = "COMPLIANT";
      return event;
    },
  },
  {
    label: "NOT_APPLICABLE",
    make: (event) => {
      evaluationOf(event).complianceType = "NOT_APPLICABLE";
      return event;
    },
  },
  {
    label: "other-rule",
    make: (event) => {
      detailOf(event).configRuleName = "some-other-rule";
      qualifierOf(event).configRuleName = "some-other-rule";
      return event;
    },
  },
  {
    label: "other-detail-type",
    make: (event) => {
      event["detail-type"] = "Config Configuration Item Change";
      return event;
    },
  },
];
