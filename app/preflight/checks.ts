/**
 * The preflight's decisions: pure functions from what the account showed to one row per check. No SDK here;
 * `observe.ts` gathers the observations, and a read that failed arrives as a `Failed` observation.
 */
import type {
  ConfigurationRecorder,
  ConfigurationRecorderStatus,
  DeliveryChannel,
} from "@aws-sdk/client-config-service";
import { DELIVERY_CHANNEL_NAME, RECORDER_NAME } from "../../lib/config-recording";
import {
  ALL_FEATURES,
  COMPLIANCE_HISTORY_TYPE,
  ENABLE_ALL_FEATURES_COMMAND,
  enablePolicyTypeCommand,
  MINIMUM_UNRESERVED_CONCURRENCY,
  POLICY_TYPE_READY_STATUS,
  PREVENTION_POLICY_TYPE,
  RECORDED_TYPE,
  REGION_ENABLED_STATUSES,
  REGION_NOT_ENABLED,
  SOURCES,
} from "./aws-behaviour";

const VERDICTS = ["pass", "warn", "block"] as const;
type Verdict = (typeof VERDICTS)[number];

const CHECKS = [
  "account",
  "region",
  "recorder",
  "recording-frequency",
  "compliance-history",
  "rule-name",
  "concurrency",
  "state-bucket",
  "lock-table",
  "subscriptions",
  "organization-features",
  "policy-type",
  "policy-targets",
] as const;
export type CheckName = (typeof CHECKS)[number];

export interface Finding {
  readonly stack: string;
  readonly check: CheckName;
  readonly verdict: Verdict;
  /** What the account showed. */
  readonly detail: string;
  /** What to do about it; empty for a pass. */
  readonly action: string;
}

/** A read that did not answer: denied (naming the permission, `config:DescribeConfigRules`) or failed. */
type Failed =
  | { readonly failed: "denied"; readonly permission: string }
  | { readonly failed: "error"; readonly operation: string; readonly message: string };

export type Observed<T> = { readonly value: T } | Failed;

export function isFailed<T>(observed: Observed<T>): observed is Failed {
  return "failed" in observed;
}

type Row = Omit<Finding, "stack">;

/**
 * A denied read is a warning naming the permission, never a block by itself; any other failure blocks,
 * because nothing was checked.
 */
export function failedRow(check: CheckName, failure: Failed): Row {
  return failure.failed === "denied"
    ? {
        check,
        verdict: "warn",
        detail: `${failure.permission} denied`,
        action: `grant ${failure.permission} to the deploy role to have this checked`,
      }
    : {
        check,
        verdict: "block",
        detail: `${failure.operation} failed: ${failure.message}`,
        action: "fix the cause and run the preflight again",
      };
}

export function checkAccount(expectedAccount: string, callerAccount: Observed<string>): Row {
  if (isFailed(callerAccount)) return failedRow("account", callerAccount);
  return callerAccount.value === expectedAccount
    ? { check: "account", verdict: "pass", detail: `credentials belong to ${expectedAccount}`, action: "" }
    : {
        check: "account",
        verdict: "block",
        detail: `credentials belong to account ${callerAccount.value}, not the target ${expectedAccount}`,
        action: "use credentials of the target account, or set assumeRoleName on the target",
      };
}

/** `optInStatus` is undefined when DescribeRegions (AllRegions) did not list the region at all. */
export function checkRegion(region: string, optInStatus: Observed<string | undefined>): Row {
  if (isFailed(optInStatus)) return failedRow("region", optInStatus);
  const status = optInStatus.value;
  if (status !== undefined && REGION_ENABLED_STATUSES.includes(status)) {
    return { check: "region", verdict: "pass", detail: `${region} is enabled (${status})`, action: "" };
  }
  return {
    check: "region",
    verdict: "block",
    detail:
      status === undefined
        ? `${region} is not among the account's regions`
        : `${region} is an opt-in region the account has not enabled (${status === REGION_NOT_ENABLED ? status : `status ${status}`})`,
    action: `enable ${region} for the account (Account Management, Regions) and wait until it is enabled`,
  };
}

