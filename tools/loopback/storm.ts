/**
 * A scale-out storm replayed through the real handler: 1,000 instances entering `running` within 60 s of
 * simulated time, then the compliance changes Config sends for the new ones, EventBridge's duplicates and
 * Lambda's retries. Every event goes through the stack's own EventBridge patterns, every invocation through
 * `createHandler` with the SDK clients the function builds, against the loopback server speaking the AWS
 * wire protocols. Nothing sleeps: each invocation is handed the simulated time of its delivery.
 *
 * The in-process handler stands in for Lambda's many concurrent copies; the as-deployed tests prove the
 * bundle behaves as this source does, one process per event, which would take minutes for 1,700 events.
 *
 * `npm run storm` prints the report; `__tests__/handler/storm.test.ts` asserts it.
 */
import { createAwsClients } from "../../handler/clients";
import { AUTO_SCALING_GROUP_TAG } from "../../handler/decision";
import { createHandler, type HandlerResult } from "../../handler/index";
import type { LogFields, MetricDimension, Observability } from "../../handler/observability";
import { readSettings } from "../../handler/settings";
import {
  ALARM_EVALUATION,
  type AlarmName,
  AUTO_SCALING_GUARD_METRIC,
  DRY_RUN_METRIC,
} from "../../lib/alarms";
import { ALARM_ACTIONS_ON_TRANSITION_ONLY } from "../../lib/aws-facts";
import {
  APPROVED_AMI_IDS_SEPARATOR,
  AUTO_SCALING_GROUP_LOG_FIELD,
  GUARDS,
  type Guard,
  HANDLER_ENVIRONMENT,
  METRIC,
  type MetricName,
  OUTCOME_METRICS,
} from "../../lib/contract";
import { instanceRunningEventPattern, remediationEventPattern } from "../../lib/event-pattern";
import { matchesEventPattern } from "../drill/event-pattern-matcher";
import {
  fillSampleEvent,
  readSampleEventTemplate,
  SAMPLE_EVENT_PATH,
  SAMPLE_INSTANCE_RUNNING_EVENT_PATH,
} from "../drill/sample-event";
import {
  AwsLoopback,
  configError,
  configEvaluation,
  configJson,
  ec2Instances,
  queryError,
  type RecordedRequest,
} from "./aws-loopback";

const ACCOUNT = "111122223333";
const REGION = "eu-central-1";
const RULE = "approved-amis-by-id";
const APPROVED_AMI = "ami-0abcdef1234567890";
const UNAPPROVED_AMI = "ami-0123456789abcdef0";
const EXEMPTION_TAG = "ami-guard:exempt";
const TOPIC_ARN = `arn:aws:sns:${REGION}:${ACCOUNT}:ami-guard-notifications`;
/** The scale-out's group, and a warm pool whose stopped instances start again. */
const STORM_GROUPS = { scaleOut: "web-fleet", warmPool: "batch-warm-pool" } as const;

/** How many instances of each kind start in the window. */
export interface StormMix {
  /** New instances an Auto Scaling group launches on an unapproved AMI (Config has not evaluated them). */
  readonly autoScalingNew: number;
  /** Warm-pool instances of a group started again, which Config already calls NON_COMPLIANT. */
  readonly autoScalingRestarts: number;
  /** New instances on an approved AMI. */
  readonly approvedNew: number;
  /** Approved instances started again (a morning schedule): Config already calls them COMPLIANT. */
  readonly approvedRestarts: number;
  /** New instances on an unapproved AMI, in no group. */
  readonly standaloneNew: number;
  /** Unapproved instances stopped before and started again by someone: Config still calls them NON_COMPLIANT. */
  readonly standaloneRestarts: number;
  /** New unapproved instances tagged exempt. */
  readonly exemptNew: number;
  /** Of the new standalone ones, how many EC2 does not show yet when their compliance change arrives. */
  readonly notYetVisible: number;
  /** Of the new standalone ones' compliance changes, how many EventBridge delivers twice. */
  readonly duplicates: number;
  /**
   * Of the group's new instances, how many find Config throttling their read on every attempt the SDK makes,
   * so the first invocation fails and Lambda's retry reads it.
   */
  readonly throttledStarts: number;
}

