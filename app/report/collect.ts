import {
  type AggregateResourceIdentifier,
  type BaseConfigurationItem,
  BatchGetAggregateResourceConfigCommand,
  type ConfigServiceClient,
  paginateDescribeAggregateComplianceByConfigRules,
  paginateGetAggregateComplianceDetailsByConfigRule,
} from "@aws-sdk/client-config-service";
import { COMPLIANCE_CHANGE_EVENT, EC2_INSTANCE_RESOURCE_TYPE } from "../../lib/contract";
import { REPORT_READS } from "./reader-policy";

/**
 * The aggregator cannot say whether Config's remediation ran: DescribeRemediationExecutionStatus answers
 * only in the member account itself, and reading it would take a role in every account. What the
 * aggregator does hold is the instance's latest configuration item, whose state says whether the
 * corrective control (or anyone) has stopped it. The column reports that, and says so in its values.
 */
const REMEDIATION_STATES = [
  /** Stopped: the remediation (or a person) has done what ami-guard would do. */
  "stopped",
  "stopping",
  /** Running, NON_COMPLIANT, not stopped: the remediation has not acted (guarded, audit mode, failed). */
  "running, not stopped",
  "pending",
  "shutting-down",
  "terminated",
  /** No configuration item: Config does not return deleted resources, or has not recorded it yet. */
  "no configuration item",
  /** A state outside EC2's documented instance states. */
  "unknown",
] as const;
type RemediationState = (typeof REMEDIATION_STATES)[number];

export interface NonCompliantInstance {
  readonly accountId: string;
  readonly region: string;
  readonly instanceId: string;
  /** @default - absent when the aggregator holds no configuration item for the instance */
  readonly imageId?: string;
  /** When Config recorded the NON_COMPLIANT evaluation (ResultRecordedTime), ISO 8601. */
  readonly since: string;
  readonly remediationState: RemediationState;
}

interface CollectOptions {
  readonly aggregatorName: string;
  readonly ruleName: string;
}

/** An AWS call that failed, with the IAM action it needs, so a denial names the permission. */
export class ReportCallError extends Error {
  constructor(
    readonly action: string,
    override readonly cause: unknown,
  ) {
    const name = cause instanceof Error ? cause.name : "Error";
    const detail = cause instanceof Error ? cause.message : String(cause);
    super(
      name === "AccessDeniedException" || name === "AccessDenied"
        ? `missing permission ${action}: ${detail}`
        : `${action} failed (${name}): ${detail}`,
    );
    this.name = "ReportCallError";
  }

  get denied(): boolean {
    return this.message.startsWith("missing permission");
  }
}

async function calling<T>(action: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw new ReportCallError(action, error);
  }
}

/**
 * BatchGetAggregateResourceConfig takes 1-100 identifiers and may leave some unprocessed
 * (https://docs.aws.amazon.com/config/latest/APIReference/API_BatchGetAggregateResourceConfig.html).
 */
export const BATCH_GET_MAX_IDENTIFIERS = 100;
/** Rounds spent asking again for unprocessed identifiers before the report gives up, loudly. */
const UNPROCESSED_ROUNDS = 3;

const INSTANCE_STATES: ReadonlySet<string> = new Set([
  "pending",
  "stopping",
  "stopped",
  "shutting-down",
  "terminated",
]);

function remediationStateOf(item: BaseConfigurationItem | undefined): {
  imageId?: string;
  state: RemediationState;
} {
  if (!item?.configuration) return { state: "no configuration item" };
  let configuration: { imageId?: unknown; state?: { name?: unknown } };
  try {
    configuration = JSON.parse(item.configuration);
  } catch {
    return { state: "unknown" };
  }
  const imageId = typeof configuration.imageId === "string" ? configuration.imageId : undefined;
  const name = configuration.state?.name;
  const state: RemediationState =
    name === "running"
      ? "running, not stopped"
      : typeof name === "string" && INSTANCE_STATES.has(name)
        ? (name as RemediationState)
        : "unknown";
  return { ...(imageId ? { imageId } : {}), state };
}

const itemKey = (accountId?: string, region?: string, resourceId?: string) =>
  `${accountId}/${region}/${resourceId}`;