interface RecorderObservation {
  readonly recorders: Observed<readonly ConfigurationRecorder[]>;
  readonly channels: Observed<readonly DeliveryChannel[]>;
  readonly statuses: Observed<readonly ConfigurationRecorderStatus[]>;
}

/** The customer's recorders: service-linked ones record for their service only. */
function customerRecorders(recorders: readonly ConfigurationRecorder[]): ConfigurationRecorder[] {
  return recorders.filter((recorder) => !recorder.servicePrincipal);
}

/**
 * Whether a recording group records `resourceType`, per RecordingGroup and RecordingStrategy
 * (aws-behaviour SOURCES): EXCLUSION_BY_RESOURCE_TYPES records everything not excluded and overrides the
 * other fields; allSupported records every type; otherwise only the listed resourceTypes are recorded. A
 * recorder without a recording group records every supported type, as RecordingGroup documents the default.
 */
export function recordsResourceType(
  recorder: ConfigurationRecorder,
  resourceType: string = RECORDED_TYPE,
): boolean {
  const group = recorder.recordingGroup;
  if (group === undefined) return true;
  const strategy = group.recordingStrategy?.useOnly;
  if (strategy === "EXCLUSION_BY_RESOURCE_TYPES") {
    return !(group.exclusionByResourceTypes?.resourceTypes ?? []).includes(resourceType as never);
  }
  if (group.allSupported === true || strategy === "ALL_SUPPORTED_RESOURCE_TYPES") return true;
  return (group.resourceTypes ?? []).includes(resourceType as never);
}

/** DAILY or CONTINUOUS for `resourceType`: an override naming the type wins over the recorder's default. */
function recordingFrequencyFor(
  recorder: ConfigurationRecorder,
  resourceType: string = RECORDED_TYPE,
): string {
  const mode = recorder.recordingMode;
  const override = mode?.recordingModeOverrides?.find((o) =>
    (o.resourceTypes ?? []).includes(resourceType as never),
  );
  return override?.recordingFrequency ?? mode?.recordingFrequency ?? "CONTINUOUS";
}

/** The recorder and delivery channel a stack creates, named by its prefix. */
interface OwnRecorderNames {
  readonly recorder: string;
  readonly channel: string;
}

export function checkRecorder(
  choice: "create" | "existing",
  observed: RecorderObservation,
  own: OwnRecorderNames = { recorder: RECORDER_NAME, channel: DELIVERY_CHANNEL_NAME },
): Row[] {
  return choice === "create" ? checkRecorderToCreate(observed, own) : checkExistingRecorder(observed);
}

function checkRecorderToCreate(observed: RecorderObservation, own: OwnRecorderNames): Row[] {
  const { recorders, channels } = observed;
  if (isFailed(recorders)) return [failedRow("recorder", recorders)];
  if (isFailed(channels)) return [failedRow("recorder", channels)];
  const foreignRecorders = customerRecorders(recorders.value).filter((r) => r.name !== own.recorder);
  const foreignChannels = channels.value.filter((c) => c.name !== own.channel);
  if (foreignRecorders.length > 0 || foreignChannels.length > 0) {
    const found = [
      ...foreignRecorders.map((r) => `recorder "${r.name}"`),
      ...foreignChannels.map((c) => `delivery channel "${c.name}"`),
    ].join(", ");
    return [
      {
        check: "recorder",
        verdict: "block",
        detail: `recorder "create", but the account already has ${found}; Config allows one of each per region`,
        action:
          'set recorder to "existing" for this target (after checking that it records AWS::EC2::Instance), or remove the other recorder',
      },
    ];
  }
  const ours = customerRecorders(recorders.value).some((r) => r.name === own.recorder);
  return [
    {
      check: "recorder",
      verdict: "pass",
      detail: ours
        ? `the recorder "${own.recorder}" is ami-guard's own, already deployed`
        : "no recorder or delivery channel yet; ami-guard creates them",
      action: "",
    },
  ];
}

