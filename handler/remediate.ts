import {
  DescribeRemediationExecutionStatusCommand,
  GetComplianceDetailsByResourceCommand,
  StartRemediationExecutionCommand,
} from "@aws-sdk/client-config-service";
import { DescribeInstancesCommand } from "@aws-sdk/client-ec2";
import { PublishCommand } from "@aws-sdk/client-sns";
import { GetAutomationExecutionCommand } from "@aws-sdk/client-ssm";
import {
  AUTO_SCALING_GROUP_LOG_FIELD,
  EC2_INSTANCE_RESOURCE_TYPE as EC2_INSTANCE,
  METRIC,
} from "../lib/contract";
import type { AwsClients } from "./clients";
import {
  type CurrentEvaluation,
  checkCurrentEvaluation,
  decide,
  decideForInstance,
  decideForStartedInstance,
  type ExecutionJudgement,
  type ExecutionStatus,
  type FailedRun,
  type InstanceFacts,
  judgeExecution,
  type RemediationTarget,
} from "./decision";
import type { Observability } from "./observability";
import type { HandlerSettings } from "./settings";

export interface HandlerDependencies {
  /** Throws when the environment is incomplete; called on every invocation, so tests can vary it. */
  readonly settings: () => HandlerSettings;
  readonly clients: () => AwsClients;
  readonly observability: Observability;
  readonly now: () => Date;
  /** Waits between reads of the execution's status; tests pass one that returns at once. */
  readonly sleep: (milliseconds: number) => Promise<void>;
}

export type Outcome =
  | "ignored"
  | "guarded"
  | "approved-since"
  | "dry-run"
  | "remediation-started"
  | "remediation-already-running"
  /** An instance-running event for an instance Config calls COMPLIANT: an approved instance started. */
  | "approved-launch"
  /** An instance-running event for an instance Config holds no verdict on yet (a new instance). */
  | "not-non-compliant"
  /** A failed stop run as this pipeline's automation role: its people were told. */
  | "failed-run-notified";

/** What the invocation did; Lambda discards it for asynchronous invocations, tests and drills read it. */
export interface HandlerResult {
  readonly outcome: Outcome;
  readonly reason?: string;
  readonly instanceId?: string;
}

/** Config refused to start the remediation and no execution for the instance is running. */
export class RemediationRefusedError extends Error {
  constructor(readonly failureMessage: string | undefined) {
    super(`Config did not start the remediation: ${failureMessage ?? "(no FailureMessage)"}`);
    this.name = "RemediationRefusedError";
  }
}

/** The stack's list says the AMI is unapproved and Config's current result disagrees: stop nothing. */
export class ComplianceDisagreementError extends Error {
  constructor(readonly detail: string) {
    super(`not remediated, the approved list and Config disagree: ${detail}`);
    this.name = "ComplianceDisagreementError";
  }
}

/** Config accepted the start, then reported the execution FAILED before it stopped anything. */
export class RemediationExecutionFailedError extends Error {
  constructor(readonly detail: string) {
    super(`Config started the remediation, and its execution failed at once: ${detail}`);
    this.name = "RemediationExecutionFailedError";
  }
}

/**
 * Reads of the execution's status after starting it, and the wait between them: enough for an execution
 * that fails at initialisation to show, well inside the function's 30 s timeout.
 */
export const EXECUTION_STATUS_READS = 4;
export const EXECUTION_STATUS_INTERVAL_MS = 1500;

/** Thrown on purpose so Lambda's asynchronous retries try again later (a pending instance). */
export class RetryLaterError extends Error {
  constructor(detail: string) {
    super(`not remediated yet, retry later: ${detail}`);
    this.name = "RetryLaterError";
  }
}

/** Executions in these states are the one a duplicate delivery is refused for. */
const IN_FLIGHT_STATES = new Set(["QUEUED", "IN_PROGRESS"]);

