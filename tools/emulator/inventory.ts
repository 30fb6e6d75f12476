/**
 * What an account holds in the emulator, listed service by service through the proxy, for tests that prove
 * a destroy or an offboarding left nothing behind. moto's own `/moto-api/data.json` cannot serve: it keeps
 * every model instance ever created, deleted ones included (moto/core/common_models.py appends to
 * `instances_tracked`; only a reset empties it).
 */
import {
  ConfigServiceClient,
  DescribeConfigRulesCommand,
  DescribeConfigurationRecordersCommand,
  DescribeDeliveryChannelsCommand,
} from "@aws-sdk/client-config-service";
import { DescribeInstancesCommand, EC2Client } from "@aws-sdk/client-ec2";
import { LambdaClient, ListFunctionsCommand } from "@aws-sdk/client-lambda";
import { ListBucketsCommand, S3Client } from "@aws-sdk/client-s3";
import { ListTopicsCommand, SNSClient } from "@aws-sdk/client-sns";
import { ListQueuesCommand, SQSClient } from "@aws-sdk/client-sqs";

export interface RemainingResource {
  /** `iam:role`, `kms:key`, `s3:bucket`, … */
  readonly kind: string;
  readonly name: string;
  /** A state worth reading beside the name (a key's `PendingDeletion`). */
  readonly state?: string;
}

/** SigV4-shaped authorization the proxy reads the account, region and service from; moto checks no signature. */
function authorization(accountId: string, region: string, service: string): string {
  return `AWS4-HMAC-SHA256 Credential=${accountId}/20260101/${region}/${service}/aws4_request, SignedHeaders=host, Signature=0`;
}

async function answerText(response: Response, what: string): Promise<string> {
  const text = await response.text();
  if (!response.ok) throw new Error(`${what} answered ${response.status}: ${text.slice(0, 500)}`);
  return text;
}

/** A JSON-protocol call (KMS, CloudWatch Logs, EventBridge). */
async function jsonCall(
  url: string,
  scope: { accountId: string; region: string; service: string },
  target: string,
  body: unknown,
): Promise<Record<string, unknown>> {
  const response = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/x-amz-json-1.1",
      "x-amz-target": target,
      authorization: authorization(scope.accountId, scope.region, scope.service),
    },
    body: JSON.stringify(body),
  });
  return JSON.parse(await answerText(response, target)) as Record<string, unknown>;
}

/** A query-protocol call (IAM, CloudWatch): the XML answer, read with a pattern. */
async function queryCall(
  url: string,
  scope: { accountId: string; region: string; service: string },
  params: Record<string, string>,
): Promise<string> {
  const response = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      authorization: authorization(scope.accountId, scope.region, scope.service),
    },
    body: new URLSearchParams(params).toString(),
  });
  return answerText(response, `${scope.service} ${params.Action}`);
}

function xmlValues(xml: string, element: string): string[] {
  return [...xml.matchAll(new RegExp(`<${element}>([^<]*)</${element}>`, "g"))].map(
    (match) => match[1] ?? "",
  );
}

/**
 * Everything ami-guard's stacks create, as the account holds it now in `region` (and IAM, which is global).
 * AWS's own entries (KMS aliases under `alias/aws/`, the `default` schedule group) are left out.
 */
