import { isAbsolute } from "node:path";
import type { ConfigConfigRule } from "@cdktf/provider-aws/lib/config-config-rule";
import type { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { type ITerraformDependable, TerraformStack, Token } from "cdktf";
import { Construct } from "constructs";
import { AggregationAuthorization, type AggregatorLocation } from "./aggregator";
import {
  ALARM_NAMES,
  alarmNameFor,
  eventRuleArn,
  FailedRemediationNotifications,
  PipelineAlarms,
} from "./alarms";
import { ApprovedAmisRule } from "./approved-amis-rule";
import {
  APPROVED_AMIS_PARAMETER_LIMITS,
  AUTOMATIC_REMEDIATION_LIMITS,
  CONFIG_RULE_NAME_LIMITS,
  EC2_TAG_KEY_LIMITS,
  ONE_CONFIGURATION_RECORDER_PER_REGION,
} from "./aws-facts";
import { ConfigRecording } from "./config-recording";
import { RemediationDashboard } from "./dashboard";
import { EventDrivenRemediation } from "./event-driven-remediation";
import type { FunctionCode } from "./function-code";
import { EncryptionKey } from "./kms";
import {
  DEFAULT_NAME_PREFIX,
  longestNamePrefix,
  NAMING_RULES,
  namePrefixProblems,
  type ResourceNames,
  resourceNames,
} from "./names";
import { NotificationTopic } from "./notifications";
import { AWS_REGIONS, type AwsRegion } from "./regions";
import { type AutomaticRetrySettings, StopInstanceRemediation } from "./remediation";
import { AFTER_CHANGE_DELAY_MINUTES, RuleReevaluation } from "./rule-reevaluation";

/** AWS's own defaults for a remediation Config retries itself (RemediationConfiguration). */
export const DEFAULT_AUTOMATIC_RETRY: AutomaticRetrySettings = {
  maximumAutomaticAttempts: 5,
  retryAttemptSeconds: 60,
};
export const DEFAULT_EXEMPTION_TAG_KEY = "ami-guard:exempt";

/** The rule only: instances are evaluated, nothing is stopped. */
export interface AuditMode {
  readonly mode: "audit";
}

/** Operators start the stop from the Config console; failed stops notify. */
export interface ManualMode {
  readonly mode: "manual";
}

/** Config starts the stop itself as soon as an instance is NON_COMPLIANT, with retries. */
export interface AutomaticMode {
  readonly mode: "automatic";
  /**
   * How many times Config tries a failed remediation (1-25).
   * @default 5
   */
  readonly maximumAutomaticAttempts?: number;
  /**
   * The window, in seconds, in which those attempts are made (1-2,678,000).
   * @default 60
   */
  readonly retryAttemptSeconds?: number;
}

/** EventBridge sends NON_COMPLIANT evaluations to a function that checks guard rails and starts the stop. */
export interface EventDrivenMode {
  readonly mode: "event-driven";
  /** The bundled handler (`index.handler` in the zip). */
  readonly functionCode: FunctionCode;
  /**
   * The function logs and notifies what it would do and starts nothing.
   * @default false
   */
  readonly dryRun?: boolean;
  /**
   * An instance with this tag set to "true", or to an ISO date still in the future, is left running.
   * @default "ami-guard:exempt"
   */
  readonly exemptionTagKey?: string;
  /**
   * Concurrent executions reserved for the function; it also caps how many stops start at once.
   * @default - none: the function shares the account's unreserved pool
   */
  readonly reservedConcurrentExecutions?: number;
}

/** How NON_COMPLIANT instances are stopped; each mode carries its own settings. */
export type RemediationMode = AuditMode | ManualMode | AutomaticMode | EventDrivenMode;
export type RemediationModeName = RemediationMode["mode"];

export const RemediationMode = {
  audit: (): AuditMode => ({ mode: "audit" }),
  manual: (): ManualMode => ({ mode: "manual" }),
  automatic: (settings: Omit<AutomaticMode, "mode"> = {}): AutomaticMode => ({
    mode: "automatic",
    ...settings,
  }),
  eventDriven: (settings: Omit<EventDrivenMode, "mode">): EventDrivenMode => ({
    mode: "event-driven",
    ...settings,
  }),
} as const;

/** The pipeline deploys AWS Config for EC2 instances: bucket, role, recorder and delivery channel. */
export interface CreateRecording {
  readonly recorder: "create";
  /**
   * Days after which delivered snapshots and history files are deleted.
   * @default 365
   */
  readonly snapshotExpirationDays?: number;
  /**
   * Days after which superseded snapshot versions are deleted.
   * @default 90
   */
  readonly noncurrentVersionExpirationDays?: number;
}

/** The account already records EC2 instances in this region (one recorder per account and region). */
export interface ExistingRecording {
  readonly recorder: "existing";
  /**
   * What the rule must wait for, such as the recorder status of another pipeline in the same stack.
   * @default - nothing: the recorder already runs
   */
  readonly dependsOn?: readonly ITerraformDependable[];
}

export type Recording = CreateRecording | ExistingRecording;

export const Recording = {
  create: (settings: Omit<CreateRecording, "recorder"> = {}): CreateRecording => ({
    recorder: "create",
    ...settings,
  }),
  existing: (settings: Omit<ExistingRecording, "recorder"> = {}): ExistingRecording => ({
    recorder: "existing",
    ...settings,
  }),
} as const;

export interface AmiGuardProps {
  /** The 12-digit account the pipeline is deployed to: ARNs and confused-deputy conditions name it. */
  readonly accountId: string;
  readonly region: AwsRegion;
  /** Name of the AWS Config rule (letters, digits, hyphens and underscores; at most 128). */
  readonly ruleName: string;
  /** AMI ids instances may run: 1 to 21, at most 1,024 characters joined with commas. */
  readonly approvedAmiIds: readonly string[];
  readonly remediation: RemediationMode;
  readonly recording: Recording;
  /**
   * Addresses subscribed to the notification topic (every mode but audit). Each receives nothing until it
   * follows the confirmation link SNS mails it.
   * @default []
   */
  readonly notificationEmails?: readonly string[];
  /**
   * Prefix of every physical name ({@link resourceNames}); pipelines with different prefixes coexist in
   * one account and region. Lowercase letters, digits and hyphens, at most {@link NAME_PREFIX_MAX_LENGTH}
   * characters (the S3 bucket prefix `<prefix>-config-` is the tightest rule).
   * @default "ami-guard"
   */
  readonly namePrefix?: string;
  /**
   * A Config aggregator in another account (or region) that may collect this account and region's
   * compliance: the pipeline authorizes it.
   * @default - no aggregation authorization
   */
  readonly aggregationAuthorization?: AggregatorLocation;
  /**
   * Hours between two re-evaluations of every instance against the list, 1 to 168; one more runs
   * {@link AFTER_CHANGE_DELAY_MINUTES} minutes after each apply that changes the list.
   * @default 24
   */
  readonly reevaluationIntervalHours?: number;
}

/** Every name the alarms add to the prefix, checked with the other derived names. */
const ALARM_SUFFIXES = ALARM_NAMES.map((alarm) => ({
  suffix: alarmNameFor("", alarm),
  rule: NAMING_RULES.cloudwatchAlarm,
}));

/** The longest physical name a pipeline derives from its prefix in a region, alarms included. */
export function longestDerivedName(namePrefix: string, region: AwsRegion): string {
  const names = resourceNames(namePrefix, region);
  const all = [
    ...Object.entries(names)
      .filter(([key]) => key !== "namePrefix")
      .map(([, name]) => name),
    ...ALARM_NAMES.map((alarm) => alarmNameFor(namePrefix, alarm)),
  ];
  return all.reduce((longest, name) => (name.length > longest.length ? name : longest), "");
}

/** The longest `namePrefix` every derived name accepts in every region. */
export const NAME_PREFIX_MAX_LENGTH = longestNamePrefix(ALARM_SUFFIXES);

const AMI_ID = /^ami-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;
const RULE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
/** base64 of a SHA-256 digest: 32 bytes, 44 characters. */
const SOURCE_CODE_HASH = /^[A-Za-z0-9+/]{43}=$/;
const REMEDIATION_MODES: readonly RemediationModeName[] = ["audit", "manual", "automatic", "event-driven"];

/** Every problem of an AmiGuard's props, one line each, naming the field first. */
export class AmiGuardPropsError extends Error {
  constructor(
    readonly path: string,
    readonly problems: readonly string[],
  ) {
    super(
      `AmiGuard ${path}: ${problems.length} problem${problems.length === 1 ? "" : "s"} in its props:\n${problems.map((p) => `  - ${p}`).join("\n")}`,
    );
    this.name = "AmiGuardPropsError";
  }
}

function isLiteral(value: unknown): value is string {
  return typeof value === "string" && !Token.isUnresolved(value);
}

function wholeNumberIn(value: unknown, min: number, max: number): string | undefined {
  if (typeof value !== "number" || !Number.isInteger(value)) return "must be a whole number";
  if (value < min) return `must be at least ${min}`;
  if (value > max) return `must be at most ${max}`;
  return undefined;
}

/** Checks what a caller could get wrong that AWS would only refuse at apply time, or never. */
export function amiGuardPropsProblems(props: AmiGuardProps): string[] {
  const problems: string[] = [];
  const add = (field: string, message: string | undefined) => {
    if (message) problems.push(`${field}: ${message}`);
  };

  if (isLiteral(props.accountId) && !/^\d{12}$/.test(props.accountId))
    add("accountId", `must be a 12-digit AWS account id, got "${props.accountId}"`);
  const regionKnown = (AWS_REGIONS as readonly string[]).includes(props.region);
  if (!regionKnown)
    add("region", `unknown AWS region "${props.region}"; expected one such as "eu-central-1"`);

  if (isLiteral(props.ruleName)) {
    const { maxLength } = CONFIG_RULE_NAME_LIMITS.value;
    if (props.ruleName.length > maxLength)
      add(
        "ruleName",
        `has ${props.ruleName.length} characters; at most ${maxLength} (${CONFIG_RULE_NAME_LIMITS.source})`,
      );
    // Stricter than Config's pattern: the name also lands in event patterns and Terraform strings.
    if (!RULE_NAME.test(props.ruleName))
      add("ruleName", "must be letters, digits, hyphens or underscores, starting with a letter or digit");
  }

  const { maxIds, maxCharacters } = APPROVED_AMIS_PARAMETER_LIMITS.value;
  if (props.approvedAmiIds.length === 0) add("approvedAmiIds", "must list at least one approved AMI id");
  if (props.approvedAmiIds.length > maxIds)
    add(
      "approvedAmiIds",
      `lists ${props.approvedAmiIds.length} ids; the managed rule accepts at most ${maxIds} (${APPROVED_AMIS_PARAMETER_LIMITS.source})`,
    );
  props.approvedAmiIds.forEach((id, index) => {
    if (!AMI_ID.test(id))
      add(`approvedAmiIds[${index}]`, `"${id}" is not "ami-" followed by 8 or 17 lowercase hex digits`);
  });
  const joined = props.approvedAmiIds.join(",").length;
  if (joined > maxCharacters)
    add("approvedAmiIds", `joined with commas they are ${joined} characters; at most ${maxCharacters}`);
  const seen = new Set<string>();
  props.approvedAmiIds.forEach((id, index) => {
    if (seen.has(id)) add(`approvedAmiIds[${index}]`, `"${id}" is listed twice`);
    seen.add(id);
  });

  (props.notificationEmails ?? []).forEach((email, index) => {
    if (!EMAIL.test(email)) add(`notificationEmails[${index}]`, `"${email}" is not an e-mail address`);
  });

  problems.push(...remediationProblems(props.remediation));
  problems.push(...recordingProblems(props.recording));

  const namePrefix = props.namePrefix ?? DEFAULT_NAME_PREFIX;
  if (regionKnown) {
    const alarms = ALARM_SUFFIXES.map(({ suffix, rule }) => ({ name: `${namePrefix}${suffix}`, rule }));
    for (const problem of namePrefixProblems(namePrefix, props.region, alarms)) add("namePrefix", problem);
  }
  return problems;
}

function remediationProblems(remediation: RemediationMode): string[] {
  const problems: string[] = [];
  const add = (field: string, message: string | undefined) => {
    if (message) problems.push(`remediation.${field}: ${message}`);
  };
  if (!REMEDIATION_MODES.includes(remediation?.mode)) {
    add("mode", `must be one of ${REMEDIATION_MODES.map((m) => `"${m}"`).join(", ")}`);
    return problems;
  }
  if (remediation.mode === "automatic") {
    const limits = AUTOMATIC_REMEDIATION_LIMITS.value;
    if (remediation.maximumAutomaticAttempts !== undefined)
      add(
        "maximumAutomaticAttempts",
        wholeNumberIn(
          remediation.maximumAutomaticAttempts,
          limits.maximumAutomaticAttempts.min,
          limits.maximumAutomaticAttempts.max,
        ),
      );
    if (remediation.retryAttemptSeconds !== undefined)
      add(
        "retryAttemptSeconds",
        wholeNumberIn(
          remediation.retryAttemptSeconds,
          limits.retryAttemptSeconds.min,
          limits.retryAttemptSeconds.max,
        ),
      );
  }
  if (remediation.mode === "event-driven") {
    const code = remediation.functionCode;
    if (typeof code?.zipPath !== "string" || !isAbsolute(code.zipPath))
      add("functionCode.zipPath", "must be the zip's absolute path");
    if (!SOURCE_CODE_HASH.test(code?.sourceCodeHash ?? ""))
      add("functionCode.sourceCodeHash", "must be the base64 SHA-256 of the zip (44 characters)");
    const tagKey = remediation.exemptionTagKey;
    if (tagKey !== undefined) {
      const { maxLength, reservedPrefix } = EC2_TAG_KEY_LIMITS.value;
      if (tagKey.length === 0 || tagKey.length > maxLength)
        add("exemptionTagKey", `must have 1 to ${maxLength} characters (${EC2_TAG_KEY_LIMITS.source})`);
      if (tagKey.toLowerCase().startsWith(reservedPrefix))
        add("exemptionTagKey", `must not start with "${reservedPrefix}", which AWS reserves`);
    }
    if (remediation.reservedConcurrentExecutions !== undefined)
      add(
        "reservedConcurrentExecutions",
        wholeNumberIn(remediation.reservedConcurrentExecutions, 1, Number.MAX_SAFE_INTEGER),
      );
  }
  return problems;
}

function recordingProblems(recording: Recording): string[] {
  if (recording?.recorder !== "create" && recording?.recorder !== "existing")
    return ['recording.recorder: must be "create" or "existing"'];
  if (recording.recorder === "existing") return [];
  const problems: string[] = [];
  for (const field of ["snapshotExpirationDays", "noncurrentVersionExpirationDays"] as const) {
    const value = recording[field];
    const message = value === undefined ? undefined : wholeNumberIn(value, 1, Number.MAX_SAFE_INTEGER);
    if (message) problems.push(`recording.${field}: ${message}`);
  }
  return problems;
}

/**
 * Finds EC2 instances launched from AMIs outside an approved list (AWS Config's APPROVED_AMIS_BY_ID) and, in
 * every mode but audit, stops them with SSM's AWS-StopEC2Instance, telling people through an encrypted SNS
 * topic and CloudWatch alarms. One instance per account and region and name prefix; the stack that holds it
 * brings the AWS provider for that account and region.
 */
export class AmiGuard extends Construct {
  readonly accountId: string;
  readonly region: AwsRegion;
  readonly ruleName: string;
  readonly remediationMode: RemediationModeName;
  /** Every physical name the pipeline uses, derived from its prefix. */
  readonly names: ResourceNames;
  readonly approvedAmisRule: ApprovedAmisRule;
  /** The AWS Config rule. */
  readonly rule: ConfigConfigRule;
  /** With `Recording.create()`: the bucket, Config's role, the recorder and its status. */
  readonly recording?: ConfigRecording;
  /** Every mode but audit: the remediation configuration and the SSM automation role. */
  readonly remediation?: StopInstanceRemediation;
  readonly encryptionKey?: EncryptionKey;
  readonly notifications?: NotificationTopic;
  /** The notification topic (every mode but audit). */
  readonly topic?: SnsTopic;
  /** Every mode but audit: failed executions of the stop runbook reach the topic. */
  readonly failedRemediation?: FailedRemediationNotifications;
  /** Event-driven mode: the function, its role, event rule and failure queues. */
  readonly eventDriven?: EventDrivenRemediation;
  readonly alarms?: PipelineAlarms;
  /** Every mode but audit: what the pipeline did, what was lost, what is alarming. */
  readonly dashboard?: RemediationDashboard;
  readonly aggregationAuthorization?: AggregationAuthorization;
  /** The schedules that re-evaluate the rule daily and after each change of the list. */
  readonly reevaluation: RuleReevaluation;
  /** The aggregator authorized, as given. */
  readonly authorizedAggregator?: AggregatorLocation;

  constructor(scope: Construct, id: string, props: AmiGuardProps) {
    super(scope, id);
    const problems = [...amiGuardPropsProblems(props), ...this.conflictsWithSiblings(props)];
    if (problems.length > 0) throw new AmiGuardPropsError(this.node.path || id, problems);

    const { accountId, region, remediation } = props;
    const namePrefix = props.namePrefix ?? DEFAULT_NAME_PREFIX;
    this.accountId = accountId;
    this.region = region;
    this.ruleName = props.ruleName;
    this.remediationMode = remediation.mode;
    this.names = resourceNames(namePrefix, region);

    // Construct ids and their order are the Terraform addresses and the order of the synthesized file:
    // changing either replaces resources (a replaced Config rule loses its compliance history).
    const recording = props.recording;
    if (recording.recorder === "create") {
      this.recording = new ConfigRecording(this, "recording", {
        accountId,
        region,
        namePrefix,
        ...(recording.snapshotExpirationDays === undefined
          ? {}
          : { snapshotExpirationDays: recording.snapshotExpirationDays }),
        ...(recording.noncurrentVersionExpirationDays === undefined
          ? {}
          : { noncurrentVersionExpirationDays: recording.noncurrentVersionExpirationDays }),
      });
    }
    // Rules evaluate only once the recorder runs; with an existing recorder there is nothing to wait for.
    const ruleDependsOn = this.recording
      ? [this.recording.recorderStatus]
      : recording.recorder === "existing" && recording.dependsOn
        ? [...recording.dependsOn]
        : undefined;
    this.approvedAmisRule = new ApprovedAmisRule(this, "approved-amis", {
      ruleName: props.ruleName,
      approvedAmiIds: props.approvedAmiIds,
      dependsOn: ruleDependsOn,
    });
    this.rule = this.approvedAmisRule.rule;
    // Every mode, audit too: the compliance a reader sees should follow the list, not lag it by weeks.
    this.reevaluation = new RuleReevaluation(this, "reevaluation", {
      rule: this.rule,
      ruleName: props.ruleName,
      accountId,
      region,
      names: this.names,
      ...(props.reevaluationIntervalHours === undefined
        ? {}
        : { intervalHours: props.reevaluationIntervalHours }),
    });
    if (props.aggregationAuthorization) {
      this.authorizedAggregator = props.aggregationAuthorization;
      this.aggregationAuthorization = new AggregationAuthorization(this, "aggregation-authorization", {
        accountId: props.aggregationAuthorization.accountId,
        region: props.aggregationAuthorization.region,
      });
    }
    if (remediation.mode === "audit") return;

    this.remediation = new StopInstanceRemediation(this, "remediation", {
      ruleName: this.rule.name,
      accountId,
      region,
      namePrefix,
      automatic:
        remediation.mode === "automatic"
          ? {
              maximumAutomaticAttempts:
                remediation.maximumAutomaticAttempts ?? DEFAULT_AUTOMATIC_RETRY.maximumAutomaticAttempts,
              retryAttemptSeconds:
                remediation.retryAttemptSeconds ?? DEFAULT_AUTOMATIC_RETRY.retryAttemptSeconds,
            }
          : undefined,
    });

    // Every mode that remediates can see a started stop fail later in SSM, so every one of them notifies.
    const eventDriven = remediation.mode === "event-driven";
    this.encryptionKey = new EncryptionKey(this, "encryption-key", {
      accountId,
      region,
      namePrefix,
      allowEventBridge: true,
      logGroupNames: eventDriven ? [this.names.functionLogGroupName] : [],
    });
    this.notifications = new NotificationTopic(this, "notifications", {
      accountId,
      region,
      namePrefix,
      encryptionKey: this.encryptionKey,
      emails: props.notificationEmails ?? [],
      publishingRuleArns: [eventRuleArn(region, accountId, this.names.failedRemediationRuleName)],
    });
    this.topic = this.notifications.topic;
    this.failedRemediation = new FailedRemediationNotifications(this, "failed-remediation", {
      accountId,
      region,
      namePrefix,
      topic: this.topic,
    });
    const notificationFailures = this.failedRemediation.deliveryFailures;
    if (remediation.mode !== "event-driven") {
      this.alarms = new PipelineAlarms(this, "alarms", {
        topic: this.topic,
        namePrefix,
        deadLetterQueues: [{ alarm: "notification-delivery-failures-queue", queue: notificationFailures }],
      });
      this.dashboard = new RemediationDashboard(this, "dashboard", {
        accountId,
        region,
        namePrefix,
        deadLetterQueues: [
          { label: "notification delivery failures", queueName: notificationFailures.queue.name },
        ],
        alarmNames: this.alarms.alarms.map((alarm) => alarm.alarmName),
      });
      return;
    }

    this.eventDriven = new EventDrivenRemediation(this, "event-driven", {
      ruleName: props.ruleName,
      accountId,
      region,
      namePrefix,
      bundle: remediation.functionCode,
      dryRun: remediation.dryRun ?? false,
      exemptionTagKey: remediation.exemptionTagKey ?? DEFAULT_EXEMPTION_TAG_KEY,
      approvedAmiIds: props.approvedAmiIds,
      topic: this.topic,
      encryptionKey: this.encryptionKey,
      remediationConfiguration: this.remediation.configuration,
      ...(remediation.reservedConcurrentExecutions === undefined
        ? {}
        : { reservedConcurrentExecutions: remediation.reservedConcurrentExecutions }),
    });
    this.alarms = new PipelineAlarms(this, "alarms", {
      topic: this.topic,
      namePrefix,
      functionName: this.eventDriven.function.functionName,
      deadLetterQueues: [
        { alarm: "function-failures-queue", queue: this.eventDriven.failureQueue },
        { alarm: "event-delivery-failures-queue", queue: this.eventDriven.deliveryFailureQueue },
        {
          alarm: "running-delivery-failures-queue",
          queue: this.eventDriven.runningDeliveryFailureQueue,
        },
        { alarm: "notification-delivery-failures-queue", queue: notificationFailures },
      ],
    });
    this.dashboard = new RemediationDashboard(this, "dashboard", {
      accountId,
      region,
      namePrefix,
      functionName: this.eventDriven.function.functionName,
      functionLogGroupName: this.eventDriven.logGroup.name,
      deadLetterQueues: [
        { label: "function failures", queueName: this.eventDriven.failureQueue.queue.name },
        { label: "event delivery failures", queueName: this.eventDriven.deliveryFailureQueue.queue.name },
        {
          label: "instance-running delivery failures",
          queueName: this.eventDriven.runningDeliveryFailureQueue.queue.name,
        },
        { label: "notification delivery failures", queueName: notificationFailures.queue.name },
      ],
      alarmNames: this.alarms.alarms.map((alarm) => alarm.alarmName),
    });
  }

  /**
   * Pipelines already built in the same stack for the same account and region: their names, their Config
   * rule and the region's single recorder must not be claimed twice.
   */
  private conflictsWithSiblings(props: AmiGuardProps): string[] {
    const stack = TerraformStack.of(this);
    const namePrefix = props.namePrefix ?? DEFAULT_NAME_PREFIX;
    const others = stack.node
      .findAll()
      .filter(
        (c): c is AmiGuard =>
          c instanceof AmiGuard &&
          c !== this &&
          c.names !== undefined &&
          c.region === props.region &&
          isLiteral(c.accountId) &&
          c.accountId === props.accountId,
      );
    return others.flatMap((other) => {
      const where = `the AmiGuard at ${other.node.path} (same account and region)`;
      const problems: string[] = [];
      if (other.names.namePrefix === namePrefix)
        problems.push(
          `namePrefix: "${namePrefix}" is already used by ${where}; their resources would collide`,
        );
      if (other.ruleName === props.ruleName)
        problems.push(`ruleName: "${props.ruleName}" is already the Config rule of ${where}`);
      const authorized = other.authorizedAggregator;
      const wanted = props.aggregationAuthorization;
      if (
        authorized &&
        wanted &&
        authorized.accountId === wanted.accountId &&
        authorized.region === wanted.region
      )
        problems.push(
          `aggregationAuthorization: ${where} already authorizes the aggregator in ${wanted.accountId} ${wanted.region}`,
        );
      if (other.recording && props.recording?.recorder === "create")
        problems.push(
          `recording: ${where} already creates the region's configuration recorder, and AWS Config allows one (${ONE_CONFIGURATION_RECORDER_PER_REGION.source}); use Recording.existing({ dependsOn: [<that AmiGuard>.recording.recorderStatus] })`,
        );
      return problems;
    });
  }
}