export async function handleEvent(event: unknown, deps: HandlerDependencies): Promise<HandlerResult> {
  const obs = deps.observability;
  obs.count(METRIC.eventsReceived);
  let settings: HandlerSettings;
  try {
    settings = deps.settings();
  } catch (error) {
    obs.error("cannot read the function's settings", { decision: "failed", error: errorFields(error) });
    throw error;
  }

  const decision = decide(event, settings);
  if (decision.action === "ignore") {
    obs.info("event ignored", {
      decision: "ignored",
      reason: decision.reason,
      details: decision.details,
      ...(decision.eventId === undefined ? {} : { eventId: decision.eventId }),
    });
    obs.count(METRIC.eventsIgnored, { name: "Reason", value: decision.reason });
    return { outcome: "ignored", reason: decision.reason };
  }

  if (decision.action === "check-failed-run") {
    return reportFailedRun(decision.run, settings, deps.clients(), obs);
  }

  const { target } = decision;
  obs.appendKeys({
    eventId: target.eventId,
    trigger: target.trigger,
    rule: target.ruleName,
    instanceId: target.instanceId,
  });
  const clients = deps.clients();
  try {
    return await remediate(target, settings, clients, deps);
  } catch (error) {
    if (error instanceof RetryLaterError) {
      obs.warn("remediation deferred", { decision: "deferred", error: errorFields(error) });
      obs.count(METRIC.remediationsDeferred);
      throw error;
    }
    const unread = error instanceof StartedInstanceUnreadError;
    const cause = unread ? error.cause : error;
    obs.error("remediation failed", {
      decision: "failed",
      error: errorFields(cause),
      ...(unread ? { notified: false } : {}),
    });
    obs.count(METRIC.remediationsFailed);
    if (!unread) {
      await notify(clients, settings, obs, "remediation failed", target, {
        outcome: "failed",
        error: errorFields(cause),
      });
    }
    throw cause;
  }
}

/**
 * Config could not be asked about a started instance (throttled by a burst of starts, say). Nothing is known
 * of the instance, so no message names it, or a throttled scale-out would send one per start: the failure
 * is logged and counted, the remediation-failures alarm notifies once, and Lambda retries the event.
 */
class StartedInstanceUnreadError extends Error {
  constructor(override readonly cause: unknown) {
    super("Config's result for the started instance could not be read");
    this.name = "StartedInstanceUnreadError";
  }
}

async function remediate(
  target: RemediationTarget,
  settings: HandlerSettings,
  clients: AwsClients,
  deps: HandlerDependencies,
): Promise<HandlerResult> {
  const obs = deps.observability;
  const instanceId = target.instanceId;
  if (target.trigger === "instance-running") {
    // Config first: every start in the region arrives here, and only a NON_COMPLIANT one is worth more.
    let evaluation: CurrentEvaluation;
    try {
      evaluation = await currentEvaluation(clients, target);
    } catch (error) {
      throw new StartedInstanceUnreadError(error);
    }
    const started = decideForStartedInstance(evaluation);
    if (started.action === "approved-launch") {
      obs.info("started instance is approved", { decision: "approved-launch", detail: started.detail });
      obs.count(METRIC.approvedLaunches);
      return { outcome: "approved-launch", instanceId };
    }
    if (started.action === "not-non-compliant") {
      obs.info("remediation skipped: Config does not call the started instance NON_COMPLIANT", {
        decision: "not-non-compliant",
        detail: started.detail,
      });
      obs.count(METRIC.runningNotNonCompliant);
      return { outcome: "not-non-compliant", instanceId };
    }
  }
  const facts = await describeInstance(clients, instanceId);
  const verdict = decideForInstance(facts, settings, deps.now());

  switch (verdict.action) {
    case "out-of-scope":
      obs.info("event ignored", { decision: "ignored", reason: "out-of-scope", details: [verdict.detail] });
      obs.count(METRIC.eventsIgnored, { name: "Reason", value: "out-of-scope" });
      return { outcome: "ignored", reason: "out-of-scope", instanceId };
    case "retry":
      throw new RetryLaterError(verdict.detail);
    case "approved-since":
      obs.info("remediation skipped: the AMI is approved now", {
        decision: "approved-since",
        imageId: verdict.imageId,
        detail: verdict.detail,
      });
      obs.count(METRIC.approvedSinceSkips);
      return { outcome: "approved-since", instanceId };
    case "guard":
      // No message per instance: a scale-out would send hundreds. The count's alarm notifies once, and
      // this line is what the query behind it lists (INSTANCES_LEFT_RUNNING_QUERY).
      obs.info("remediation skipped by a guard rail", {
        decision: "guarded",
        guard: verdict.guard,
        detail: verdict.detail,
        ...(verdict.autoScalingGroup === undefined
          ? {}
          : { [AUTO_SCALING_GROUP_LOG_FIELD]: verdict.autoScalingGroup }),
      });
      obs.count(METRIC.guardSkips, { name: "Guard", value: verdict.guard });
      return { outcome: "guarded", reason: verdict.guard, instanceId };
    case "dry-run":
      await confirmNonCompliant(clients, target, facts.imageId);
      // No message per instance, as for a guard: a scale-out in dry run would send hundreds. The count's
      // alarm notifies once per state change, and this line is what the query behind it lists
      // (DRY_RUN_INSTANCES_QUERY).
      obs.info("dry run: would start remediation", {
        decision: "dry-run",
        notes: verdict.notes,
        ...(facts.imageId === undefined ? {} : { imageId: facts.imageId }),
      });
      obs.count(METRIC.dryRuns);
      return { outcome: "dry-run", instanceId };
    case "remediate":
      await confirmNonCompliant(clients, target, facts.imageId);
      return startRemediation(target, settings, clients, deps, verdict.notes);
  }
}