/** 1,000 starts: half of them one group's scale-out on an unapproved AMI. */
export const STORM_MIX: StormMix = {
  autoScalingNew: 500,
  autoScalingRestarts: 10,
  approvedNew: 150,
  approvedRestarts: 100,
  standaloneNew: 150,
  standaloneRestarts: 40,
  exemptNew: 50,
  notYetVisible: 20,
  duplicates: 10,
  throttledStarts: 30,
};

export const STORM_WINDOW_MS = 60_000;
/** When Config has recorded and evaluated the new instances, after the first start. */
const EVALUATION_DELAY_MS = 120_000;
/** Lambda's first asynchronous retry comes about a minute after a failed invocation. */
const LAMBDA_RETRY_DELAY_MS = 60_000;
/** Lambda's asynchronous invocation: the first attempt and two retries. */
const LAMBDA_ATTEMPTS = 3;
/** The SDK's attempts per call, as the function's clients make them (handler/clients.ts). */
const SDK_ATTEMPTS = 3;
/** Invocations in flight at once: Lambda runs many copies, and the loopback serves them concurrently. */
const CONCURRENCY = 16;
const START = new Date("2026-12-07T09:00:00Z");

type Kind = keyof Omit<StormMix, "notYetVisible" | "duplicates" | "throttledStarts">;

interface StormInstance {
  readonly id: string;
  readonly kind: Kind;
  readonly imageId: string;
  readonly tags: Readonly<Record<string, string>>;
  /** Config's result when the instance starts: restarts were evaluated before, new ones were not. */
  readonly evaluatedAtStart?: "COMPLIANT" | "NON_COMPLIANT";
  /** Config's result once it has evaluated a new instance. */
  readonly evaluatedLater?: "COMPLIANT" | "NON_COMPLIANT";
}

function instancesOf(mix: StormMix): StormInstance[] {
  const instances: StormInstance[] = [];
  const add = (kind: Kind, count: number, build: Omit<StormInstance, "id" | "kind">) => {
    for (let n = 0; n < count; n += 1) {
      instances.push({ id: `i-0${instances.length.toString(16).padStart(16, "0")}`, kind, ...build });
    }
  };
  const scaleOut = { [AUTO_SCALING_GROUP_TAG]: STORM_GROUPS.scaleOut };
  add("autoScalingNew", mix.autoScalingNew, {
    imageId: UNAPPROVED_AMI,
    tags: scaleOut,
    evaluatedLater: "NON_COMPLIANT",
  });
  add("autoScalingRestarts", mix.autoScalingRestarts, {
    imageId: UNAPPROVED_AMI,
    tags: { [AUTO_SCALING_GROUP_TAG]: STORM_GROUPS.warmPool },
    evaluatedAtStart: "NON_COMPLIANT",
  });
  add("approvedNew", mix.approvedNew, { imageId: APPROVED_AMI, tags: {}, evaluatedLater: "COMPLIANT" });
  add("approvedRestarts", mix.approvedRestarts, {
    imageId: APPROVED_AMI,
    tags: {},
    evaluatedAtStart: "COMPLIANT",
  });
  add("standaloneNew", mix.standaloneNew, {
    imageId: UNAPPROVED_AMI,
    tags: {},
    evaluatedLater: "NON_COMPLIANT",
  });
  add("standaloneRestarts", mix.standaloneRestarts, {
    imageId: UNAPPROVED_AMI,
    tags: {},
    evaluatedAtStart: "NON_COMPLIANT",
  });
  add("exemptNew", mix.exemptNew, {
    imageId: UNAPPROVED_AMI,
    tags: { [EXEMPTION_TAG]: "true" },
    evaluatedLater: "NON_COMPLIANT",
  });
  return instances;
}

