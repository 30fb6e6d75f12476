/**
 * `npm run preflight`: read-only checks of each target account before a first (or any) deploy, for what no
 * offline plan can know. One row per stack and check; see docs/operations.md.
 */
import { ConfigServiceClient } from "@aws-sdk/client-config-service";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EC2Client } from "@aws-sdk/client-ec2";
import { LambdaClient } from "@aws-sdk/client-lambda";
import { OrganizationsClient } from "@aws-sdk/client-organizations";
import { S3Client } from "@aws-sdk/client-s3";
import { SNSClient } from "@aws-sdk/client-sns";
import { STSClient } from "@aws-sdk/client-sts";
import { fromTemporaryCredentials } from "@aws-sdk/credential-providers";
import { FUNCTION_NAME } from "../../lib/event-driven-remediation";
import { DEFAULT_NAME_PREFIX, resourceNames } from "../../lib/names";
import { NOTIFICATION_TOPIC_NAME } from "../../lib/notifications";
import { type AwsRegion, partitionOf } from "../../lib/regions";
import { assumeRoleArnFor, STACK_TAG_KEY, stackNameFor } from "../ami-guard-stack";
import type { AmiGuardConfig, BackendConfig, PreventionConfig, Target } from "../config";
import { preventionStackNameFor } from "../organization-stacks";
import {
  checkAccount,
  checkConcurrency,
  checkLockTable,
  checkOrganizationFeatures,
  checkPolicyTargets,
  checkPolicyType,
  checkRecorder,
  checkRegion,
  checkRuleName,
  checkStateBucket,
  checkSubscriptions,
  type Finding,
  failedRow,
  isFailed,
} from "./checks";
import * as observe from "./observe";

/** What the preflight checks for one target stack, derived from the configuration. */
interface TargetPlan {
  readonly kind: "target";
  readonly stack: string;
  readonly target: Target;
  readonly ruleName: string;
  /** The function's reserved concurrency; only event-driven stacks deploy the function. @default - none */
  readonly reservedConcurrentExecutions?: number;
  /** Addresses subscribed to the notification topic; every mode but audit deploys it. */
  readonly notificationEmails: readonly string[];
  readonly backend: BackendConfig;
}

/** The prevention stack: its policy needs an organization with all features and the policy type enabled. */
interface PreventionPlan {
  readonly kind: "prevention";
  readonly stack: string;
  readonly prevention: PreventionConfig;
}

type StackPlan = TargetPlan | PreventionPlan;

export function planStacks(config: AmiGuardConfig): StackPlan[] {
  const targets = config.targets.map(
    (target): TargetPlan => ({
      kind: "target",
      stack: stackNameFor(target),
      target,
      ruleName: config.ruleName,
      ...(target.mode === "event-driven" && config.reservedConcurrentExecutions !== undefined
        ? { reservedConcurrentExecutions: config.reservedConcurrentExecutions }
        : {}),
      notificationEmails: target.mode === "audit" ? [] : config.notificationEmails,
      backend: config.backend,
    }),
  );
  const prevention: PreventionPlan[] = config.prevention
    ? [
        {
          kind: "prevention",
          stack: preventionStackNameFor(config.prevention),
          prevention: config.prevention,
        },
      ]
    : [];
  return [...targets, ...prevention];
}

/** Clients reading the target account (through assumeRoleName when set). */
interface TargetClients {
  /** In the partition's home region: works whether or not the target region is enabled. */
  readonly sts: STSClient;
  readonly ec2: EC2Client;
  /** In the target region. */
  readonly config: ConfigServiceClient;
  readonly lambda: LambdaClient;
  readonly sns: SNSClient;
}

/** Clients reading the state backend, with the caller's own credentials, as Terraform's S3 backend does. */
interface BackendClients {
  readonly s3: S3Client;
  readonly dynamodb: DynamoDBClient;
}

/** Clients reading the organization from the account that deploys the prevention policy. */
interface OrganizationClients {
  readonly sts: STSClient;
  /** Organizations is global: its one endpoint per partition, reached from the partition's home region. */
  readonly organizations: OrganizationsClient;
}