export async function remainingResources(
  url: string,
  accountId: string,
  region: string,
): Promise<RemainingResource[]> {
  const settings = {
    endpoint: url,
    region,
    credentials: { accessKeyId: accountId, secretAccessKey: "emulator" },
    forcePathStyle: true,
    maxAttempts: 2,
  };
  const scope = (service: string, inRegion = region) => ({ accountId, region: inRegion, service });
  const found: RemainingResource[] = [];
  const add = (kind: string, names: readonly string[]) => {
    for (const name of names) found.push({ kind, name });
  };

  const roles = await queryCall(url, scope("iam", "us-east-1"), {
    Action: "ListRoles",
    Version: "2010-05-08",
  });
  add("iam:role", xmlValues(roles, "RoleName"));
  const policies = await queryCall(url, scope("iam", "us-east-1"), {
    Action: "ListPolicies",
    Version: "2010-05-08",
    Scope: "Local",
  });
  add("iam:policy", xmlValues(policies, "PolicyName"));

  const keys = (await jsonCall(url, scope("kms"), "TrentService.ListKeys", {})) as {
    Keys?: { KeyId: string }[];
  };
  for (const key of keys.Keys ?? []) {
    const described = (await jsonCall(url, scope("kms"), "TrentService.DescribeKey", {
      KeyId: key.KeyId,
    })) as {
      KeyMetadata?: { KeyState?: string; KeyManager?: string };
    };
    if (described.KeyMetadata?.KeyManager === "AWS") continue;
    found.push({ kind: "kms:key", name: key.KeyId, state: described.KeyMetadata?.KeyState ?? "unknown" });
  }
  const aliases = (await jsonCall(url, scope("kms"), "TrentService.ListAliases", {})) as {
    Aliases?: { AliasName: string; TargetKeyId?: string }[];
  };
  add(
    "kms:alias",
    (aliases.Aliases ?? [])
      .filter((alias) => !alias.AliasName.startsWith("alias/aws/") && alias.TargetKeyId)
      .map((alias) => alias.AliasName),
  );

  const logGroups = (await jsonCall(url, scope("logs"), "Logs_20140328.DescribeLogGroups", {})) as {
    logGroups?: { logGroupName: string }[];
  };
  add(
    "logs:log-group",
    (logGroups.logGroups ?? []).map((group) => group.logGroupName),
  );

  const rules = (await jsonCall(url, scope("events"), "AWSEvents.ListRules", {})) as {
    Rules?: { Name: string }[];
  };
  add(
    "events:rule",
    (rules.Rules ?? []).map((rule) => rule.Name),
  );

  const schedules = (await (
    await fetch(`${url}/schedules`, {
      headers: { authorization: authorization(accountId, region, "scheduler") },
    })
  ).json()) as { Schedules?: { Name: string }[] };
  add(
    "scheduler:schedule",
    (schedules.Schedules ?? []).map((schedule) => schedule.Name),
  );

  const alarms = await queryCall(url, scope("monitoring"), {
    Action: "DescribeAlarms",
    Version: "2010-08-01",
  });
  add("cloudwatch:alarm", xmlValues(alarms, "AlarmName"));
  const dashboards = await queryCall(url, scope("monitoring"), {
    Action: "ListDashboards",
    Version: "2010-08-01",
  });
  add("cloudwatch:dashboard", xmlValues(dashboards, "DashboardName"));

  const config = new ConfigServiceClient(settings);
  add(
    "config:rule",
    ((await config.send(new DescribeConfigRulesCommand({}))).ConfigRules ?? []).map(
      (r) => r.ConfigRuleName ?? "",
    ),
  );
  add(
    "config:recorder",
    ((await config.send(new DescribeConfigurationRecordersCommand({}))).ConfigurationRecorders ?? []).map(
      (r) => r.name ?? "",
    ),
  );
  add(
    "config:delivery-channel",
    ((await config.send(new DescribeDeliveryChannelsCommand({}))).DeliveryChannels ?? []).map(
      (c) => c.name ?? "",
    ),
  );

  const lambda = new LambdaClient(settings);
  add(
    "lambda:function",
    ((await lambda.send(new ListFunctionsCommand({}))).Functions ?? []).map((f) => f.FunctionName ?? ""),
  );
  const s3 = new S3Client(settings);
  add(
    "s3:bucket",
    ((await s3.send(new ListBucketsCommand({}))).Buckets ?? []).map((b) => b.Name ?? ""),
  );
  const sns = new SNSClient(settings);
  add(
    "sns:topic",
    ((await sns.send(new ListTopicsCommand({}))).Topics ?? []).map((t) => t.TopicArn ?? ""),
  );
  const sqs = new SQSClient(settings);
  add("sqs:queue", (await sqs.send(new ListQueuesCommand({}))).QueueUrls ?? []);
  const ec2 = new EC2Client(settings);
  const instances = await ec2.send(new DescribeInstancesCommand({}));
  for (const instance of instances.Reservations?.flatMap((r) => r.Instances ?? []) ?? []) {
    if (instance.State?.Name === "terminated") continue;
    found.push({ kind: "ec2:instance", name: instance.InstanceId ?? "", state: instance.State?.Name ?? "" });
  }
  return found;
}

/** What may stay after a clean destroy: a customer-managed key waiting out its deletion window. */
export function leftBehind(resources: readonly RemainingResource[]): RemainingResource[] {
  return resources.filter(
    (resource) => !(resource.kind === "kms:key" && resource.state === "PendingDeletion"),
  );
}
