import {
  AUTOMATION_STATUS_CHANGE_EVENT,
  COMPLIANCE_CHANGE_EVENT,
  EC2_INSTANCE_RESOURCE_TYPE,
  type Guard,
  INSTANCE_STATE_CHANGE_EVENT,
} from "../lib/contract";
import {
  complianceChangeDetailSchema,
  describeIssues,
  eventEnvelopeSchema,
  instanceStateChangeDetailSchema,
} from "./event";
import type { HandlerSettings } from "./settings";

/**
 * Pure decisions: what to do with an event, and then with the instance it names. No I/O here, so every
 * branch is a plain function call in the tests.
 */

const CONFIG_SOURCE = COMPLIANCE_CHANGE_EVENT.source;
const COMPLIANCE_CHANGE_DETAIL_TYPE = COMPLIANCE_CHANGE_EVENT.detailType;
const COMPLIANCE_CHANGE_MESSAGE_TYPE = COMPLIANCE_CHANGE_EVENT.messageType;
const NON_COMPLIANT = COMPLIANCE_CHANGE_EVENT.nonCompliant;
const EC2_INSTANCE = EC2_INSTANCE_RESOURCE_TYPE;
/** EC2 tags every instance an Auto Scaling group launches with the group's name under this reserved key. */
export const AUTO_SCALING_GROUP_TAG = "aws:autoscaling:groupName";

const INSTANCE_ID = /^i-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;
/** Keeps the offending input on each issue, so the log line can say what arrived instead. */
const PARSE_OPTIONS = { reportInput: true } as const;

/** Why an event leads to no API call at all. */
export const IGNORE_REASONS = [
  "malformed-event",
  "other-source",
  "other-detail-type",
  "other-message-type",
  "other-account",
  "other-region",
  "not-non-compliant",
  "other-rule",
  "not-an-instance",
  "malformed-instance-id",
  "inconsistent-event",
  "not-running-state",
  /** A status change of another runbook, or of a run that did not fail. */
  "not-a-failed-stop",
  /** The instance lacks the tag of this pipeline's scope: another pipeline's, or nobody's. */
  "out-of-scope",
  /** A failed stop run as another automation role: another pipeline's failure. */
  "other-pipeline",
] as const;
export type IgnoreReason = (typeof IGNORE_REASONS)[number];

/**
 * Which event named the instance. A compliance change is Config's own word that it is NON_COMPLIANT; an
 * instance entering `running` is not, so Config is asked and anything but NON_COMPLIANT means do nothing.
 */
export type Trigger = "compliance-change" | "instance-running";

export interface RemediationTarget {
  readonly trigger: Trigger;
  readonly eventId: string;
  readonly ruleName: string;
  readonly instanceId: string;
  /** When Config recorded the NON_COMPLIANT result; the delay to our call is a metric. */
  readonly resultRecordedTime?: Date;
}

/** A run of the stop runbook ended unsuccessfully; whose it was is read from SSM before anyone is told. */
export interface FailedRun {
  readonly eventId: string;
  readonly executionId: string;
  readonly status: string;
}

export type EventDecision =
  | { readonly action: "remediate"; readonly target: RemediationTarget }
  | { readonly action: "check-failed-run"; readonly run: FailedRun }
  | {
      readonly action: "ignore";
      readonly reason: IgnoreReason;
      readonly eventId?: string;
      /** For malformed events, the validation problems; otherwise what was seen instead of what was wanted. */
      readonly details: readonly string[];
    };

function ignore(reason: IgnoreReason, details: readonly string[], eventId?: string): EventDecision {
  return { action: "ignore", reason, details, ...(eventId === undefined ? {} : { eventId }) };
}

function mismatch(field: string, seen: unknown, wanted: string): string {
  return `${field} is ${JSON.stringify(seen)}, not ${JSON.stringify(wanted)}`;
}

/**
 * Remediate only when every condition holds; each failed condition has its own reason. The top-level
 * `detail` copies of rule, resource and account must agree with the evaluation result when present: an
 * event that contradicts itself is not one to stop an instance over.
 */