async function startRemediation(
  target: RemediationTarget,
  settings: HandlerSettings,
  clients: AwsClients,
  deps: HandlerDependencies,
  notes: readonly string[],
): Promise<HandlerResult> {
  const obs = deps.observability;
  const resourceKey = { resourceType: EC2_INSTANCE, resourceId: target.instanceId } as const;
  if (target.resultRecordedTime) {
    obs.milliseconds(
      METRIC.remediationDelay,
      Math.max(0, deps.now().getTime() - target.resultRecordedTime.getTime()),
    );
  }
  const startedAt = deps.now();
  const response = await clients.config.send(
    new StartRemediationExecutionCommand({ ConfigRuleName: target.ruleName, ResourceKeys: [resourceKey] }),
  );
  if ((response.FailedItems ?? []).length > 0) {
    // The API does not document how it refuses a second execution for a key whose first is still running;
    // the execution's own status does say it, so a refusal counts as success only when one is in flight.
    const state = await executionState(clients, target);
    if (state !== undefined && IN_FLIGHT_STATES.has(state)) {
      obs.info("remediation already running", {
        decision: "already-running",
        executionState: state,
        failureMessage: response.FailureMessage,
      });
      obs.count(METRIC.remediationsAlreadyRunning);
      return { outcome: "remediation-already-running", instanceId: target.instanceId };
    }
    throw new RemediationRefusedError(response.FailureMessage);
  }
  const execution = await confirmExecution(clients, target, deps, startedAt);
  obs.info("remediation started", {
    decision: "remediated",
    notes,
    executionState: execution.verdict === "confirmed" ? execution.state : "not yet visible",
  });
  obs.count(METRIC.remediationsStarted);
  await notify(clients, settings, obs, "stopping instance", target, {
    outcome: "remediation-started",
    notes,
  });
  return { outcome: "remediation-started", instanceId: target.instanceId };
}

/**
 * Every pipeline runs the same AWS-owned runbook and SSM's event names neither parameters nor role
 * (AUTOMATION_STATUS_EVENT_FIELDS in lib/aws-facts.ts): the run's own parameters say whose it was. A run as
 * another role is another pipeline's, or an operator's own, and is left to them.
 */
