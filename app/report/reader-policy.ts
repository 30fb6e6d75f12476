import type { AwsRegion } from "../../lib/regions";
import { partitionOf } from "../../lib/regions";

/**
 * Every read `npm run report` makes, by what it is for; the report names these when a read is denied, and
 * the reader policy grants exactly these.
 */
export const REPORT_READS = {
  rulesPerSource: "config:DescribeAggregateComplianceByConfigRules",
  nonCompliantResources: "config:GetAggregateComplianceDetailsByConfigRule",
  instanceConfiguration: "config:BatchGetAggregateResourceConfig",
} as const;

export interface AggregatorLocation {
  readonly accountId: string;
  readonly region: AwsRegion;
}

/**
 * The least IAM policy for a principal in the aggregator's account to run the report: the three reads, on
 * that account's aggregators in that region only. An aggregator's ARN carries its generated id, not its
 * name (Service Authorization Reference, AWS Config, resource type ConfigurationAggregator), hence the
 * wildcard after `config-aggregator/`.
 */
export function reportReaderPolicy(aggregator: AggregatorLocation) {
  return {
    Version: "2012-10-17" as const,
    Statement: [
      {
        Sid: "ReadTheAggregator",
        Effect: "Allow",
        Action: Object.values(REPORT_READS),
        Resource: `arn:${partitionOf(aggregator.region)}:config:${aggregator.region}:${aggregator.accountId}:config-aggregator/*`,
      },
    ],
  };
}
