/**
 * The preflight's reads: Describe, Get, List and Head calls only. Each returns an `Observed` value: the
 * answer, or the permission that was denied, or the failure. Nothing here decides a verdict.
 */
import {
  type ConfigServiceClient,
  type ConfigurationRecorder,
  type ConfigurationRecorderStatus,
  type DeliveryChannel,
  DescribeConfigRulesCommand,
  DescribeConfigurationRecorderStatusCommand,
  DescribeConfigurationRecordersCommand,
  DescribeDeliveryChannelsCommand,
  ListTagsForResourceCommand,
} from "@aws-sdk/client-config-service";
import { DescribeTableCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DescribeRegionsCommand, type EC2Client } from "@aws-sdk/client-ec2";
import {
  GetAccountSettingsCommand,
  GetFunctionConcurrencyCommand,
  type LambdaClient,
} from "@aws-sdk/client-lambda";
import {
  DescribeOrganizationCommand,
  ListRootsCommand,
  type OrganizationsClient,
} from "@aws-sdk/client-organizations";
import { HeadBucketCommand, type S3Client } from "@aws-sdk/client-s3";
import { ListSubscriptionsByTopicCommand, type SNSClient } from "@aws-sdk/client-sns";
import { GetCallerIdentityCommand, type STSClient } from "@aws-sdk/client-sts";
import { HEAD_BUCKET_ACTION, isPendingSubscription, NOT_IN_AN_ORGANIZATION_ERROR } from "./aws-behaviour";
import type { BucketObservation, ConcurrencyObservation, Observed, RootObservation } from "./checks";

/**
 * Error names AWS services use for a refused authorization: Config, Lambda, DynamoDB, Organizations and STS
 * say AccessDenied(Exception), EC2 UnauthorizedOperation, SNS AuthorizationError.
 */
const DENIED_ERROR_NAMES = new Set([
  "AccessDenied",
  "AccessDeniedException",
  "UnauthorizedOperation",
  "AuthorizationError",
  "AuthorizationErrorException",
]);

interface AwsError {
  readonly name?: string;
  readonly message?: string;
  readonly $metadata?: { readonly httpStatusCode?: number };
}

export function isAccessDenied(error: unknown): boolean {
  const { name = "", $metadata } = (error ?? {}) as AwsError;
  if (DENIED_ERROR_NAMES.has(name)) return true;
  // A HEAD answer has no body to name the error, so the SDK reports S3's 403 as "Unknown": the status is all.
  return name === "Unknown" && $metadata?.httpStatusCode === 403;
}

/**
 * Runs one read. `absent` maps the error that means "no such thing" to a value; access denied becomes the
 * permission's name; anything else is a failure that names the operation.
 */
export async function read<T>(
  permission: string,
  call: () => Promise<T>,
  absent?: { readonly errorNames: readonly string[]; readonly value: T },
): Promise<Observed<T>> {
  try {
    return { value: await call() };
  } catch (error) {
    const name = (error as AwsError)?.name ?? "";
    if (absent?.errorNames.includes(name)) return { value: absent.value };
    if (isAccessDenied(error)) return { failed: "denied", permission };
    const message = (error as AwsError)?.message || name || String(error);
    return { failed: "error", operation: permission, message: `${name ? `${name}: ` : ""}${message}` };
  }
}

/** Follows NextToken until the service stops returning one. */
async function allPages<Page, Item>(
  fetch: (token: string | undefined) => Promise<Page>,
  items: (page: Page) => readonly Item[] | undefined,
  nextToken: (page: Page) => string | undefined,
): Promise<Item[]> {
  const collected: Item[] = [];
  let token: string | undefined;
  do {
    const page = await fetch(token);
    collected.push(...(items(page) ?? []));
    token = nextToken(page);
  } while (token);
  return collected;
}

export function callerAccount(sts: STSClient): Promise<Observed<string>> {
  // GetCallerIdentity needs no permission; a failure here is the credentials themselves.
  return read("sts:GetCallerIdentity", async () => {
    const identity = await sts.send(new GetCallerIdentityCommand({}));
    if (!identity.Account) throw new Error("GetCallerIdentity returned no account");
    return identity.Account;
  });
}

export function regionOptInStatus(ec2: EC2Client, region: string): Promise<Observed<string | undefined>> {
  return read("ec2:DescribeRegions", async () => {
    const answer = await ec2.send(new DescribeRegionsCommand({ AllRegions: true, RegionNames: [region] }));
    return answer.Regions?.find((r) => r.RegionName === region)?.OptInStatus;
  });
}

export function recorders(config: ConfigServiceClient): Promise<Observed<ConfigurationRecorder[]>> {
  return read("config:DescribeConfigurationRecorders", async () => {
    const answer = await config.send(new DescribeConfigurationRecordersCommand({}));
    return answer.ConfigurationRecorders ?? [];
  });
}

export function deliveryChannels(config: ConfigServiceClient): Promise<Observed<DeliveryChannel[]>> {
  return read("config:DescribeDeliveryChannels", async () => {
    const answer = await config.send(new DescribeDeliveryChannelsCommand({}));
    return answer.DeliveryChannels ?? [];
  });
}

export function recorderStatuses(
  config: ConfigServiceClient,
): Promise<Observed<ConfigurationRecorderStatus[]>> {
  return read("config:DescribeConfigurationRecorderStatus", async () => {
    const answer = await config.send(new DescribeConfigurationRecorderStatusCommand({}));
    return answer.ConfigurationRecordersStatus ?? [];
  });
}

