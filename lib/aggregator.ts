import { ConfigAggregateAuthorization } from "@cdktf/provider-aws/lib/config-aggregate-authorization";
import { ConfigConfigurationAggregator } from "@cdktf/provider-aws/lib/config-configuration-aggregator";
import { Construct } from "constructs";
import type { AwsRegion } from "./regions";

/**
 * The aggregator's name; `npm run report` reads it. Config allows 1-256 characters of `[\w\-]+`
 * (https://docs.aws.amazon.com/config/latest/APIReference/API_PutConfigurationAggregator.html).
 */
export const AGGREGATOR_NAME = "ami-guard";

/** Where the aggregator lives: the account that reads the organization's compliance, and its region. */
export interface AggregatorLocation {
  readonly accountId: string;
  readonly region: AwsRegion;
}

export interface ComplianceAggregatorProps {
  /** Every account whose compliance the aggregator collects; each must authorize it. */
  readonly sourceAccountIds: readonly string[];
  /** Every region collected from each of those accounts. */
  readonly sourceRegions: readonly AwsRegion[];
}

/**
 * An account-based Config aggregator (`account_aggregation_source`): it needs no IAM role, but every source
 * account and region must hold an aggregation authorization for this account and region, see
 * https://docs.aws.amazon.com/config/latest/developerguide/authorize-aggregator-account-console.html.
 * The provider takes one block of accounts crossed with regions, so when the targets are not a full cross
 * product some pairs have no authorization and contribute nothing; `npm run report` lists only what the
 * aggregator holds. The argument names are those of provider 5.100.0's schema (the generated bindings).
 */
export class ComplianceAggregator extends Construct {
  readonly aggregator: ConfigConfigurationAggregator;

  constructor(scope: Construct, id: string, props: ComplianceAggregatorProps) {
    super(scope, id);
    if (props.sourceAccountIds.length === 0 || props.sourceRegions.length === 0) {
      throw new Error("an aggregator needs at least one source account and one source region");
    }
    this.aggregator = new ConfigConfigurationAggregator(this, "aggregator", {
      name: AGGREGATOR_NAME,
      accountAggregationSource: {
        accountIds: [...new Set(props.sourceAccountIds)].sort(),
        regions: [...new Set(props.sourceRegions)].sort(),
      },
    });
  }
}

/**
 * In a source account and region: lets the aggregator account collect from here. In provider 5.100.0 the
 * arguments are `account_id` and `region` (provider 6 renamed them to `authorized_account_id` and
 * `authorized_aws_region`); they map to PutAggregationAuthorization's AuthorizedAccountId and
 * AuthorizedAwsRegion (https://docs.aws.amazon.com/config/latest/APIReference/API_PutAggregationAuthorization.html).
 */
export class AggregationAuthorization extends Construct {
  readonly authorization: ConfigAggregateAuthorization;

  constructor(scope: Construct, id: string, props: AggregatorLocation) {
    super(scope, id);
    this.authorization = new ConfigAggregateAuthorization(this, "authorization", {
      accountId: props.accountId,
      region: props.region,
    });
  }
}