async function reportFailedRun(
  run: FailedRun,
  settings: HandlerSettings,
  clients: AwsClients,
  obs: Observability,
): Promise<HandlerResult> {
  obs.appendKeys({ eventId: run.eventId, executionId: run.executionId });
  if (!settings.automationRoleArn || !clients.ssm) {
    // A deployment that routes failed runs here without saying whose are its own must not drop them.
    throw new Error("a failed run arrived, but the function was not deployed with its automation role");
  }
  const response = await clients.ssm.send(
    new GetAutomationExecutionCommand({ AutomationExecutionId: run.executionId }),
  );
  const execution = response.AutomationExecution;
  const role = execution?.Parameters?.AutomationAssumeRole?.[0];
  if (role !== settings.automationRoleArn) {
    const details = [
      `AutomationAssumeRole is ${JSON.stringify(role)}, not ${JSON.stringify(settings.automationRoleArn)}`,
    ];
    obs.info("event ignored", { decision: "ignored", reason: "other-pipeline", details });
    obs.count(METRIC.eventsIgnored, { name: "Reason", value: "other-pipeline" });
    return { outcome: "ignored", reason: "other-pipeline" };
  }
  const instanceIds = execution?.Parameters?.InstanceId ?? [];
  obs.warn("stop run failed", { decision: "failed-run", status: run.status, instanceIds });
  try {
    await clients.sns.send(
      new PublishCommand({
        TopicArn: settings.topicArn,
        Subject: `ami-guard: stop ${run.status.toLowerCase()} for ${instanceIds.join(", ") || "an instance"}`
          .replace(/[^\x20-\x7e]/g, "?")
          .slice(0, 100),
        Message: JSON.stringify(
          {
            outcome: "stop-run-failed",
            status: run.status,
            executionId: run.executionId,
            instanceIds,
            failureMessage: execution?.FailureMessage,
            account: settings.accountId,
            region: settings.region,
            eventId: run.eventId,
          },
          null,
          2,
        ),
      }),
    );
  } catch (error) {
    // Unlike a started stop, this notification is the whole point: the invocation fails and Lambda retries.
    obs.count(METRIC.notificationsFailed);
    throw error;
  }
  // Counted once told, so a retry after a refused publish does not count the same run twice.
  obs.count(METRIC.stopRunsFailed);
  return { outcome: "failed-run-notified" };
}

async function describeInstance(clients: AwsClients, instanceId: string): Promise<InstanceFacts> {
  try {
    const response = await clients.ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
    const instance = (response.Reservations ?? [])
      .flatMap((reservation) => reservation.Instances ?? [])
      .find((candidate) => candidate.InstanceId === instanceId);
    if (!instance) return { tags: {} };
    const tags: Record<string, string> = {};
    for (const tag of instance.Tags ?? []) if (tag.Key !== undefined) tags[tag.Key] = tag.Value ?? "";
    return { state: instance.State?.Name, tags, imageId: instance.ImageId };
  } catch (error) {
    // EC2 is eventually consistent: an instance Config just recorded may not be visible to this call yet.
    if (errorName(error) === "InvalidInstanceID.NotFound") return { tags: {} };
    throw error;
  }
}

/** Evaluations of every rule for one resource; a few pages at most, unless the account runs many rules. */
const MAX_EVALUATION_PAGES = 20;

/**
 * Returns when Config calls the instance NON_COMPLIANT now, and throws otherwise. An instance-running event
 * asked Config before anything else and came this far only on NON_COMPLIANT, so it is not asked twice.
 */
async function confirmNonCompliant(
  clients: AwsClients,
  target: RemediationTarget,
  imageId: string | undefined,
): Promise<void> {
  if (target.trigger === "instance-running") return;
  const check = checkCurrentEvaluation(await currentEvaluation(clients, target), imageId);
  if (!check.agrees) throw new ComplianceDisagreementError(check.detail);
}

/**
 * GetComplianceDetailsByResource rather than ...ByConfigRule: it is asked about the one instance, so it
 * answers in a page or two however many instances the rule evaluates; its results cover every rule that
 * evaluates the instance, so the rule's own is picked out.
 */
