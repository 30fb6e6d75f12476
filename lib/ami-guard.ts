import { isAbsolute } from "node:path";
import type { ConfigConfigRule } from "@cdktf/provider-aws/lib/config-config-rule";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import type { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { dependable, type ITerraformDependable, Lazy, TerraformResource, TerraformStack, Token } from "cdktf";
import { makeUniqueId } from "cdktf/lib/private/unique";
import { Construct } from "constructs";
import { AggregationAuthorization, type AggregatorLocation } from "./aggregator";
import { eventRuleArn, FailedRemediationNotifications, PipelineAlarms } from "./alarms";
import { ApprovedAmisRule } from "./approved-amis-rule";
import {
  APPROVED_AMIS_PARAMETER_LIMITS,
  AUTOMATIC_REMEDIATION_LIMITS,
  AUTOMATION_STATUS_EVENT_FIELDS,
  CONFIG_RULE_NAME_LIMITS,
  EC2_TAG_KEY_LIMITS,
  ONE_CONFIGURATION_RECORDER_PER_REGION,
} from "./aws-facts";
import { ConfigRecording } from "./config-recording";
import { RemediationDashboard } from "./dashboard";
import { EventDrivenRemediation } from "./event-driven-remediation";
import type { FunctionCode } from "./function-code";
import { InstanceScope, instanceScopeProblems } from "./instance-scope";
import { EncryptionKey } from "./kms";
import { DEFAULT_NAME_PREFIX, type ResourceNames, resourceNames } from "./names";
import { NotificationTopic } from "./notifications";
import { defaultRuleName, namePrefixProblemsIn } from "./pipeline-names";
import { AWS_REGIONS, type AwsRegion, partitionOf } from "./regions";
import { type AutomaticRetrySettings, StopInstanceRemediation } from "./remediation";
import { AFTER_CHANGE_DELAY_MINUTES, RuleReevaluation } from "./rule-reevaluation";

export { InstanceScope } from "./instance-scope";
export {
  DEFAULT_RULE_NAME,
  defaultRuleName,
  longestDerivedName,
  NAME_PREFIX_MAX_LENGTH,
  namePrefixProblemsIn,
} from "./pipeline-names";

/**
 * The construct id that keeps the shipped app's Terraform addresses: cdktf leaves an id of "Default" out of
 * every address, so a pipeline built with it has the addresses the app's stacks already hold. Any other id
 * prefixes every address and, without `moved` blocks ({@link AmiGuard.movedFrom}), replaces every resource:
 * a replaced Config rule loses its compliance history.
 */
export const ADDRESS_PRESERVING_ID = "Default";

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

/**
 * The account already records EC2 instances in this region (one recorder per account and region). When
 * another AmiGuard in the same stack creates the recorder, the rule waits for it without being told.
 */
export interface ExistingRecording {
  readonly recorder: "existing";
  /**
   * What the rule must wait for besides a recorder another AmiGuard of the stack creates.
   * @default - nothing more
   */
  readonly dependsOn?: readonly ITerraformDependable[];
  /**
   * The AmiGuard of the same stack whose recorder this pipeline uses (`Recording.shared(other)`).
   * @default - any AmiGuard of the stack that creates one, or the account's own recorder
   */
  readonly sharedWith?: AmiGuard;
}

export type Recording = CreateRecording | ExistingRecording;

export const Recording = {
  create: (settings: Omit<CreateRecording, "recorder"> = {}): CreateRecording => ({
    recorder: "create",
    ...settings,
  }),
  existing: (settings: Omit<ExistingRecording, "recorder" | "sharedWith"> = {}): ExistingRecording => ({
    recorder: "existing",
    ...settings,
  }),
  /** The recorder `other` creates in the same stack: this pipeline's rule waits until it runs. */
  shared: (other: AmiGuard): ExistingRecording => ({ recorder: "existing", sharedWith: other }),
} as const;

export interface AmiGuardProps {
  /**
   * The 12-digit account the pipeline is deployed to: ARNs and confused-deputy conditions name it.
   * @default - the one account of the stack's AWS provider `allowed_account_ids`
   */
  readonly accountId?: string;
  /**
   * The region of the stack's AWS provider; given, it must agree with it.
   * @default - the stack's AWS provider region
   */
  readonly region?: AwsRegion;
  /**
   * Name of the AWS Config rule (letters, digits, hyphens and underscores; at most 128).
   * @default - "approved-amis-by-id" with the default prefix (the app's rule), `<namePrefix>-approved-amis` otherwise
   */
  readonly ruleName?: string;
  /**
   * The instances this pipeline evaluates and stops. Pipelines side by side in one account and region each
   * take `InstanceScope.tagged(key, value)` with one key and their own value; a pipeline taking every
   * instance must be alone.
   * @default InstanceScope.allInstances()
   */
  readonly instanceScope?: InstanceScope;
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

/**
 * Checks what a caller could get wrong that AWS would only refuse at apply time, or never. Account and
 * region are those given; {@link AmiGuard} first fills them in from the stack's provider.
 */
export function amiGuardPropsProblems(props: AmiGuardProps): string[] {
  const problems: string[] = [];
  const add = (field: string, message: string | undefined) => {
    if (message) problems.push(`${field}: ${message}`);
  };

  if (props.accountId === undefined)
    add("accountId", "is required when the stack's AWS provider does not name exactly one allowed account");
  else if (isLiteral(props.accountId) && !/^\d{12}$/.test(props.accountId))
    add("accountId", `must be a 12-digit AWS account id, got "${props.accountId}"`);
  const regionKnown = props.region !== undefined && (AWS_REGIONS as readonly string[]).includes(props.region);
  if (props.region === undefined)
    add("region", "is required when the stack's AWS provider has no literal region");
  else if (!regionKnown)
    add("region", `unknown AWS region "${props.region}"; expected one such as "eu-central-1"`);

  if (props.ruleName !== undefined && isLiteral(props.ruleName)) {
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
  const scope = props.instanceScope ?? InstanceScope.allInstances();
  problems.push(...instanceScopeProblems(scope));
  if (
    scope instanceof InstanceScope &&
    scope.tag &&
    (props.remediation?.mode === "manual" || props.remediation?.mode === "automatic")
  )
    add(
      "instanceScope",
      `a tag scope needs mode "event-driven" or "audit": SSM's failed-run event carries no parameters or role, so only the function can tell this pipeline's failed stops from another's (${AUTOMATION_STATUS_EVENT_FIELDS.source}); in mode "${props.remediation.mode}" every pipeline would be paged for every failure`,
    );
  if (props.reevaluationIntervalHours !== undefined)
    add(
      "reevaluationIntervalHours",
      wholeNumberIn(props.reevaluationIntervalHours, 1, REEVALUATION_INTERVAL_LIMITS.max),
    );
  problems.push(
    ...aggregatorProblems(props.aggregationAuthorization, regionKnown ? props.region : undefined),
  );

  const namePrefix = props.namePrefix ?? DEFAULT_NAME_PREFIX;
  if (regionKnown && props.region !== undefined) {
    for (const problem of namePrefixProblemsIn(namePrefix, props.region)) add("namePrefix", problem);
  }
  return problems;
}

/** EventBridge Scheduler's rate for the recurring re-evaluation: 1 to 168 hours (RuleReevaluation). */
const REEVALUATION_INTERVAL_LIMITS = { min: 1, max: 168 } as const;

function aggregatorProblems(
  aggregator: AggregatorLocation | undefined,
  region: AwsRegion | undefined,
): string[] {
  if (aggregator === undefined) return [];
  const problems: string[] = [];
  if (typeof aggregator?.accountId !== "string" || !/^\d{12}$/.test(aggregator.accountId))
    problems.push(
      `aggregationAuthorization.accountId: must be a 12-digit AWS account id, got ${JSON.stringify(aggregator?.accountId)}`,
    );
  const known = (AWS_REGIONS as readonly string[]).includes(aggregator?.region);
  if (!known)
    problems.push(
      `aggregationAuthorization.region: unknown AWS region ${JSON.stringify(aggregator?.region)}; expected one such as "us-east-1"`,
    );
  else if (region && partitionOf(aggregator.region) !== partitionOf(region))
    problems.push(
      `aggregationAuthorization.region: "${aggregator.region}" is in partition ${partitionOf(aggregator.region)}, this pipeline's "${region}" in ${partitionOf(region)}; an aggregator collects only within its partition`,
    );
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
    if (code === undefined || code === null)
      add(
        "functionCode",
        "is required in mode event-driven: the remediation handler's zip (functionCodeFromZip)",
      );
    else {
      if (typeof code.zipPath !== "string" || !isAbsolute(code.zipPath))
        add("functionCode.zipPath", "must be the zip's absolute path");
      if (!SOURCE_CODE_HASH.test(code.sourceCodeHash ?? ""))
        add("functionCode.sourceCodeHash", "must be the base64 SHA-256 of the zip (44 characters)");
    }
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
  if (recording.recorder === "existing") {
    const other = recording.sharedWith;
    if (other !== undefined && !(other instanceof AmiGuard && other.recording))
      return ["recording.sharedWith: must be an AmiGuard that creates its recorder (Recording.create())"];
    return [];
  }
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
 * topic and CloudWatch alarms. The stack that holds it brings the AWS provider for its account and region;
 * several may share one, each with its own name prefix and `InstanceScope.tagged` (docs/teams.md).
 */
export class AmiGuard extends Construct {
  /** The id that keeps the shipped app's Terraform addresses ({@link ADDRESS_PRESERVING_ID}). */
  static readonly ADDRESS_PRESERVING_ID = ADDRESS_PRESERVING_ID;

  readonly accountId: string;
  readonly region: AwsRegion;
  readonly ruleName: string;
  readonly remediationMode: RemediationModeName;
  /** The instances this pipeline evaluates and may stop. */
  readonly instanceScope: InstanceScope;
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

  constructor(scope: Construct, id: string, givenProps: AmiGuardProps) {
    // Everything is judged before the node exists: a refused construction leaves nothing in the tree, so
    // the same id can be used again once the props are fixed.
    const path = scope.node.path ? `${scope.node.path}/${id}` : id;
    const { props, problems: providerProblems } = withProviderTarget(scope, givenProps);
    const problems = [
      ...providerProblems,
      ...amiGuardPropsProblems(props),
      ...conflictsWithSiblings(scope, props),
    ];
    if (problems.length > 0) throw new AmiGuardPropsError(path, problems);
    super(scope, id);

    const { remediation } = props;
    const accountId = props.accountId as string;
    const region = props.region as AwsRegion;
    const namePrefix = props.namePrefix ?? DEFAULT_NAME_PREFIX;
    const ruleName = props.ruleName ?? defaultRuleName(namePrefix);
    this.accountId = accountId;
    this.region = region;
    this.ruleName = ruleName;
    this.remediationMode = remediation.mode;
    this.instanceScope = props.instanceScope ?? InstanceScope.allInstances();
    this.names = resourceNames(namePrefix, region);
    // A pipeline sharing its account routes failed runs through its function, which keeps only its own.
    const failedRunsThroughFunction =
      this.instanceScope.tag !== undefined && remediation.mode === "event-driven";

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
    // Rules evaluate only once the recorder runs: a recorder of the same stack is waited for, wherever it is.
    const ruleDependsOn = this.recording
      ? [this.recording.recorderStatus]
      : recording.recorder === "existing"
        ? [
            ...new Set([
              ...(recording.dependsOn ?? []),
              ...siblingRecorders(scope, this, recording.sharedWith),
            ]),
          ]
        : [];
    this.approvedAmisRule = new ApprovedAmisRule(this, "approved-amis", {
      ruleName,
      approvedAmiIds: props.approvedAmiIds,
      dependsOn: ruleDependsOn.length > 0 ? ruleDependsOn : undefined,
      ...(this.instanceScope.tag ? { scope: this.instanceScope.ruleScope() } : {}),
    });
    this.rule = this.approvedAmisRule.rule;
    if (this.recording) waitForThisRecorder(scope, this, this.recording.recorderStatus);
    // Every mode, audit too: the compliance a reader sees should follow the list, not lag it by weeks.
    this.reevaluation = new RuleReevaluation(this, "reevaluation", {
      rule: this.rule,
      ruleName,
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
    const reevaluationQueues = [
      { alarm: "reevaluation-failures-queue", queue: this.reevaluation.recurringFailures },
      { alarm: "reevaluation-after-change-failures-queue", queue: this.reevaluation.afterChangeFailures },
    ] as const;
    const reevaluationQueueLines = [
      { label: "re-evaluation failures", queueName: this.reevaluation.recurringFailures.queue.name },
      {
        label: "after-change re-evaluation failures",
        queueName: this.reevaluation.afterChangeFailures.queue.name,
      },
    ];
    if (remediation.mode === "audit") {
      // Audit has no topic and no dashboard: the schedules' alarms exist all the same, without actions, so
      // a failed re-evaluation shows as ALARM in the CloudWatch console (docs/operations.md says why).
      this.alarms = new PipelineAlarms(this, "alarms", {
        namePrefix,
        deadLetterQueues: [...reevaluationQueues],
      });
      return;
    }

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
      // Failed runs reach the topic through EventBridge only when no function sorts them first.
      publishingRuleArns: failedRunsThroughFunction
        ? []
        : [eventRuleArn(region, accountId, this.names.failedRemediationRuleName)],
    });
    this.topic = this.notifications.topic;
    this.failedRemediation = new FailedRemediationNotifications(this, "failed-remediation", {
      accountId,
      region,
      namePrefix,
      topic: this.topic,
      // The function is built below; its ARN is read when the stack is synthesized.
      ...(failedRunsThroughFunction
        ? { deliverToArn: Lazy.stringValue({ produce: () => this.eventDriven?.function.arn }) }
        : {}),
    });
    const notificationFailures = this.failedRemediation.deliveryFailures;
    if (remediation.mode !== "event-driven") {
      this.alarms = new PipelineAlarms(this, "alarms", {
        topic: this.topic,
        namePrefix,
        deadLetterQueues: [
          { alarm: "notification-delivery-failures-queue", queue: notificationFailures },
          ...reevaluationQueues,
        ],
      });
      this.dashboard = new RemediationDashboard(this, "dashboard", {
        accountId,
        region,
        namePrefix,
        deadLetterQueues: [
          { label: "notification delivery failures", queueName: notificationFailures.queue.name },
          ...reevaluationQueueLines,
        ],
        alarmNames: this.alarms.alarms.map((alarm) => alarm.alarmName),
      });
      return;
    }

    this.eventDriven = new EventDrivenRemediation(this, "event-driven", {
      ruleName,
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
      ...(this.instanceScope.tag ? { scopeTag: this.instanceScope.tag } : {}),
      ...(failedRunsThroughFunction
        ? {
            failedRuns: {
              rule: this.failedRemediation.eventRule,
              automationRoleArn: this.remediation.automationRole.role.arn,
            },
          }
        : {}),
      ...(remediation.reservedConcurrentExecutions === undefined
        ? {}
        : { reservedConcurrentExecutions: remediation.reservedConcurrentExecutions }),
    });
    this.alarms = new PipelineAlarms(this, "alarms", {
      topic: this.topic,
      namePrefix,
      functionName: this.eventDriven.function.functionName,
      ...(remediation.reservedConcurrentExecutions === undefined
        ? {}
        : { reservedConcurrentExecutions: remediation.reservedConcurrentExecutions }),
      ...(remediation.dryRun ? { dryRun: true } : {}),
      deadLetterQueues: [
        { alarm: "function-failures-queue", queue: this.eventDriven.failureQueue },
        { alarm: "event-delivery-failures-queue", queue: this.eventDriven.deliveryFailureQueue },
        {
          alarm: "running-delivery-failures-queue",
          queue: this.eventDriven.runningDeliveryFailureQueue,
        },
        { alarm: "notification-delivery-failures-queue", queue: notificationFailures },
        ...reevaluationQueues,
      ],
    });
    this.dashboard = new RemediationDashboard(this, "dashboard", {
      accountId,
      region,
      namePrefix,
      functionName: this.eventDriven.function.functionName,
      functionLogGroupName: this.eventDriven.logGroup.name,
      ...(remediation.dryRun ? { dryRun: true } : {}),
      deadLetterQueues: [
        { label: "function failures", queueName: this.eventDriven.failureQueue.queue.name },
        { label: "event delivery failures", queueName: this.eventDriven.deliveryFailureQueue.queue.name },
        {
          label: "instance-running delivery failures",
          queueName: this.eventDriven.runningDeliveryFailureQueue.queue.name,
        },
        { label: "notification delivery failures", queueName: notificationFailures.queue.name },
        ...reevaluationQueueLines,
      ],
      alarmNames: this.alarms.alarms.map((alarm) => alarm.alarmName),
    });
  }

  /**
   * Declares a `moved` block for every resource of this pipeline from the address it had under
   * `previousId` in the same parent (the app's pipeline is {@link ADDRESS_PRESERVING_ID}): Terraform then
   * moves each one in state instead of replacing it. Call it once, after construction; remove it (and the
   * old id) once every state it applies to has been planned and applied with it.
   */
  movedFrom(previousId: string): this {
    const stack = TerraformStack.of(this);
    for (const child of this.node.findAll()) {
      if (!(child instanceof TerraformResource)) continue;
      const scopes = child.node.scopes;
      const components = scopes
        .slice(scopes.indexOf(stack) + 1)
        .map((c) => (c === this ? previousId : c.node.id));
      child.moveFromId(`${child.terraformResourceType}.${makeUniqueId(components)}`);
    }
    return this;
  }
}

/** An AwsProvider of the stack without an alias: the one every resource of the pipeline is created with. */
function defaultProviderOf(scope: Construct): AwsProvider | undefined {
  return TerraformStack.of(scope)
    .node.findAll()
    .find((c): c is AwsProvider => c instanceof AwsProvider && c.alias === undefined);
}

/**
 * Account and region from the stack's AWS provider where the props leave them out, and a problem where
 * both are literals that disagree: the provider decides where resources go, the props what ARNs name.
 */
function withProviderTarget(
  scope: Construct,
  props: AmiGuardProps,
): { props: AmiGuardProps; problems: string[] } {
  const provider = defaultProviderOf(scope);
  const problems: string[] = [];
  const providerRegion = provider?.region;
  const literalRegion = isLiteral(providerRegion) ? providerRegion : undefined;
  const accounts = provider?.allowedAccountIds;
  const literalAccount =
    Array.isArray(accounts) && accounts.length === 1 && isLiteral(accounts[0]) ? accounts[0] : undefined;
  if (props.region !== undefined && literalRegion !== undefined && props.region !== literalRegion)
    problems.push(
      `region: "${props.region}" differs from the stack's AWS provider region "${literalRegion}", where every resource is created; leave region out to take the provider's`,
    );
  if (
    isLiteral(props.accountId) &&
    Array.isArray(accounts) &&
    accounts.every((a) => isLiteral(a)) &&
    !accounts.includes(props.accountId)
  )
    problems.push(
      `accountId: "${props.accountId}" is not among the stack's AWS provider allowed_account_ids (${accounts.join(", ")})`,
    );
  return {
    props: {
      ...props,
      ...(props.region === undefined && literalRegion !== undefined
        ? { region: literalRegion as AwsRegion }
        : {}),
      ...(props.accountId === undefined && literalAccount !== undefined ? { accountId: literalAccount } : {}),
    },
    problems,
  };
}

function pipelinesOfStack(scope: Construct, except?: AmiGuard): AmiGuard[] {
  return TerraformStack.of(scope)
    .node.findAll()
    .filter((c): c is AmiGuard => c instanceof AmiGuard && c !== except && c.names !== undefined);
}

/** Recorder statuses of the stack this pipeline's rule waits for: the one named, or any sibling's. */
function siblingRecorders(scope: Construct, self: AmiGuard, sharedWith?: AmiGuard): ITerraformDependable[] {
  if (sharedWith?.recording) return [sharedWith.recording.recorderStatus];
  return pipelinesOfStack(scope, self).flatMap((other) =>
    other.recording ? [other.recording.recorderStatus] : [],
  );
}

/** Rules of pipelines built earlier with `Recording.existing()` wait for the recorder built now. */
function waitForThisRecorder(scope: Construct, self: AmiGuard, status: ITerraformDependable): void {
  for (const other of pipelinesOfStack(scope, self)) {
    if (other.recording) continue;
    other.rule.dependsOn = [...(other.rule.dependsOn ?? []), dependable(status)];
  }
}

/**
 * Pipelines already built in the same stack. One stack holds one provider, so whatever account and region
 * values they were given, they share an account and region: their names, their Config rule, the region's
 * single recorder and the instances they act on must not be claimed twice.
 */
function conflictsWithSiblings(scope: Construct, props: AmiGuardProps): string[] {
  const namePrefix = props.namePrefix ?? DEFAULT_NAME_PREFIX;
  const ruleName = props.ruleName ?? defaultRuleName(namePrefix);
  const given = props.instanceScope ?? InstanceScope.allInstances();
  // A malformed scope is reported by the props check; judged here as every instance, it still conflicts.
  const scopeOf = given instanceof InstanceScope ? given : InstanceScope.allInstances();
  const acts = props.remediation?.mode !== "audit";
  return pipelinesOfStack(scope).flatMap((other) => {
    const where = `the AmiGuard at ${other.node.path} (same stack, so same account and region)`;
    const problems: string[] = [];
    if (other.names.namePrefix === namePrefix)
      problems.push(`namePrefix: "${namePrefix}" is already used by ${where}; their resources would collide`);
    if (other.ruleName === ruleName)
      problems.push(`ruleName: "${ruleName}" is already the Config rule of ${where}`);
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
        `recording: ${where} already creates the region's configuration recorder, and AWS Config allows one (${ONE_CONFIGURATION_RECORDER_PER_REGION.source}); use Recording.shared(<that AmiGuard>) or Recording.existing()`,
      );
    const otherActs = other.remediationMode !== "audit";
    const mine = scopeOf.tag;
    const theirs = other.instanceScope.tag;
    // A pipeline that stops instances must not reach the other's; an audit pipeline taking every instance
    // only reports, and can watch for instances no team's tag claims.
    if ((!mine && acts) || (!theirs && otherActs))
      problems.push(
        `instanceScope: this pipeline takes ${scopeOf.describe()} and ${where} takes ${other.instanceScope.describe()}, so one would evaluate and stop the other's instances; give each InstanceScope.tagged(<one key>, <its own value>)`,
      );
    else if (mine && theirs && (acts || otherActs)) {
      if (mine.key !== theirs.key)
        problems.push(
          `instanceScope: tag key "${mine.key}" differs from "${theirs.key}" of ${where}; an instance carrying both would be judged by both lists: use one key with a value per pipeline`,
        );
      else if (mine.value === theirs.value)
        problems.push(`instanceScope: ${where} already takes ${other.instanceScope.describe()}`);
    }
    return problems;
  });
}