export function decide(event: unknown, settings: HandlerSettings): EventDecision {
  const envelope = eventEnvelopeSchema.safeParse(event, PARSE_OPTIONS);
  if (!envelope.success) return ignore("malformed-event", describeIssues(envelope.error));
  const { id, source, account, region, detail } = envelope.data;
  const detailType = envelope.data["detail-type"];

  if (source === INSTANCE_STATE_CHANGE_EVENT.source) {
    return decideInstanceRunning(envelope.data, settings);
  }
  if (source === AUTOMATION_STATUS_CHANGE_EVENT.source) {
    return decideFailedRun(envelope.data, settings);
  }
  if (source !== CONFIG_SOURCE) {
    return ignore(
      "other-source",
      [
        `source is ${JSON.stringify(source)}, not ${JSON.stringify(CONFIG_SOURCE)} or ${JSON.stringify(INSTANCE_STATE_CHANGE_EVENT.source)}`,
      ],
      id,
    );
  }
  if (detailType !== COMPLIANCE_CHANGE_DETAIL_TYPE) {
    return ignore(
      "other-detail-type",
      [mismatch("detail-type", detailType, COMPLIANCE_CHANGE_DETAIL_TYPE)],
      id,
    );
  }
  if (detail.messageType !== COMPLIANCE_CHANGE_MESSAGE_TYPE) {
    return ignore(
      "other-message-type",
      [mismatch("detail.messageType", detail.messageType, COMPLIANCE_CHANGE_MESSAGE_TYPE)],
      id,
    );
  }
  const parsed = complianceChangeDetailSchema.safeParse(detail, PARSE_OPTIONS);
  if (!parsed.success) {
    return ignore(
      "malformed-event",
      describeIssues(parsed.error).map((line) => `detail.${line}`),
      id,
    );
  }
  const change = parsed.data;
  const result = change.newEvaluationResult;
  const qualifier = result.evaluationResultIdentifier.evaluationResultQualifier;

  if (account !== settings.accountId) {
    return ignore("other-account", [mismatch("account", account, settings.accountId)], id);
  }
  if (region !== settings.region)
    return ignore("other-region", [mismatch("region", region, settings.region)], id);
  if (result.complianceType !== NON_COMPLIANT) {
    return ignore(
      "not-non-compliant",
      [mismatch("complianceType", result.complianceType, NON_COMPLIANT)],
      id,
    );
  }
  if (qualifier.configRuleName !== settings.ruleName) {
    return ignore(
      "other-rule",
      [mismatch("configRuleName", qualifier.configRuleName, settings.ruleName)],
      id,
    );
  }
  if (qualifier.resourceType !== EC2_INSTANCE) {
    return ignore("not-an-instance", [mismatch("resourceType", qualifier.resourceType, EC2_INSTANCE)], id);
  }
  if (!INSTANCE_ID.test(qualifier.resourceId)) {
    return ignore("malformed-instance-id", [`resourceId ${JSON.stringify(qualifier.resourceId)}`], id);
  }

  const contradictions = [
    ["detail.configRuleName", change.configRuleName, qualifier.configRuleName],
    ["detail.resourceType", change.resourceType, qualifier.resourceType],
    ["detail.resourceId", change.resourceId, qualifier.resourceId],
    ["detail.awsAccountId", change.awsAccountId, account],
    ["detail.awsRegion", change.awsRegion, region],
  ]
    .filter(([, copy, authority]) => copy !== undefined && copy !== authority)
    .map(([field, copy, authority]) => mismatch(field as string, copy, authority as string));
  if (contradictions.length > 0) return ignore("inconsistent-event", contradictions, id);

  const recorded = result.resultRecordedTime === undefined ? undefined : new Date(result.resultRecordedTime);
  return {
    action: "remediate",
    target: {
      trigger: "compliance-change",
      eventId: id,
      ruleName: qualifier.configRuleName,
      instanceId: qualifier.resourceId,
      ...(recorded && !Number.isNaN(recorded.getTime()) ? { resultRecordedTime: recorded } : {}),
    },
  };
}

/**
 * An instance entering `running`, from EC2: the same account and region checks, the instance id from
 * `detail["instance-id"]`, and the rule the function was deployed for. The `resources` ARN, when present,
 * must name the same instance.
 */