interface ClientFactory {
  forTarget(target: Target): TargetClients;
  forBackend(region: AwsRegion): BackendClients;
  forOrganization(prevention: PreventionConfig): OrganizationClients;
}

/**
 * Calls about the account as a whole go to a region every account has enabled, so that a disabled target
 * region is reported rather than failing every read.
 */
const HOME_REGION: Readonly<Record<ReturnType<typeof partitionOf>, AwsRegion>> = {
  aws: "us-east-1",
  "aws-cn": "cn-north-1",
  "aws-us-gov": "us-gov-west-1",
};

/** The partition's home region, and client settings with the placement's credentials (its role when set). */
function placedAt(placement: Pick<Target, "accountId" | "region" | "assumeRoleName">) {
  const home = HOME_REGION[partitionOf(placement.region)];
  const roleArn = assumeRoleArnFor(placement);
  const credentials: ReturnType<typeof fromTemporaryCredentials> | undefined = roleArn
    ? fromTemporaryCredentials({
        params: { RoleArn: roleArn, RoleSessionName: "ami-guard-preflight" },
        clientConfig: { region: home },
      })
    : undefined;
  return { home, at: (region: AwsRegion) => ({ region, ...(credentials ? { credentials } : {}) }) };
}

/** The SDK's own clients; AWS_ENDPOINT_URL reroutes all of them, and S3 then addresses buckets by path. */
export function sdkClients(env: NodeJS.ProcessEnv = process.env): ClientFactory {
  const endpointOverridden = Boolean(env.AWS_ENDPOINT_URL || env.AWS_ENDPOINT_URL_S3);
  return {
    forTarget(target) {
      const { home, at } = placedAt(target);
      return {
        sts: new STSClient(at(home)),
        ec2: new EC2Client(at(home)),
        config: new ConfigServiceClient(at(target.region)),
        lambda: new LambdaClient(at(target.region)),
        sns: new SNSClient(at(target.region)),
      };
    },
    forOrganization(prevention) {
      const { home, at } = placedAt(prevention);
      return { sts: new STSClient(at(home)), organizations: new OrganizationsClient(at(home)) };
    },
    forBackend(region) {
      return {
        s3: new S3Client({ region, forcePathStyle: endpointOverridden }),
        dynamodb: new DynamoDBClient({ region }),
      };
    },
  };
}

/**
 * The prevention stack creates the policy and attaches it; AttachPolicy fails until the organization has all
 * features and DECLARATIVE_POLICY_EC2 is enabled on the root. The stack does not enable the type itself: in
 * provider 5.100.0 only aws_organizations_organization.enabled_policy_types can, and that resource owns the
 * organization (its full list of policy types, and DeleteOrganization on destroy), so it would fight whatever
 * already manages the organization. See docs/operations.md.
 */
async function preflightPrevention(plan: PreventionPlan, clients: ClientFactory): Promise<Finding[]> {
  const { prevention, stack } = plan;
  const rows: Omit<Finding, "stack">[] = [];
  const done = () => rows.map((row) => ({ stack, ...row }));
  const aws = clients.forOrganization(prevention);
  const identity = checkAccount(prevention.accountId, await observe.callerAccount(aws.sts));
  rows.push(identity);
  if (identity.verdict === "block") return done();
  rows.push(
    checkOrganizationFeatures(prevention.accountId, await observe.organizationFeatureSet(aws.organizations)),
  );
  const roots = await observe.organizationRoots(aws.organizations);
  rows.push(checkPolicyType(roots));
  const targets = checkPolicyTargets(prevention.targetIds, roots);
  if (targets) rows.push(targets);
  return done();
}