async function currentEvaluation(clients: AwsClients, target: RemediationTarget): Promise<CurrentEvaluation> {
  let nextToken: string | undefined;
  for (let page = 0; page < MAX_EVALUATION_PAGES; page += 1) {
    const response = await clients.config.send(
      new GetComplianceDetailsByResourceCommand({
        ResourceType: EC2_INSTANCE,
        ResourceId: target.instanceId,
        ...(nextToken ? { NextToken: nextToken } : {}),
      }),
    );
    const result = (response.EvaluationResults ?? []).find(
      (candidate) =>
        candidate.EvaluationResultIdentifier?.EvaluationResultQualifier?.ConfigRuleName === target.ruleName,
    );
    if (result) {
      return {
        ...(result.ComplianceType ? { complianceType: result.ComplianceType } : {}),
        ...(result.ResultRecordedTime ? { resultRecordedTime: result.ResultRecordedTime } : {}),
      };
    }
    nextToken = response.NextToken;
    if (!nextToken) break;
  }
  return {};
}

async function executionStatus(clients: AwsClients, target: RemediationTarget): Promise<ExecutionStatus> {
  const response = await clients.config.send(
    new DescribeRemediationExecutionStatusCommand({
      ConfigRuleName: target.ruleName,
      ResourceKeys: [{ resourceType: EC2_INSTANCE, resourceId: target.instanceId }],
    }),
  );
  const status = response.RemediationExecutionStatuses?.find(
    (candidate) => candidate.ResourceKey?.resourceId === target.instanceId,
  );
  return {
    state: status?.State,
    invocationTime: status?.InvocationTime,
    stepErrors: (status?.StepDetails ?? [])
      .filter((step) => step.ErrorMessage)
      .map((step) => `${step.Name ?? "step"}: ${step.ErrorMessage}`),
  };
}

async function executionState(clients: AwsClients, target: RemediationTarget): Promise<string | undefined> {
  return (await executionStatus(clients, target)).state;
}

/**
 * Reads the execution's status until it shows this start's execution running or failed, a few times at
 * most. One that never shows within the reads is left to the failed-stop notification, which reports any
 * SSM run of the runbook that ends badly.
 */
async function confirmExecution(
  clients: AwsClients,
  target: RemediationTarget,
  deps: HandlerDependencies,
  startedAt: Date,
): Promise<ExecutionJudgement> {
  let judgement: ExecutionJudgement = { verdict: "not-yet-visible" };
  for (let read = 0; read < EXECUTION_STATUS_READS; read += 1) {
    if (read > 0) await deps.sleep(EXECUTION_STATUS_INTERVAL_MS);
    judgement = judgeExecution(await executionStatus(clients, target), startedAt);
    if (judgement.verdict === "failed") throw new RemediationExecutionFailedError(judgement.detail);
    if (judgement.verdict === "confirmed") return judgement;
  }
  return judgement;
}

/** SNS subjects are at most 100 printable ASCII characters. */
function subjectFor(headline: string, target: RemediationTarget): string {
  return `ami-guard: ${target.instanceId} ${headline}`.replace(/[^\x20-\x7e]/g, "?").slice(0, 100);
}

/**
 * Best effort: a notification that cannot be sent is logged and counted, and never turns a started
 * remediation into a failed invocation (a retry would only be refused as a duplicate).
 */
async function notify(
  clients: AwsClients,
  settings: HandlerSettings,
  obs: Observability,
  headline: string,
  target: RemediationTarget,
  body: Readonly<Record<string, unknown>>,
): Promise<void> {
  const message = {
    ...body,
    instanceId: target.instanceId,
    rule: target.ruleName,
    account: settings.accountId,
    region: settings.region,
    eventId: target.eventId,
    trigger: target.trigger,
    dryRun: settings.dryRun,
  };
  try {
    await clients.sns.send(
      new PublishCommand({
        TopicArn: settings.topicArn,
        Subject: subjectFor(headline, target),
        Message: JSON.stringify(message, null, 2),
      }),
    );
  } catch (error) {
    obs.warn("notification not sent", { error: errorFields(error) });
    obs.count(METRIC.notificationsFailed);
  }
}

function errorName(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}

function errorFields(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { message: String(error) };
  const metadata = (error as { $metadata?: { httpStatusCode?: number; attempts?: number } }).$metadata;
  return {
    name: error.name,
    message: error.message,
    ...(metadata ? { httpStatusCode: metadata.httpStatusCode, attempts: metadata.attempts } : {}),
  };
}