function checkExistingRecorder(observed: RecorderObservation): Row[] {
  const { recorders, statuses } = observed;
  if (isFailed(recorders)) return [failedRow("recorder", recorders)];
  const own = customerRecorders(recorders.value);
  const recorder = own[0];
  if (recorder === undefined) {
    return [
      {
        check: "recorder",
        verdict: "block",
        detail:
          'recorder "existing", but the account has no configuration recorder; the rule would never evaluate',
        action: 'set recorder to "create" for this target, or set up AWS Config first',
      },
    ];
  }
  if (!recordsResourceType(recorder)) {
    return [
      {
        check: "recorder",
        verdict: "block",
        detail: `the recorder "${recorder.name}" does not record ${RECORDED_TYPE}; the rule would never evaluate`,
        action: `add ${RECORDED_TYPE} to the recorder's recording group (or remove it from its exclusions)`,
      },
    ];
  }
  const rows: Row[] = [];
  if (isFailed(statuses)) {
    rows.push(failedRow("recorder", statuses));
  } else {
    const status = statuses.value.find((s) => s.name === recorder.name);
    if (status?.recording !== true) {
      return [
        {
          check: "recorder",
          verdict: "block",
          detail: `the recorder "${recorder.name}" records ${RECORDED_TYPE} but is not recording (stopped)`,
          action: `start it: aws configservice start-configuration-recorder --configuration-recorder-name ${recorder.name}`,
        },
      ];
    }
    rows.push({
      check: "recorder",
      verdict: "pass",
      detail: `the recorder "${recorder.name}" records ${RECORDED_TYPE} and is recording`,
      action: "",
    });
  }
  const frequency = recordingFrequencyFor(recorder);
  rows.push(
    frequency === "DAILY"
      ? {
          check: "recording-frequency",
          verdict: "warn",
          detail: `the recorder "${recorder.name}" records ${RECORDED_TYPE} DAILY: an unapproved instance may run up to a day before it is found`,
          action: `override the recording frequency of ${RECORDED_TYPE} to CONTINUOUS`,
        }
      : {
          check: "recording-frequency",
          verdict: "pass",
          detail: `${RECORDED_TYPE} is recorded ${frequency}`,
          action: "",
        },
  );
  rows.push(
    recordsResourceType(recorder, COMPLIANCE_HISTORY_TYPE)
      ? {
          check: "compliance-history",
          verdict: "pass",
          detail: `the recorder "${recorder.name}" records ${COMPLIANCE_HISTORY_TYPE}: Config keeps each instance's compliance history`,
          action: "",
        }
      : {
          check: "compliance-history",
          verdict: "warn",
          detail: `the recorder "${recorder.name}" does not record ${COMPLIANCE_HISTORY_TYPE}: the rule evaluates, but Config keeps no compliance history of what it found (${SOURCES.complianceHistory})`,
          action: `add ${COMPLIANCE_HISTORY_TYPE} to the recorder's recording group (or remove it from its exclusions); each compliance change is then a configuration item, billed as one`,
        },
  );
  return rows;
}

/**
 * `rule` is undefined when no rule of that name exists; `stackTag` the value of the stack tag on the rule
 * (undefined when it has none).
 */
export function checkRuleName(
  ruleName: string,
  stack: string,
  rule: Observed<{ readonly arn: string } | undefined>,
  stackTag: Observed<string | undefined> | undefined,
): Row {
  if (isFailed(rule)) return failedRow("rule-name", rule);
  if (rule.value === undefined) {
    return {
      check: "rule-name",
      verdict: "pass",
      detail: `no Config rule named "${ruleName}" yet; ami-guard creates it`,
      action: "",
    };
  }
  if (stackTag === undefined || isFailed(stackTag)) {
    const denied = stackTag && stackTag.failed === "denied" ? `${stackTag.permission} denied` : "tags unread";
    return {
      check: "rule-name",
      verdict: "warn",
      detail: `a Config rule named "${ruleName}" exists and its owner is unknown (${denied})`,
      action: `grant config:ListTagsForResource, or confirm the rule is ami-guard's before deploying`,
    };
  }
  if (stackTag.value === stack) {
    return {
      check: "rule-name",
      verdict: "pass",
      detail: `the Config rule "${ruleName}" is this stack's own (tag ami-guard:stack=${stack})`,
      action: "",
    };
  }
  return {
    check: "rule-name",
    verdict: "block",
    detail:
      stackTag.value === undefined
        ? `a Config rule named "${ruleName}" exists that ami-guard did not create; Terraform would fail or take it over`
        : `a Config rule named "${ruleName}" belongs to another stack (${stackTag.value})`,
    action: "choose another ruleName in the configuration, or remove the other rule",
  };
}