/** The rule's ARN, or undefined when Config answers NoSuchConfigRuleException (SOURCES.describeConfigRules). */
export function configRule(
  config: ConfigServiceClient,
  ruleName: string,
): Promise<Observed<{ readonly arn: string } | undefined>> {
  return read(
    "config:DescribeConfigRules",
    async () => {
      const rules = await allPages(
        (NextToken) =>
          config.send(new DescribeConfigRulesCommand({ ConfigRuleNames: [ruleName], NextToken })),
        (page) => page.ConfigRules,
        (page) => page.NextToken,
      );
      const rule = rules.find((r) => r.ConfigRuleName === ruleName);
      return rule ? { arn: rule.ConfigRuleArn ?? "" } : undefined;
    },
    { errorNames: ["NoSuchConfigRuleException"], value: undefined },
  );
}

export function tagValue(
  config: ConfigServiceClient,
  resourceArn: string,
  key: string,
): Promise<Observed<string | undefined>> {
  return read("config:ListTagsForResource", async () => {
    const tags = await allPages(
      (NextToken) => config.send(new ListTagsForResourceCommand({ ResourceArn: resourceArn, NextToken })),
      (page) => page.Tags,
      (page) => page.NextToken,
    );
    return tags.find((tag) => tag.Key === key)?.Value;
  });
}

export async function concurrency(
  lambda: LambdaClient,
  functionName: string,
): Promise<{
  readonly account: Observed<ConcurrencyObservation>;
  readonly functionReservation: Observed<number>;
}> {
  const functionReservation = await read(
    "lambda:GetFunctionConcurrency",
    async () =>
      (await lambda.send(new GetFunctionConcurrencyCommand({ FunctionName: functionName })))
        .ReservedConcurrentExecutions ?? 0,
    { errorNames: ["ResourceNotFoundException"], value: 0 },
  );
  const account = await read("lambda:GetAccountSettings", async () => {
    const limit = (await lambda.send(new GetAccountSettingsCommand({}))).AccountLimit;
    if (limit?.UnreservedConcurrentExecutions === undefined || limit.ConcurrentExecutions === undefined) {
      throw new Error("GetAccountSettings returned no concurrency limits");
    }
    return {
      unreserved: limit.UnreservedConcurrentExecutions,
      accountLimit: limit.ConcurrentExecutions,
      // A reservation the function already holds comes back to the pool when it is replaced by the new one.
      alreadyReserved: "value" in functionReservation ? functionReservation.value : 0,
    };
  });
  return { account, functionReservation };
}

/** The endpoints of e-mail subscriptions not confirmed yet, or undefined when the topic does not exist. */
export function pendingSubscriptions(
  sns: SNSClient,
  topicArn: string,
): Promise<Observed<string[] | undefined>> {
  return read(
    "sns:ListSubscriptionsByTopic",
    async () => {
      const subscriptions = await allPages(
        (NextToken) => sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: topicArn, NextToken })),
        (page) => page.Subscriptions,
        (page) => page.NextToken,
      );
      return subscriptions
        .filter((s) => s.Protocol === "email" && isPendingSubscription(s.SubscriptionArn))
        .map((s) => s.Endpoint ?? "(no endpoint)");
    },
    { errorNames: ["NotFoundException", "NotFound"], value: undefined },
  );
}

export function bucket(s3: S3Client, name: string): Promise<Observed<BucketObservation>> {
  return read(
    HEAD_BUCKET_ACTION,
    async () => {
      await s3.send(new HeadBucketCommand({ Bucket: name }));
      return "exists" as const;
    },
    { errorNames: ["NotFound", "NoSuchBucket"], value: "missing" as const },
  );
}

/** The table's status, or undefined when DynamoDB answers ResourceNotFoundException. */
export function tableStatus(dynamodb: DynamoDBClient, table: string): Promise<Observed<string | undefined>> {
  return read(
    "dynamodb:DescribeTable",
    async () => (await dynamodb.send(new DescribeTableCommand({ TableName: table }))).Table?.TableStatus,
    { errorNames: ["ResourceNotFoundException"], value: undefined },
  );
}

/** The organization's feature set (`ALL` or `CONSOLIDATED_BILLING`), or undefined outside any organization. */
export function organizationFeatureSet(
  organizations: OrganizationsClient,
): Promise<Observed<string | undefined>> {
  return read(
    "organizations:DescribeOrganization",
    async () => {
      const answer = await organizations.send(new DescribeOrganizationCommand({}));
      if (!answer.Organization?.FeatureSet) throw new Error("DescribeOrganization returned no FeatureSet");
      return answer.Organization.FeatureSet;
    },
    { errorNames: [NOT_IN_AN_ORGANIZATION_ERROR], value: undefined },
  );
}

/** The organization's roots with the status of each policy type enabled on them. */
export function organizationRoots(organizations: OrganizationsClient): Promise<Observed<RootObservation[]>> {
  return read(
    "organizations:ListRoots",
    async () => {
      const roots = await allPages(
        (NextToken) => organizations.send(new ListRootsCommand({ NextToken })),
        (page) => page.Roots,
        (page) => page.NextToken,
      );
      return roots.map((root) => ({
        id: root.Id ?? "",
        policyTypes: (root.PolicyTypes ?? []).map((type) => ({
          type: type.Type ?? "",
          status: type.Status ?? "",
        })),
      }));
    },
    { errorNames: [NOT_IN_AN_ORGANIZATION_ERROR], value: [] },
  );
}