function decideInstanceRunning(
  envelope: {
    readonly id: string;
    readonly account: string;
    readonly region: string;
    readonly "detail-type": string;
    readonly detail: Record<string, unknown>;
    readonly resources?: unknown;
  },
  settings: HandlerSettings,
): EventDecision {
  const { id, account, region, detail } = envelope;
  const detailType = envelope["detail-type"];
  if (detailType !== INSTANCE_STATE_CHANGE_EVENT.detailType) {
    return ignore(
      "other-detail-type",
      [mismatch("detail-type", detailType, INSTANCE_STATE_CHANGE_EVENT.detailType)],
      id,
    );
  }
  const parsed = instanceStateChangeDetailSchema.safeParse(detail, PARSE_OPTIONS);
  if (!parsed.success) {
    return ignore(
      "malformed-event",
      describeIssues(parsed.error).map((line) => `detail.${line}`),
      id,
    );
  }
  const instanceId = parsed.data["instance-id"];
  if (account !== settings.accountId) {
    return ignore("other-account", [mismatch("account", account, settings.accountId)], id);
  }
  if (region !== settings.region)
    return ignore("other-region", [mismatch("region", region, settings.region)], id);
  if (parsed.data.state !== INSTANCE_STATE_CHANGE_EVENT.running) {
    return ignore(
      "not-running-state",
      [mismatch("detail.state", parsed.data.state, INSTANCE_STATE_CHANGE_EVENT.running)],
      id,
    );
  }
  if (!INSTANCE_ID.test(instanceId)) {
    return ignore("malformed-instance-id", [`detail.instance-id ${JSON.stringify(instanceId)}`], id);
  }
  const resources = Array.isArray(envelope.resources) ? envelope.resources : [];
  const others = resources.filter(
    (arn) =>
      typeof arn !== "string" ||
      !/^arn:[a-z-]+:ec2:/.test(arn) ||
      !arn.endsWith(`:${region}:${account}:instance/${instanceId}`),
  );
  if (others.length > 0) {
    return ignore(
      "inconsistent-event",
      [`resources ${JSON.stringify(others)} do not name instance ${instanceId} of ${account} in ${region}`],
      id,
    );
  }
  return {
    action: "remediate",
    target: { trigger: "instance-running", eventId: id, ruleName: settings.ruleName, instanceId },
  };
}

const STOP_RUNBOOK = AUTOMATION_STATUS_CHANGE_EVENT.stopRunbook;
const FAILED_RUN_STATUSES: readonly string[] = AUTOMATION_STATUS_CHANGE_EVENT.failedStatuses;
const EXECUTION_ID = /^[0-9a-f-]{36}$/;

/** A failed run of the stop runbook, from SSM: checked here, attributed to a pipeline after a read. */
function decideFailedRun(
  envelope: {
    readonly id: string;
    readonly account: string;
    readonly region: string;
    readonly "detail-type": string;
    readonly detail: Record<string, unknown>;
  },
  settings: HandlerSettings,
): EventDecision {
  const { id, account, region, detail } = envelope;
  const detailType = envelope["detail-type"];
  if (detailType !== AUTOMATION_STATUS_CHANGE_EVENT.detailType) {
    return ignore(
      "other-detail-type",
      [mismatch("detail-type", detailType, AUTOMATION_STATUS_CHANGE_EVENT.detailType)],
      id,
    );
  }
  if (account !== settings.accountId) {
    return ignore("other-account", [mismatch("account", account, settings.accountId)], id);
  }
  if (region !== settings.region)
    return ignore("other-region", [mismatch("region", region, settings.region)], id);
  const { ExecutionId: executionId, Definition: definition, Status: status } = detail;
  if (typeof executionId !== "string" || !EXECUTION_ID.test(executionId)) {
    return ignore("malformed-event", [`detail.ExecutionId ${JSON.stringify(executionId)}`], id);
  }
  if (definition !== STOP_RUNBOOK || typeof status !== "string" || !FAILED_RUN_STATUSES.includes(status)) {
    return ignore(
      "not-a-failed-stop",
      [`detail.Definition ${JSON.stringify(definition)}, detail.Status ${JSON.stringify(status)}`],
      id,
    );
  }
  return { action: "check-failed-run", run: { eventId: id, executionId, status } };
}

/** What DescribeInstances tells the guard rails; `undefined` state when the instance is not visible. */
export interface InstanceFacts {
  readonly state?: string;
  readonly tags: Readonly<Record<string, string>>;
  /** The AMI the instance was launched from; DescribeInstances always returns it for a visible instance. */
  readonly imageId?: string;
}

export type Exemption =
  | { readonly exempt: true; readonly until?: Date }
  | { readonly exempt: false; readonly note?: string };

/**
 * `true` exempts for good; an ISO date (`2027-03-31` or a full timestamp) exempts until then. A date-only
 * value runs to the end of that day in UTC, which is what someone writing "until 31 March" means.
 * Anything else is no exemption: a typo must not keep an unapproved AMI running.
 */
export function readExemption(value: string | undefined, now: Date): Exemption {
  if (value === undefined) return { exempt: false };
  const text = value.trim();
  if (text.toLowerCase() === "true") return { exempt: true };
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(text);
  const isoTimestamp = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})$/.test(text);
  if (!dateOnly && !isoTimestamp) {
    return {
      exempt: false,
      note: `exemption tag value ${JSON.stringify(value)} is neither "true" nor an ISO date`,
    };
  }
  const until = new Date(dateOnly ? `${text}T23:59:59.999Z` : text);
  if (Number.isNaN(until.getTime()) || !isCalendarDate(text.slice(0, 10))) {
    return { exempt: false, note: `exemption tag value ${JSON.stringify(value)} is not a real date` };
  }
  if (until.getTime() <= now.getTime()) {
    return { exempt: false, note: `exemption expired at ${until.toISOString()}` };
  }
  return { exempt: true, until };
}