export interface ConcurrencyObservation {
  /** AccountLimit.UnreservedConcurrentExecutions. */
  readonly unreserved: number;
  readonly accountLimit: number;
  /** What the deployed function already reserves (0 when it does not exist yet). */
  readonly alreadyReserved: number;
}

export function checkConcurrency(reservation: number, observed: Observed<ConcurrencyObservation>): Row {
  if (isFailed(observed)) return failedRow("concurrency", observed);
  const { unreserved, accountLimit, alreadyReserved } = observed.value;
  const left = unreserved + alreadyReserved - reservation;
  const detail = `reserving ${reservation} of ${accountLimit} leaves ${left} unreserved (at least ${MINIMUM_UNRESERVED_CONCURRENCY} must stay unreserved)`;
  return left >= MINIMUM_UNRESERVED_CONCURRENCY
    ? { check: "concurrency", verdict: "pass", detail, action: "" }
    : {
        check: "concurrency",
        verdict: "block",
        detail,
        action: `request a higher Lambda concurrent executions quota (Service Quotas, Lambda "Concurrent executions"), or lower other reservations by ${MINIMUM_UNRESERVED_CONCURRENCY - left}`,
      };
}

export type BucketObservation = "exists" | "missing";

export function checkStateBucket(bucket: string, observed: Observed<BucketObservation>): Row {
  if (isFailed(observed)) return failedRow("state-bucket", observed);
  return observed.value === "exists"
    ? { check: "state-bucket", verdict: "pass", detail: `state bucket ${bucket} is reachable`, action: "" }
    : {
        check: "state-bucket",
        verdict: "block",
        detail: `state bucket ${bucket} does not exist`,
        action: "create the bucket (versioned, encrypted) or fix backend.bucket",
      };
}

export function checkLockTable(table: string, observed: Observed<string | undefined>): Row {
  if (isFailed(observed)) return failedRow("lock-table", observed);
  const status = observed.value;
  if (status === undefined) {
    return {
      check: "lock-table",
      verdict: "block",
      detail: `lock table ${table} does not exist`,
      action: 'create it with the partition key "LockID" (string), or fix backend.dynamodbTable',
    };
  }
  return status === "ACTIVE"
    ? { check: "lock-table", verdict: "pass", detail: `lock table ${table} is ACTIVE`, action: "" }
    : {
        check: "lock-table",
        verdict: "warn",
        detail: `lock table ${table} is ${status}`,
        action: "wait until it is ACTIVE",
      };
}

/** `pending` is undefined when the topic does not exist yet (the stack is not deployed). */
export function checkSubscriptions(observed: Observed<readonly string[] | undefined>): Row {
  if (isFailed(observed)) return failedRow("subscriptions", observed);
  const pending = observed.value;
  if (pending === undefined) {
    return {
      check: "subscriptions",
      verdict: "pass",
      detail: "topic not deployed yet; every address gets a confirmation e-mail on deploy",
      action: "",
    };
  }
  return pending.length === 0
    ? {
        check: "subscriptions",
        verdict: "pass",
        detail: "every e-mail subscription is confirmed",
        action: "",
      }
    : {
        check: "subscriptions",
        verdict: "warn",
        detail: `${pending.length} e-mail subscription(s) still pending confirmation: ${pending.join(", ")}`,
        action: "each address must follow the link in AWS's confirmation e-mail, or it hears nothing",
      };
}