/** A fixed interleaving, so the kinds arrive mixed as they would, and every run is the same. */
function interleaved<T>(items: readonly T[]): T[] {
  const stride = 7919; // a prime larger than any count here, so the stride visits every index once
  return items.map((_, n) => items[(n * stride) % items.length] as T);
}

/** One metric count and the log lines with a decision, per invocation. */
class TallyObservability implements Observability {
  readonly metrics: { readonly name: MetricName; readonly dimension?: MetricDimension }[] = [];
  readonly decisions: LogFields[] = [];
  private keys: LogFields = {};

  appendKeys(keys: LogFields): void {
    this.keys = { ...this.keys, ...keys };
  }
  info(_message: string, fields: LogFields = {}): void {
    this.line(fields);
  }
  warn(_message: string, fields: LogFields = {}): void {
    this.line(fields);
  }
  error(_message: string, fields: LogFields = {}): void {
    this.line(fields);
  }
  count(name: MetricName, dimension?: MetricDimension): void {
    this.metrics.push({ name, ...(dimension ? { dimension } : {}) });
  }
  milliseconds(): void {}
  endInvocation(): void {
    this.keys = {};
  }
  private line(fields: LogFields): void {
    if (fields.decision !== undefined) this.decisions.push({ ...this.keys, ...fields });
  }
}

interface Delivery {
  readonly event: Record<string, unknown>;
  readonly instanceId: string;
  readonly at: Date;
  readonly attempt: number;
}

interface Invocation {
  readonly delivery: Delivery;
  readonly tally: TallyObservability;
  readonly result?: HandlerResult;
  readonly errorName?: string;
}

/**
 * The stack's alarms a storm can move: on the Auto Scaling guard's count, on failed invocations, and in dry
 * run on the count of instances it would have stopped (that alarm exists only then).
 */
type StormAlarm = Extract<
  AlarmName,
  "auto-scaling-guard" | "remediation-failures" | "function-errors" | "dry-run"
>;

/** How the function is deployed for the storm. */
export interface StormOptions {
  /** The function runs in dry run: it stops nothing, and the `dry-run` alarm exists. @default false */
  readonly dryRun?: boolean;
}

export interface StormReport {
  readonly mix: StormMix;
  readonly dryRun: boolean;
  /** Events EventBridge delivered to the function, by kind, and those its patterns kept away. */
  readonly events: {
    readonly instanceRunning: number;
    readonly complianceChanges: number;
    readonly duplicates: number;
    readonly keptAwayByPattern: number;
  };
  /** Every invocation: each delivered event once, plus Lambda's retries of the invocations that failed. */
  readonly invocations: number;
  readonly lambdaRetries: number;
  /** Requests the loopback served, by `service:Operation`. */
  readonly calls: Readonly<Record<string, number>>;
  /** Messages to the topic: the function's own Publish calls, and what the alarms the storm moves send. */
  readonly notifications: {
    readonly published: number;
    readonly alarms: Readonly<
      Partial<Record<StormAlarm, { readonly toAlarm: number; readonly toOk: number }>>
    >;
  };
  /** Each outcome metric's count over all invocations; `GuardSkips` by its Guard. */
  readonly outcomes: Readonly<Record<string, number>>;
  readonly instancesStopped: number;
  readonly guarded: Readonly<Record<Guard, number>>;
  readonly deferred: number;
  /** Invocations without exactly one outcome metric and one decision line; empty when nothing was lost. */
  readonly unaccounted: readonly string[];
  /** Instances whose end differs from what their kind calls for; empty when nothing was lost. */
  readonly lost: readonly string[];
}

