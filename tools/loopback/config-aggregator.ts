/**
 * The read side of an AWS Config aggregator on the loopback server: the three Config JSON 1.1 operations
 * `npm run report` calls, answered from a list of instances, with NextToken paging, so the report runs
 * against the real SDK on the wire. Shapes follow the Config API reference:
 * DescribeAggregateComplianceByConfigRules, GetAggregateComplianceDetailsByConfigRule and
 * BatchGetAggregateResourceConfig (1-100 identifiers, https://docs.aws.amazon.com/config/latest/APIReference/).
 */
import { type AwsLoopback, configError, configJson, type RecordedRequest } from "./aws-loopback";

export interface AggregatedInstance {
  readonly accountId: string;
  readonly region: string;
  readonly instanceId: string;
  /** When Config recorded the NON_COMPLIANT evaluation. */
  readonly recordedAt: Date;
  /** @default "ami-0123456789abcdef0" */
  readonly imageId?: string;
  /** EC2's instance state name in the latest configuration item. @default "running" */
  readonly state?: string;
  /** False: the aggregator holds no configuration item (a deleted instance). @default true */
  readonly recorded?: boolean;
}

interface AggregatorModel {
  readonly aggregatorName: string;
  readonly ruleName: string;
  readonly instances: readonly AggregatedInstance[];
  /** Results per page of the two paginated operations; small, so tests cross page boundaries. */
  readonly pageSize: number;
}

const BATCH_GET_LIMIT = 100;

interface Json {
  readonly [key: string]: unknown;
}

function page<T>(items: readonly T[], request: Json, pageSize: number): { items: T[]; NextToken?: string } {
  const start = typeof request.NextToken === "string" ? Number(request.NextToken) : 0;
  const limit = typeof request.Limit === "number" && request.Limit > 0 ? request.Limit : pageSize;
  const end = start + Math.min(limit, pageSize);
  return { items: items.slice(start, end), ...(end < items.length ? { NextToken: String(end) } : {}) };
}

const seconds = (date: Date) => date.getTime() / 1000;

/** Answers the aggregator's read operations from `model` (scripted responses queued first still win). */
export function serveAggregator(loopback: AwsLoopback, model: AggregatorModel): void {
  const known = (request: RecordedRequest) => {
    const body = (request.json ?? {}) as Json;
    return body.ConfigurationAggregatorName === model.aggregatorName
      ? undefined
      : configError(
          "NoSuchConfigurationAggregatorException",
          `The configuration aggregator does not exist. Check the configuration aggregator name and try again.`,
        );
  };

  loopback.setDefault("DescribeAggregateComplianceByConfigRules", (request) => {
    const body = (request.json ?? {}) as Json;
    const filters = (body.Filters ?? {}) as Json;
    const sources = [
      ...new Set(
        model.instances
          .filter(() => filters.ConfigRuleName === undefined || filters.ConfigRuleName === model.ruleName)
          .map((instance) => `${instance.accountId} ${instance.region}`),
      ),
    ].sort();
    const { items, NextToken } = page(sources, body, model.pageSize);
    return (
      known(request) ??
      configJson({
        AggregateComplianceByConfigRules: items.map((source) => {
          const [accountId, region] = source.split(" ");
          return {
            ConfigRuleName: model.ruleName,
            Compliance: { ComplianceType: "NON_COMPLIANT" },
            AccountId: accountId,
            AwsRegion: region,
          };
        }),
        ...(NextToken ? { NextToken } : {}),
      })
    );
  });

  loopback.setDefault("GetAggregateComplianceDetailsByConfigRule", (request) => {
    const body = (request.json ?? {}) as Json;
    if (body.AccountId === undefined || body.AwsRegion === undefined) {
      return configError("ValidationException", "AccountId and AwsRegion are required");
    }
    const matching = model.instances.filter(
      (instance) =>
        body.ConfigRuleName === model.ruleName &&
        instance.accountId === body.AccountId &&
        instance.region === body.AwsRegion,
    );
    const { items, NextToken } = page(matching, body, model.pageSize);
    return (
      known(request) ??
      configJson({
        AggregateEvaluationResults: items.map((instance) => ({
          EvaluationResultIdentifier: {
            EvaluationResultQualifier: {
              ConfigRuleName: model.ruleName,
              ResourceType: "AWS::EC2::Instance",
              ResourceId: instance.instanceId,
            },
            OrderingTimestamp: seconds(instance.recordedAt),
          },
          ComplianceType: "NON_COMPLIANT",
          ResultRecordedTime: seconds(instance.recordedAt),
          ConfigRuleInvokedTime: seconds(instance.recordedAt) - 1,
          AccountId: instance.accountId,
          AwsRegion: instance.region,
        })),
        ...(NextToken ? { NextToken } : {}),
      })
    );
  });

  loopback.setDefault("BatchGetAggregateResourceConfig", (request) => {
    const body = (request.json ?? {}) as Json;
    const identifiers = (body.ResourceIdentifiers ?? []) as Json[];
    if (identifiers.length < 1 || identifiers.length > BATCH_GET_LIMIT) {
      return configError(
        "ValidationException",
        `1 validation error detected: Value at 'resourceIdentifiers' failed to satisfy constraint: Member must have length less than or equal to ${BATCH_GET_LIMIT}`,
      );
    }
    const items = identifiers.flatMap((identifier) => {
      const instance = model.instances.find(
        (candidate) =>
          candidate.accountId === identifier.SourceAccountId &&
          candidate.region === identifier.SourceRegion &&
          candidate.instanceId === identifier.ResourceId,
      );
      if (!instance || instance.recorded === false) return [];
      return [
        {
          accountId: instance.accountId,
          awsRegion: instance.region,
          resourceId: instance.instanceId,
          resourceType: "AWS::EC2::Instance",
          configurationItemStatus: "OK",
          configuration: JSON.stringify({
            instanceId: instance.instanceId,
            imageId: instance.imageId ?? "ami-0123456789abcdef0",
            state: { code: 16, name: instance.state ?? "running" },
          }),
        },
      ];
    });
    return (
      known(request) ?? configJson({ BaseConfigurationItems: items, UnprocessedResourceIdentifiers: [] })
    );
  });
}