/** DescribeOrganization's FeatureSet, or undefined when the account belongs to no organization. */
export function checkOrganizationFeatures(account: string, featureSet: Observed<string | undefined>): Row {
  if (isFailed(featureSet)) return failedRow("organization-features", featureSet);
  if (featureSet.value === undefined) {
    return {
      check: "organization-features",
      verdict: "block",
      detail: `account ${account} belongs to no organization; a declarative policy needs one with all features`,
      action:
        "set prevention.accountId to the organization's management account (or its delegated administrator for declarative policies)",
    };
  }
  if (featureSet.value === ALL_FEATURES) {
    return {
      check: "organization-features",
      verdict: "pass",
      detail: "the organization has all features enabled",
      action: "",
    };
  }
  return {
    check: "organization-features",
    verdict: "block",
    detail: `the organization's feature set is ${featureSet.value}; declarative policies need all features (${SOURCES.declarativePolicyPrerequisites})`,
    action: `from the management account: ${ENABLE_ALL_FEATURES_COMMAND}; every invited account must then accept the handshake before it completes (${SOURCES.enableAllFeatures})`,
  };
}

/** The organization's root as ListRoots returns it: its id and the status of each policy type on it. */
export interface RootObservation {
  readonly id: string;
  readonly policyTypes: readonly { readonly type: string; readonly status: string }[];
}

/**
 * Whether DECLARATIVE_POLICY_EC2 is enabled on the root: until it is ENABLED, AttachPolicy fails with
 * PolicyTypeNotEnabledException, after the policy itself was created.
 */
export function checkPolicyType(roots: Observed<readonly RootObservation[]>): Row {
  if (isFailed(roots)) return failedRow("policy-type", roots);
  const [root] = roots.value;
  if (root === undefined) {
    return {
      check: "policy-type",
      verdict: "block",
      detail: "ListRoots returned no root",
      action: "check the account is the organization's management account or its delegated administrator",
    };
  }
  const status = root.policyTypes.find((type) => type.type === PREVENTION_POLICY_TYPE)?.status;
  if (status === POLICY_TYPE_READY_STATUS) {
    return {
      check: "policy-type",
      verdict: "pass",
      detail: `${PREVENTION_POLICY_TYPE} is ${status} on ${root.id}`,
      action: "",
    };
  }
  return {
    check: "policy-type",
    verdict: "block",
    detail:
      status === undefined
        ? `${PREVENTION_POLICY_TYPE} is not enabled on ${root.id}: attaching the policy would fail with PolicyTypeNotEnabledException`
        : `${PREVENTION_POLICY_TYPE} is ${status} on ${root.id}, not ${POLICY_TYPE_READY_STATUS}: attaching the policy may fail with PolicyTypeNotEnabledException`,
    action:
      status === "PENDING_ENABLE"
        ? "wait until ListRoots shows it ENABLED, then run the preflight again"
        : `from the management account: ${enablePolicyTypeCommand(root.id)}${status === "PENDING_DISABLE" ? " once the disable has finished" : ""}`,
  };
}

/** Root ids among the policy's targets must be the organization's own root. */
export function checkPolicyTargets(
  targetIds: readonly string[],
  roots: Observed<readonly RootObservation[]>,
): Row | undefined {
  const namedRoots = targetIds.filter((id) => id.startsWith("r-"));
  if (namedRoots.length === 0 || isFailed(roots)) return undefined;
  const known = new Set(roots.value.map((root) => root.id));
  const unknown = namedRoots.filter((id) => !known.has(id));
  return unknown.length === 0
    ? {
        check: "policy-targets",
        verdict: "pass",
        detail: `${namedRoots.join(", ")} is the organization's root`,
        action: "",
      }
    : {
        check: "policy-targets",
        verdict: "block",
        detail: `prevention.targetIds names ${unknown.join(", ")}, but the organization's root is ${[...known].join(", ") || "unknown"}`,
        action: "fix prevention.targetIds",
      };
}