/** Runs the storm against a fresh loopback server, which it stops again. */
export async function runStorm(mix: StormMix = STORM_MIX, options: StormOptions = {}): Promise<StormReport> {
  const aws = await AwsLoopback.start();
  try {
    return await stormAgainst(aws, mix, options.dryRun ?? false);
  } finally {
    await aws.stop();
  }
}

async function stormAgainst(aws: AwsLoopback, mix: StormMix, dryRun: boolean): Promise<StormReport> {
  const instances = instancesOf(mix);
  const byId = new Map(instances.map((instance) => [instance.id, instance]));
  const state = new Map(instances.map((instance) => [instance.id, "running"]));
  const evaluations = new Map<string, string>();
  for (const instance of instances) {
    if (instance.evaluatedAtStart) evaluations.set(instance.id, instance.evaluatedAtStart);
  }
  const standaloneNew = instances.filter((instance) => instance.kind === "standaloneNew");
  const hiddenReads = new Map(standaloneNew.slice(0, mix.notYetVisible).map((instance) => [instance.id, 1]));
  const throttledReads = new Map(
    instances
      .filter((instance) => instance.kind === "autoScalingNew")
      .slice(0, mix.throttledStarts)
      .map((instance) => [instance.id, SDK_ATTEMPTS]),
  );
  /** The simulated time of each instance's current invocation, for the execution status Config reports. */
  const clock = new Map<string, Date>();
  const started = new Set<string>();
  wireWorld(aws, { byId, state, evaluations, hiddenReads, throttledReads, clock, started });

  const settings = readSettings({
    [HANDLER_ENVIRONMENT.ruleName]: RULE,
    [HANDLER_ENVIRONMENT.accountId]: ACCOUNT,
    [HANDLER_ENVIRONMENT.region]: REGION,
    [HANDLER_ENVIRONMENT.dryRun]: String(dryRun),
    [HANDLER_ENVIRONMENT.exemptionTagKey]: EXEMPTION_TAG,
    [HANDLER_ENVIRONMENT.topicArn]: TOPIC_ARN,
    [HANDLER_ENVIRONMENT.approvedAmiIds]: [APPROVED_AMI].join(APPROVED_AMI_IDS_SEPARATOR),
  });
  const clients = createAwsClients(REGION, {
    endpoint: aws.url,
    credentials: { accessKeyId: "AKIALOOPBACK", secretAccessKey: "loopback" },
  });
  const runningTemplate = readSampleEventTemplate(SAMPLE_INSTANCE_RUNNING_EVENT_PATH);
  const changeTemplate = readSampleEventTemplate(SAMPLE_EVENT_PATH);
  const patterns = [remediationEventPattern(RULE), instanceRunningEventPattern()];
  let keptAwayByPattern = 0;
  const routed = (deliveries: readonly Delivery[]) =>
    deliveries.filter((delivery) => {
      const matched = patterns.some((pattern) => matchesEventPattern(pattern, delivery.event));
      if (!matched) keptAwayByPattern += 1;
      return matched;
    });

  const invocations: Invocation[] = [];
  let lambdaRetries = 0;
  /** Invokes each delivery, then Lambda's retries of those that failed, until none is left. */
  const drain = async (deliveries: readonly Delivery[]): Promise<void> => {
    let pending = [...deliveries];
    while (pending.length > 0) {
      lambdaRetries += pending.filter((delivery) => delivery.attempt > 1).length;
      pending = await invokeAll(pending);
    }
  };
  const invokeAll = async (deliveries: readonly Delivery[]): Promise<Delivery[]> => {
    const retries: Delivery[] = [];
    let next = 0;
    const worker = async () => {
      while (next < deliveries.length) {
        const delivery = deliveries[next] as Delivery;
        next += 1;
        const invocation = await invokeOnce(delivery);
        invocations.push(invocation);
        if (invocation.errorName !== undefined && delivery.attempt < LAMBDA_ATTEMPTS) {
          retries.push({
            ...delivery,
            at: new Date(delivery.at.getTime() + LAMBDA_RETRY_DELAY_MS),
            attempt: delivery.attempt + 1,
          });
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    return retries;
  };
  const invokeOnce = async (delivery: Delivery): Promise<Invocation> => {
    const tally = new TallyObservability();
    clock.set(delivery.instanceId, delivery.at);
    const handler = createHandler({
      settings: () => settings,
      clients: () => clients,
      observability: tally,
      now: () => delivery.at,
      sleep: async () => {},
    });
    try {
      return { delivery, tally, result: await handler(delivery.event) };
    } catch (error) {
      return { delivery, tally, errorName: error instanceof Error ? error.name : String(error) };
    }
  };

  // Phase one: every instance enters running within the window.
  const starts = interleaved(instances).map((instance, n) => ({
    event: eventFor(runningTemplate, instance.id, n, "running"),
    instanceId: instance.id,
    at: new Date(START.getTime() + Math.floor((n * STORM_WINDOW_MS) / instances.length)),
    attempt: 1,
  }));
  const startDeliveries = routed(starts);
  await drain(startDeliveries);

  // Phase two: Config has recorded and evaluated the new instances; one compliance change each.
  const fresh = interleaved(instances.filter((instance) => instance.evaluatedLater !== undefined));
  for (const instance of fresh) evaluations.set(instance.id, instance.evaluatedLater as string);
  const changes = fresh.map((instance, n) => ({
    event: complianceChange(changeTemplate, instance.id, n, instance.evaluatedLater as string),
    instanceId: instance.id,
    at: new Date(START.getTime() + EVALUATION_DELAY_MS + Math.floor((n * STORM_WINDOW_MS) / fresh.length)),
    attempt: 1,
  }));
  const changeDeliveries = routed(changes);
  await drain(changeDeliveries);

  // Then EventBridge's duplicates of some compliance changes.
  const duplicated = changeDeliveries
    .filter((delivery) => byId.get(delivery.instanceId)?.kind === "standaloneNew")
    .filter((delivery) => !hiddenReads.has(delivery.instanceId))
    .slice(0, mix.duplicates)
    .map((delivery) => ({ ...delivery, at: new Date(delivery.at.getTime() + LAMBDA_RETRY_DELAY_MS) }));
  await drain(duplicated);

  return tallyOf({
    mix,
    dryRun,
    aws,
    instances,
    invocations,
    started,
    events: {
      instanceRunning: startDeliveries.length,
      complianceChanges: changeDeliveries.length,
      duplicates: duplicated.length,
      keptAwayByPattern,
    },
    lambdaRetries,
  });
}

interface World {
  readonly byId: ReadonlyMap<string, StormInstance>;
  readonly state: Map<string, string>;
  readonly evaluations: ReadonlyMap<string, string>;
  readonly hiddenReads: Map<string, number>;
  readonly throttledReads: Map<string, number>;
  readonly clock: ReadonlyMap<string, Date>;
  readonly started: Set<string>;
}

/** The loopback answers from the storm's world: EC2's instances, Config's results, the stops it starts. */
function wireWorld(aws: AwsLoopback, world: World): void {
  aws.setDefault("DescribeInstances", (request) => {
    const ids = Object.entries(request.params ?? {})
      .filter(([key]) => /^InstanceId\.\d+$/.test(key))
      .map(([, id]) => id);
    for (const id of ids) {
      const hidden = world.hiddenReads.get(id) ?? 0;
      if (hidden > 0) {
        // EC2 is eventually consistent: an instance Config just recorded may not be visible yet.
        world.hiddenReads.set(id, hidden - 1);
        return queryError("ec2", "InvalidInstanceID.NotFound", `The instance ID '${id}' does not exist`);
      }
    }
    return ec2Instances(
      ids.flatMap((id) => {
        const instance = world.byId.get(id);
        return instance
          ? [{ instanceId: id, imageId: instance.imageId, tags: instance.tags, state: world.state.get(id) }]
          : [];
      }),
    );
  });
  aws.setDefault("GetComplianceDetailsByResource", (request) => {
    const id = (request.json as { ResourceId?: string } | undefined)?.ResourceId ?? "";
    const throttled = world.throttledReads.get(id) ?? 0;
    if (throttled > 0) {
      world.throttledReads.set(id, throttled - 1);
      return configError("ThrottlingException", "Rate exceeded");
    }
    const result = world.evaluations.get(id);
    // Documentation is silent on an instance not evaluated yet; the storm answers with no result for it.
    return result
      ? configEvaluation(RULE, id, result as "COMPLIANT" | "NON_COMPLIANT")
      : configJson({ EvaluationResults: [] });
  });
  aws.setDefault("StartRemediationExecution", (request) => {
    for (const key of resourceKeys(request)) {
      world.started.add(key.resourceId);
      // The runbook stops the instance: a second event for it finds it stopping.
      world.state.set(key.resourceId, "stopping");
    }
    return configJson({ FailedItems: [] });
  });
  aws.setDefault("DescribeRemediationExecutionStatus", (request) =>
    configJson({
      RemediationExecutionStatuses: resourceKeys(request)
        .filter((key) => world.started.has(key.resourceId))
        .map((key) => ({
          ResourceKey: key,
          State: "IN_PROGRESS",
          InvocationTime: (world.clock.get(key.resourceId) ?? START).getTime() / 1000,
        })),
    }),
  );
}

function resourceKeys(request: RecordedRequest): { resourceType: string; resourceId: string }[] {
  return (
    (request.json as { ResourceKeys?: { resourceType: string; resourceId: string }[] }).ResourceKeys ?? []
  );
}

function eventFor(template: string, instanceId: string, n: number, kind: string): Record<string, unknown> {
  const event = fillSampleEvent(template, {
    account: ACCOUNT,
    region: REGION,
    rule: RULE,
    instance: instanceId,
  });
  return { ...event, id: `storm-${kind}-${n}` };
}

function complianceChange(
  template: string,
  instanceId: string,
  n: number,
  complianceType: string,
): Record<string, unknown> {
  const event = eventFor(template, instanceId, n, "compliance-change") as {
    detail: { newEvaluationResult: { complianceType: string } };
  };
  event.detail.newEvaluationResult.complianceType = complianceType;
  return event as unknown as Record<string, unknown>;
}

function tallyOf(run: {
  readonly mix: StormMix;
  readonly dryRun: boolean;
  readonly aws: AwsLoopback;
  readonly instances: readonly StormInstance[];
  readonly invocations: readonly Invocation[];
  readonly started: ReadonlySet<string>;
  readonly events: StormReport["events"];
  readonly lambdaRetries: number;
}): StormReport {
  const calls: Record<string, number> = {};
  for (const request of run.aws.requests) {
    const key = `${request.service}:${request.operation}`;
    calls[key] = (calls[key] ?? 0) + 1;
  }
  const outcomes: Record<string, number> = {};
  const guarded = Object.fromEntries(GUARDS.map((guard) => [guard, 0])) as Record<Guard, number>;
  const unaccounted: string[] = [];
  const outcomeNames = new Set<string>(OUTCOME_METRICS);
  const guardTimes: number[] = [];
  const failureTimes: number[] = [];
  const errorTimes: number[] = [];
  const dryRunTimes: number[] = [];
  for (const { delivery, tally, result, errorName } of run.invocations) {
    if (tally.metrics.some((metric) => metric.name === DRY_RUN_METRIC.metricName)) {
      dryRunTimes.push(delivery.at.getTime());
    }
    // Lambda's Errors less the handler's deferrals: what the function-errors alarm reads.
    if (errorName !== undefined && errorName !== "RetryLaterError") errorTimes.push(delivery.at.getTime());
    if (tally.metrics.some((metric) => metric.name === METRIC.remediationsFailed)) {
      failureTimes.push(delivery.at.getTime());
    }
    const own = tally.metrics.filter((metric) => outcomeNames.has(metric.name));
    for (const metric of own) {
      const key = metric.dimension ? `${metric.name}{${metric.dimension.value}}` : metric.name;
      outcomes[key] = (outcomes[key] ?? 0) + 1;
      if (metric.name === METRIC.guardSkips && metric.dimension) {
        guarded[metric.dimension.value as Guard] += 1;
        if (metric.dimension.value === AUTO_SCALING_GUARD_METRIC.dimension.Guard) {
          guardTimes.push(delivery.at.getTime());
        }
      }
    }
    const received = tally.metrics.filter((metric) => metric.name === METRIC.eventsReceived).length;
    if (own.length !== 1 || tally.decisions.length !== 1 || received !== 1) {
      unaccounted.push(
        `${String(delivery.event.id)} (${delivery.instanceId}, attempt ${delivery.attempt}): ${own.length} outcome metrics, ${tally.decisions.length} decision lines, ${received} EventsReceived, ${result ? `outcome ${result.outcome}` : `threw ${errorName}`}`,
      );
    }
  }

  const lost = lostInstances(run.instances, run.invocations, run.started, run.aws, run.dryRun);
  return {
    mix: run.mix,
    dryRun: run.dryRun,
    events: run.events,
    invocations: run.invocations.length,
    lambdaRetries: run.lambdaRetries,
    calls,
    notifications: {
      published: calls["sns:Publish"] ?? 0,
      alarms: {
        "auto-scaling-guard": alarmTransitions(guardTimes),
        "remediation-failures": alarmTransitions(failureTimes),
        "function-errors": alarmTransitions(errorTimes),
        ...(run.dryRun ? { "dry-run": alarmTransitions(dryRunTimes) } : {}),
      },
    },
    outcomes,
    instancesStopped: run.started.size,
    guarded,
    deferred: outcomes[METRIC.remediationsDeferred] ?? 0,
    unaccounted,
    lost,
  };
}

/**
 * What each kind of instance must end as: unapproved instances in no group stopped (in dry run: logged as
 * one it would stop, and left running), a group's instances logged with their group, exempt ones logged as
 * exempt, approved ones never touched. Only a real stop is the subject of a message of its own.
 */
function lostInstances(
  instances: readonly StormInstance[],
  invocations: readonly Invocation[],
  started: ReadonlySet<string>,
  aws: AwsLoopback,
  dryRun: boolean,
): string[] {
  const lines = new Map<string, LogFields[]>();
  for (const { delivery, tally } of invocations) {
    lines.set(delivery.instanceId, [...(lines.get(delivery.instanceId) ?? []), ...tally.decisions]);
  }
  const published = aws.requestsFor("Publish").map((request) => request.params?.Message ?? "");
  const lost: string[] = [];
  for (const instance of instances) {
    const own = lines.get(instance.id) ?? [];
    const group = instance.tags[AUTO_SCALING_GROUP_TAG];
    const guardedAs = (guard: Guard) =>
      own.some((line) => line.decision === "guarded" && line.guard === guard);
    switch (instance.kind) {
      case "standaloneNew":
      case "standaloneRestarts":
        if (dryRun) {
          if (!own.some((line) => line.decision === "dry-run" && line.instanceId === instance.id))
            lost.push(`${instance.id} (${instance.kind}) has no dry-run log line`);
          break;
        }
        if (!started.has(instance.id)) lost.push(`${instance.id} (${instance.kind}) was not stopped`);
        if (published.filter((message) => message.includes(instance.id)).length !== 1)
          lost.push(`${instance.id} (${instance.kind}) was not reported exactly once`);
        break;
      case "autoScalingNew":
      case "autoScalingRestarts":
        if (
          !own.some(
            (line) =>
              line.decision === "guarded" &&
              line.guard === "auto-scaling-group" &&
              line[AUTO_SCALING_GROUP_LOG_FIELD] === group,
          )
        )
          lost.push(`${instance.id} (${instance.kind}) has no log line naming its group`);
        break;
      case "exemptNew":
        if (!guardedAs("exempt")) lost.push(`${instance.id} (${instance.kind}) has no exempt log line`);
        break;
      case "approvedNew":
      case "approvedRestarts":
        break;
    }
    if (dryRun || (instance.kind !== "standaloneNew" && instance.kind !== "standaloneRestarts")) {
      if (started.has(instance.id)) lost.push(`${instance.id} (${instance.kind}) was stopped`);
      if (published.some((message) => message.includes(instance.id)))
        lost.push(`${instance.id} (${instance.kind}) was the subject of a message of its own`);
    }
  }
  return [...new Set(lost)];
}

/**
 * The Auto Scaling alarm replayed over the storm's count: each period with a sum at the threshold is
 * ALARM, each without one OK (no data is not breaching), starting from OK and running one quiet period past
 * the last count. Each transition is one message to the topic, and staying in ALARM sends none, as
 * ALARM_ACTIONS_ON_TRANSITION_ONLY documents; were it otherwise, every alarming period would send one.
 */
function alarmTransitions(times: readonly number[]): { toAlarm: number; toOk: number } {
  if (times.length === 0) return { toAlarm: 0, toOk: 0 };
  const periodMs = ALARM_EVALUATION.periodSeconds * 1000;
  const counts = new Map<number, number>();
  for (const time of times) {
    const period = Math.floor((time - START.getTime()) / periodMs);
    counts.set(period, (counts.get(period) ?? 0) + 1);
  }
  const last = Math.max(...counts.keys());
  let alarming = false;
  let toAlarm = 0;
  let toOk = 0;
  for (let period = 0; period <= last + ALARM_EVALUATION.evaluationPeriods; period += 1) {
    const breaching = (counts.get(period) ?? 0) >= ALARM_EVALUATION.threshold;
    if (breaching && (!alarming || !ALARM_ACTIONS_ON_TRANSITION_ONLY.value)) toAlarm += 1;
    if (!breaching && alarming) toOk += 1;
    alarming = breaching;
  }
  return { toAlarm, toOk };
}

/** The report as the lines `npm run storm` prints. */
export function formatStormReport(report: StormReport): string {
  const rows: [string, string | number][] = [
    ["function in dry run", report.dryRun ? "yes" : "no"],
    ["instance-running events delivered", report.events.instanceRunning],
    ["compliance changes delivered (NON_COMPLIANT)", report.events.complianceChanges],
    ["compliance changes the rule's pattern kept away (COMPLIANT)", report.events.keptAwayByPattern],
    ["duplicate deliveries", report.events.duplicates],
    ["Lambda retries", report.lambdaRetries],
    ["invocations", report.invocations],
    ...Object.entries(report.calls)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([call, count]): [string, number] => [`calls ${call}`, count]),
    ["SNS messages from the function", report.notifications.published],
    ...Object.entries(report.notifications.alarms).map(([alarm, { toAlarm, toOk }]): [string, string] => [
      `messages from the ${alarm} alarm (to ALARM, to OK)`,
      `${toAlarm}, ${toOk}`,
    ]),
    ["instances stopped", report.instancesStopped],
    ...GUARDS.map((guard): [string, number] => [`guarded: ${guard}`, report.guarded[guard]]),
    ["deferred", report.deferred],
    ["failed (retried by Lambda)", report.outcomes[METRIC.remediationsFailed] ?? 0],
    ...Object.entries(report.outcomes)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, count]): [string, number] => [`outcome ${name}`, count]),
    ["invocations without exactly one outcome", report.unaccounted.length],
    ["instances whose end differs from their kind's", report.lost.length],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  return `${rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`).join("\n")}\n`;
}