async function preflightStack(plan: StackPlan, clients: ClientFactory): Promise<Finding[]> {
  if (plan.kind === "prevention") return preflightPrevention(plan, clients);
  const { target, stack } = plan;
  const rows: Omit<Finding, "stack">[] = [];
  const done = () => rows.map((row) => ({ stack, ...row }));
  const account = target.accountId;
  const aws = clients.forTarget(target);

  const identity = checkAccount(account, await observe.callerAccount(aws.sts));
  rows.push(identity);
  // Every further read would describe some other account, or cannot be made at all.
  if (identity.verdict === "block") return done();

  const region = checkRegion(target.region, await observe.regionOptInStatus(aws.ec2, target.region));
  rows.push(region);
  if (region.verdict === "block") return done();

  const [recorders, channels, statuses] = await Promise.all([
    observe.recorders(aws.config),
    observe.deliveryChannels(aws.config),
    observe.recorderStatuses(aws.config),
  ]);
  const names = resourceNames(target.namePrefix ?? DEFAULT_NAME_PREFIX, target.region);
  rows.push(
    ...checkRecorder(
      target.recorder,
      { recorders, channels, statuses },
      { recorder: names.recorderName, channel: names.deliveryChannelName },
    ),
  );

  const rule = await observe.configRule(aws.config, plan.ruleName);
  const stackTag =
    !isFailed(rule) && rule.value
      ? await observe.tagValue(aws.config, rule.value.arn, STACK_TAG_KEY)
      : undefined;
  rows.push(checkRuleName(plan.ruleName, stack, rule, stackTag));

  if (plan.reservedConcurrentExecutions !== undefined) {
    const { account: settings, functionReservation } = await observe.concurrency(aws.lambda, FUNCTION_NAME);
    if (isFailed(functionReservation)) rows.push(failedRow("concurrency", functionReservation));
    rows.push(checkConcurrency(plan.reservedConcurrentExecutions, settings));
  }

  if (plan.notificationEmails.length > 0) {
    const topicArn = `arn:${partitionOf(target.region)}:sns:${target.region}:${account}:${NOTIFICATION_TOPIC_NAME}`;
    rows.push(checkSubscriptions(await observe.pendingSubscriptions(aws.sns, topicArn)));
  }

  if (plan.backend.type === "s3") {
    const backend = clients.forBackend(plan.backend.region);
    rows.push(checkStateBucket(plan.backend.bucket, await observe.bucket(backend.s3, plan.backend.bucket)));
    if (plan.backend.locking === "dynamodb" && plan.backend.dynamodbTable) {
      const table = plan.backend.dynamodbTable;
      rows.push(checkLockTable(table, await observe.tableStatus(backend.dynamodb, table)));
    }
  }
  return done();
}

export async function preflight(plans: readonly StackPlan[], clients: ClientFactory): Promise<Finding[]> {
  const findings: Finding[] = [];
  // One stack at a time: the reads are few, and interleaved output would be harder to follow.
  for (const plan of plans) findings.push(...(await preflightStack(plan, clients)));
  return findings;
}

/** 1 when anything blocks a deploy, else 0. */
export function exitCodeFor(findings: readonly Finding[]): 0 | 1 {
  return findings.some((finding) => finding.verdict === "block") ? 1 : 0;
}

/** One line per finding; what to do follows a block or warning on an indented line of its own. */
export function formatFindings(findings: readonly Finding[]): string {
  const header = ["stack", "check", "verdict", "detail"];
  const lines = findings.map((f) => [f.stack, f.check, f.verdict, f.detail]);
  const widths = [0, 1, 2].map((column) =>
    Math.max(header[column]?.length ?? 0, ...lines.map((line) => line[column]?.length ?? 0)),
  );
  const indent = " ".repeat(widths.reduce((sum, width) => sum + width + 2, 0));
  const render = (cells: readonly string[]) =>
    cells
      .map((cell, column) => (column < 3 ? cell.padEnd(widths[column] ?? 0) : cell))
      .join("  ")
      .trimEnd();
  const count = (verdict: string) => findings.filter((f) => f.verdict === verdict).length;
  return [
    render(header),
    ...findings.flatMap((finding, index) => [
      render(lines[index] ?? []),
      ...(finding.action ? [`${indent}-> ${finding.action}`] : []),
    ]),
    `${count("block")} block, ${count("warn")} warn, ${count("pass")} pass`,
  ].join("\n");
}