/** `Date` quietly rolls 2027-02-30 over to March 2; an exemption must name a day that exists. */
function isCalendarDate(yyyyMmDd: string): boolean {
  const [year, month, day] = yyyyMmDd.split("-").map(Number) as [number, number, number];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

export { GUARDS, type Guard } from "../lib/contract";

export type InstanceDecision =
  /** The instance lacks this pipeline's scope tag: another pipeline's instance, never ours to stop. */
  | { readonly action: "out-of-scope"; readonly detail: string }
  /** The instance's AMI is on the stack's list now: the event is older than the list. */
  | { readonly action: "approved-since"; readonly imageId: string; readonly detail: string }
  | { readonly action: "remediate"; readonly notes: readonly string[] }
  | { readonly action: "dry-run"; readonly notes: readonly string[] }
  /**
   * Left running, and logged and counted only: one message per instance would turn a scale-out into a mail
   * storm, so the stack's alarm on the count is what tells people, once per state change.
   */
  | {
      readonly action: "guard";
      readonly guard: Guard;
      readonly detail: string;
      /** The instance's group, for the log line the list of instances left running is queried from. */
      readonly autoScalingGroup?: string;
    }
  /** Try again later: the invocation fails so Lambda's asynchronous retries come back. */
  | { readonly action: "retry"; readonly detail: string };

/**
 * First, whether the event is still true: an event can be days old (a redrive from the failure queue, or
 * Lambda's own retries) and the list may have approved the instance's AMI since. The list the stack
 * deployed with the function is the same list the rule holds, so it answers without waiting for Config to
 * evaluate again. Then the guard rails, in order: an Auto Scaling group would relaunch the same AMI after a stop (a loop), so
 * the instance is left running and counted, and the stack's alarm on that count tells people; an exemption
 * is deliberate, so it is only logged and counted; a pending instance cannot be
 * stopped yet; one that is stopping, stopped or gone needs nothing. Dry-run comes last, so it reports what
 * would really happen.
 */
export function decideForInstance(
  facts: InstanceFacts,
  settings: HandlerSettings,
  now: Date,
): InstanceDecision {
  if (facts.state === undefined) {
    return { action: "retry", detail: "DescribeInstances does not show the instance yet" };
  }
  // Config's scope already keeps other instances out of the rule; the running-state rule sees every
  // instance, and a scope edited outside Terraform must not let one pipeline stop another's instances.
  if (settings.scopeTag && facts.tags[settings.scopeTag.key] !== settings.scopeTag.value) {
    const seen = facts.tags[settings.scopeTag.key];
    return {
      action: "out-of-scope",
      detail: `tag ${settings.scopeTag.key} is ${seen === undefined ? "absent" : JSON.stringify(seen)}, not ${JSON.stringify(settings.scopeTag.value)}`,
    };
  }
  if (facts.imageId !== undefined && settings.approvedAmiIds.includes(facts.imageId)) {
    return {
      action: "approved-since",
      imageId: facts.imageId,
      detail: `the instance runs ${facts.imageId}, which the stack's approved list holds now`,
    };
  }
  const group = facts.tags[AUTO_SCALING_GROUP_TAG];
  if (group !== undefined) {
    return {
      action: "guard",
      guard: "auto-scaling-group",
      detail: `in Auto Scaling group ${JSON.stringify(group)}, which would replace it with the same AMI`,
      autoScalingGroup: group,
    };
  }
  const exemption = readExemption(facts.tags[settings.exemptionTagKey], now);
  if (exemption.exempt) {
    return {
      action: "guard",
      guard: "exempt",
      detail: `tag ${settings.exemptionTagKey} exempts it${exemption.until ? ` until ${exemption.until.toISOString()}` : ""}`,
    };
  }
  if (facts.state === "pending") return { action: "retry", detail: "the instance is still pending" };
  if (facts.state !== "running") {
    return { action: "guard", guard: "not-running", detail: `the instance is ${facts.state}` };
  }
  const notes = exemption.note ? [exemption.note] : [];
  return settings.dryRun ? { action: "dry-run", notes } : { action: "remediate", notes };
}

/** Config's current result for the rule and the instance, from GetComplianceDetailsByResource. */
export interface CurrentEvaluation {
  /** `undefined` when Config holds no result of this rule for the instance. */
  readonly complianceType?: string;
  readonly resultRecordedTime?: Date;
}

export type EvaluationCheck = { readonly agrees: true } | { readonly agrees: false; readonly detail: string };

function describeEvaluation(evaluation: CurrentEvaluation): string {
  return evaluation.complianceType === undefined
    ? "holds no result of the rule for the instance"
    : `calls the instance ${evaluation.complianceType}${evaluation.resultRecordedTime ? ` (recorded ${evaluation.resultRecordedTime.toISOString()})` : ""}`;
}

/**
 * Before anything is stopped, Config must still call the instance NON_COMPLIANT. The AMI check above has
 * already found the AMI missing from the list, so any other answer means the function's list and the
 * rule's parameters differ (the rule edited outside Terraform, an apply that stopped half way): neither
 * side can be trusted, and the invocation fails so the event reaches the failure queue and its alarm.
 */
export function checkCurrentEvaluation(
  evaluation: CurrentEvaluation,
  imageId: string | undefined,
): EvaluationCheck {
  if (evaluation.complianceType === NON_COMPLIANT) return { agrees: true };
  return {
    agrees: false,
    detail: `the instance runs ${imageId ?? "an AMI DescribeInstances did not name"}, which the stack's list does not approve, but Config ${describeEvaluation(evaluation)}`,
  };
}

export type StartedInstanceDecision =
  /** Config calls it NON_COMPLIANT: read the instance and go on as for a compliance change. */
  | { readonly action: "proceed" }
  /** Config calls it COMPLIANT: an approved instance started. */
  | { readonly action: "approved-launch"; readonly detail: string }
  /** Config holds no verdict yet (a new instance), or NOT_APPLICABLE, INSUFFICIENT_DATA. */
  | { readonly action: "not-non-compliant"; readonly detail: string };

/**
 * An instance entering `running` is asked of Config before anything else: the rule fires for every start in
 * the region, and a scale-out of hundreds of instances must cost one Config read each and nothing more.
 * Only NON_COMPLIANT goes on. No result yet is the usual answer for a new instance (Config records it and
 * evaluates it minutes later, and that evaluation's own compliance change reaches the function), and the
 * running-state event is no reason to overrule Config either way.
 */
export function decideForStartedInstance(evaluation: CurrentEvaluation): StartedInstanceDecision {
  if (evaluation.complianceType === NON_COMPLIANT) return { action: "proceed" };
  const detail = `the instance entered running and Config ${describeEvaluation(evaluation)}`;
  if (evaluation.complianceType === COMPLIANCE_CHANGE_EVENT.compliant) {
    return { action: "approved-launch", detail };
  }
  return { action: "not-non-compliant", detail };
}

/** One read of DescribeRemediationExecutionStatus for the instance, after this invocation started it. */
export interface ExecutionStatus {
  /** QUEUED, IN_PROGRESS, SUCCEEDED, FAILED or UNKNOWN; `undefined` when Config lists no execution. */
  readonly state?: string;
  readonly invocationTime?: Date;
  /** Each step's error message, for the log line and notification of a failure. */
  readonly stepErrors: readonly string[];
}

export type ExecutionJudgement =
  | { readonly verdict: "confirmed"; readonly state: string }
  | { readonly verdict: "failed"; readonly detail: string }
  | { readonly verdict: "not-yet-visible" };

/**
 * How far a status may predate the start call and still be this start's: the two clocks are AWS's and
 * Lambda's, and an older status is the previous execution's, which says nothing about this one.
 */
export const EXECUTION_CLOCK_SKEW_MS = 60_000;

/**
 * StartRemediationExecution only asks Config to start the runbook; AWS documents neither which permissions
 * Config then checks nor how a refusal shows. An execution that fails at once (at initialisation, before
 * any SSM run exists, so no SSM event follows) shows as FAILED here: that must fail the invocation, or a
 * stop that never happened would be reported as started.
 */
export function judgeExecution(status: ExecutionStatus, startedAt: Date): ExecutionJudgement {
  const fresh =
    status.invocationTime === undefined ||
    status.invocationTime.getTime() >= startedAt.getTime() - EXECUTION_CLOCK_SKEW_MS;
  if (status.state === undefined || !fresh) return { verdict: "not-yet-visible" };
  if (status.state === "FAILED") {
    return {
      verdict: "failed",
      detail: status.stepErrors.length > 0 ? status.stepErrors.join("; ") : "no step reported an error",
    };
  }
  if (status.state === "IN_PROGRESS" || status.state === "SUCCEEDED") {
    return { verdict: "confirmed", state: status.state };
  }
  return { verdict: "not-yet-visible" };
}
