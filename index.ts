/**
 * The public API of ami-guard as a library: the AmiGuard construct, its props and the types of the parts it
 * exposes. Only constructs are exported; the configuration file, bundling and tools belong to the app.
 */

export type { AggregationAuthorization, AggregatorLocation } from "./lib/aggregator";
export type { FailedRemediationNotifications, PipelineAlarms } from "./lib/alarms";
export {
  ADDRESS_PRESERVING_ID,
  AmiGuard,
  type AmiGuardProps,
  AmiGuardPropsError,
  type AuditMode,
  type AutomaticMode,
  type CreateRecording,
  DEFAULT_AUTOMATIC_RETRY,
  DEFAULT_EXEMPTION_TAG_KEY,
  DEFAULT_RULE_NAME,
  defaultRuleName,
  type EventDrivenMode,
  type ExistingRecording,
  longestDerivedName,
  type ManualMode,
  NAME_PREFIX_MAX_LENGTH,
  Recording,
  RemediationMode,
  type RemediationModeName,
} from "./lib/ami-guard";
export type { ApprovedAmisRule } from "./lib/approved-amis-rule";
export type { ConfigRecording } from "./lib/config-recording";
export type { RemediationDashboard } from "./lib/dashboard";
export type { EventDrivenRemediation } from "./lib/event-driven-remediation";
export type { DeadLetterQueue } from "./lib/failure-handling";
export { FunctionCode, functionCodeFromZip } from "./lib/function-code";
export type { ServiceRole } from "./lib/iam";
export { InstanceScope, type RuleScopeBlock } from "./lib/instance-scope";
export type { EncryptionKey } from "./lib/kms";
export { DEFAULT_NAME_PREFIX, type ResourceNames, resourceNames } from "./lib/names";
export type { NotificationTopic } from "./lib/notifications";
export { AWS_REGIONS, type AwsRegion } from "./lib/regions";
export type { AutomaticRetrySettings, StopInstanceRemediation } from "./lib/remediation";