/** Every NON_COMPLIANT instance of the rule the aggregator knows of, sorted by account, region, instance. */
export async function collectNonCompliantInstances(
  client: ConfigServiceClient,
  options: CollectOptions,
): Promise<NonCompliantInstance[]> {
  const sources = await calling(REPORT_READS.rulesPerSource, async () => {
    const found: { accountId: string; region: string }[] = [];
    for await (const page of paginateDescribeAggregateComplianceByConfigRules(
      { client },
      {
        ConfigurationAggregatorName: options.aggregatorName,
        Filters: { ConfigRuleName: options.ruleName, ComplianceType: COMPLIANCE_CHANGE_EVENT.nonCompliant },
      },
    )) {
      for (const rule of page.AggregateComplianceByConfigRules ?? []) {
        if (rule.AccountId && rule.AwsRegion)
          found.push({ accountId: rule.AccountId, region: rule.AwsRegion });
      }
    }
    return found;
  });

  const evaluations: { accountId: string; region: string; instanceId: string; since: string }[] = [];
  for (const source of sources) {
    await calling(REPORT_READS.nonCompliantResources, async () => {
      for await (const page of paginateGetAggregateComplianceDetailsByConfigRule(
        { client },
        {
          ConfigurationAggregatorName: options.aggregatorName,
          ConfigRuleName: options.ruleName,
          AccountId: source.accountId,
          AwsRegion: source.region,
          ComplianceType: COMPLIANCE_CHANGE_EVENT.nonCompliant,
        },
      )) {
        for (const result of page.AggregateEvaluationResults ?? []) {
          const qualifier = result.EvaluationResultIdentifier?.EvaluationResultQualifier;
          if (qualifier?.ResourceType !== EC2_INSTANCE_RESOURCE_TYPE || !qualifier.ResourceId) continue;
          evaluations.push({
            accountId: result.AccountId ?? source.accountId,
            region: result.AwsRegion ?? source.region,
            instanceId: qualifier.ResourceId,
            since: (result.ResultRecordedTime ?? result.ConfigRuleInvokedTime)?.toISOString() ?? "",
          });
        }
      }
    });
  }

  const items = await configurationItems(
    client,
    options.aggregatorName,
    evaluations.map((evaluation) => ({
      SourceAccountId: evaluation.accountId,
      SourceRegion: evaluation.region,
      ResourceId: evaluation.instanceId,
      ResourceType: EC2_INSTANCE_RESOURCE_TYPE,
    })),
  );

  return evaluations
    .map((evaluation) => {
      const { imageId, state } = remediationStateOf(
        items.get(itemKey(evaluation.accountId, evaluation.region, evaluation.instanceId)),
      );
      return { ...evaluation, ...(imageId ? { imageId } : {}), remediationState: state };
    })
    .sort(
      (a, b) =>
        a.accountId.localeCompare(b.accountId) ||
        a.region.localeCompare(b.region) ||
        a.instanceId.localeCompare(b.instanceId),
    );
}

async function configurationItems(
  client: ConfigServiceClient,
  aggregatorName: string,
  identifiers: readonly AggregateResourceIdentifier[],
): Promise<Map<string, BaseConfigurationItem>> {
  const items = new Map<string, BaseConfigurationItem>();
  for (let start = 0; start < identifiers.length; start += BATCH_GET_MAX_IDENTIFIERS) {
    let pending = identifiers.slice(start, start + BATCH_GET_MAX_IDENTIFIERS);
    for (let round = 0; pending.length > 0; round += 1) {
      if (round === UNPROCESSED_ROUNDS) {
        throw new ReportCallError(
          REPORT_READS.instanceConfiguration,
          new Error(
            `${pending.length} instance(s) still unprocessed after ${UNPROCESSED_ROUNDS} requests: ${pending
              .map((identifier) => identifier.ResourceId)
              .join(", ")}`,
          ),
        );
      }
      const batch = pending;
      const response = await calling(REPORT_READS.instanceConfiguration, () =>
        client.send(
          new BatchGetAggregateResourceConfigCommand({
            ConfigurationAggregatorName: aggregatorName,
            ResourceIdentifiers: batch,
          }),
        ),
      );
      for (const item of response.BaseConfigurationItems ?? []) {
        items.set(itemKey(item.accountId, item.awsRegion, item.resourceId), item);
      }
      pending = response.UnprocessedResourceIdentifiers ?? [];
    }
  }
  return items;
}
