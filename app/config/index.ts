import type { AllowedImagesState } from "../../lib/allowed-images";
import type { AwsRegion } from "../../lib/regions";
import type { AutomaticRetrySettings } from "../../lib/remediation";
import type { ParsedConfig, RecorderChoice, RemediationMode } from "./schema";

/*
 * The validated configuration the app builds stacks from. The schema is in schema.ts, target expansion
 * in targets.ts, the checks across fields in checks.ts, and parsing and loading in load.ts.
 */

export interface Target {
  readonly accountId: string;
  readonly region: AwsRegion;
  readonly recorder: RecorderChoice;
  readonly mode: RemediationMode;
  readonly dryRun: boolean;
  /** @default - Terraform uses the caller's own credentials */
  readonly assumeRoleName?: string;
  /**
   * The configuration's `namePrefix`: of the stack's name, its state key and every physical name.
   * @default "ami-guard" (lib/names DEFAULT_NAME_PREFIX), with the stack name and state key of old
   */
  readonly namePrefix?: string;
  /** The ids this stack's rule approves, resolved for its region (app/approved-amis.ts says how). */
  readonly approvedAmiIds: readonly string[];
  /** Where the target came from in the configuration, for messages: `targets[0]`, `targetGroups[1]`. */
  readonly source: string;
  /**
   * Images of `retain: "newest"` files left out of this stack's list to fit the rule's limits, one line
   * each (the stack records them for the plan summary). @default - none left out
   */
  readonly approvedAmisNotKept?: readonly string[];
}

export type BackendConfig = ParsedConfig["backend"];

/** Where the organization's aggregator is deployed. */
export interface AggregatorConfig {
  readonly accountId: string;
  readonly region: AwsRegion;
  /** @default - Terraform uses the caller's own credentials */
  readonly assumeRoleName?: string;
}

/** The Allowed AMIs declarative policy and where it is deployed from. */
export interface PreventionConfig {
  readonly accountId: string;
  readonly region: AwsRegion;
  /** @default - Terraform uses the caller's own credentials */
  readonly assumeRoleName?: string;
  readonly state: AllowedImagesState;
  readonly imageProviders: readonly string[];
  /** @default - any name from the providers */
  readonly imageNames?: readonly string[];
  readonly targetIds: readonly string[];
}

/** How a deploy is staged (app/waves.ts). */
export interface DeploymentConfig {
  /** Stack names deployed first, alone. */
  readonly canary: readonly string[];
  readonly firstWaveSize: number;
  readonly growthFactor: number;
  readonly maxWaves: number;
}

export interface AmiGuardConfig {
  readonly ruleName: string;
  /** Set only when the file sets it; every target carries it too. @default "ami-guard" */
  readonly namePrefix?: string;
  /** Hours between two scheduled re-evaluations of the rule. */
  readonly reevaluationIntervalHours: number;
  readonly automatic: AutomaticRetrySettings;
  readonly exemptionTagKey: string;
  /** @default - none: the function shares the account's unreserved concurrency */
  readonly reservedConcurrentExecutions?: number;
  readonly notificationEmails: readonly string[];
  readonly targets: readonly Target[];
  readonly backend: BackendConfig;
  readonly tags: Readonly<Record<string, string>>;
  /** @default - no aggregator stack, no authorizations */
  readonly aggregator?: AggregatorConfig;
  /** @default - no declarative policy */
  readonly prevention?: PreventionConfig;
  /** @default - no canary; app/waves.ts WAVE_DEFAULTS */
  readonly deployment?: DeploymentConfig;
  /**
   * What synthesis passed over or left out and says so (builds that are not AMIs, images left out to fit
   * the rule's limits, a flat list a region's files replace), one line each. @default - none
   */
  readonly warnings?: readonly string[];
}
