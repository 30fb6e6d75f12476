/**
 * The least IAM policy a CI role needs to run the preflight, plan and deploy the configured stacks: the
 * actions the provider calls for each resource type the synthesized stacks contain (provider-actions.ts),
 * the provider's own identity check, the preflight's reads and the state backend.
 */
import { partitionOf } from "../../lib/regions";
import { assumeRoleArnFor } from "../ami-guard-stack";
import type { AmiGuardConfig } from "../config";
import {
  LOCAL_DATA_SOURCES,
  LOCK_TABLE_ACTIONS,
  PREFLIGHT_ACTIONS,
  PREVENTION_PREFLIGHT_ACTIONS,
  PROVIDER_ACTIONS,
  PROVIDER_CONFIGURATION_ACTIONS,
  STATE_BUCKET_ACTIONS,
  STATE_OBJECT_ACTIONS,
  TERRAFORM_BUILTIN_RESOURCES,
} from "./provider-actions";

interface PolicyStatement {
  readonly Sid: string;
  readonly Effect: "Allow";
  readonly Action: readonly string[];
  readonly Resource: string | readonly string[];
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>>;
}

export interface PolicyDocument {
  readonly Version: "2012-10-17";
  readonly Statement: readonly PolicyStatement[];
}

/** The parts of a synthesized stack (cdk.tf.json) the policy is derived from. */
export interface SynthesizedTypes {
  readonly resource?: Readonly<Record<string, unknown>>;
  readonly data?: Readonly<Record<string, unknown>>;
}

/** Services that receive a role from the deploy (iam:PassRole), for the iam:PassedToService condition. */
export const ROLE_RECEIVING_SERVICES = [
  "config.amazonaws.com",
  "lambda.amazonaws.com",
  "scheduler.amazonaws.com",
] as const;

/** Resource types across stacks, sorted; a type or data source the table does not know is an error. */
export function resourceTypesOf(stacks: readonly SynthesizedTypes[]): string[] {
  const types = new Set<string>();
  const unknown = new Set<string>();
  for (const stack of stacks) {
    for (const type of Object.keys(stack.resource ?? {})) {
      if (PROVIDER_ACTIONS[type]) types.add(type);
      else if (!TERRAFORM_BUILTIN_RESOURCES.includes(type)) unknown.add(`resource ${type}`);
    }
    for (const type of Object.keys(stack.data ?? {})) {
      if (!LOCAL_DATA_SOURCES.includes(type)) unknown.add(`data source ${type}`);
    }
  }
  if (unknown.size > 0) {
    throw new Error(
      `app/deployer-policy/provider-actions.ts has no IAM actions for ${[...unknown].sort().join(", ")}; add them with the provider source that calls them`,
    );
  }
  return [...types].sort();
}

/** Every action the deploy needs for these resource types, sorted and without duplicates. */
export function deployActions(resourceTypes: readonly string[]): string[] {
  return unique(resourceTypes.flatMap((type) => PROVIDER_ACTIONS[type]?.actions ?? []));
}

function unique(actions: readonly string[]): string[] {
  return [...new Set(actions)].sort();
}

const sidFor = (service: string) =>
  `Deploy${service
    .split(/[^a-z0-9]/i)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join("")}`;

export function deployerPolicy(config: AmiGuardConfig, resourceTypes: readonly string[]): PolicyDocument {
  const actions = deployActions(resourceTypes);
  const passRole = actions.includes("iam:PassRole");
  const byService = new Map<string, string[]>();
  for (const action of actions.filter((a) => a !== "iam:PassRole")) {
    const service = action.split(":")[0] as string;
    byService.set(service, [...(byService.get(service) ?? []), action]);
  }
  const statements: PolicyStatement[] = [
    {
      Sid: "ProviderAndPreflightReads",
      Effect: "Allow",
      Action: unique([
        ...PROVIDER_CONFIGURATION_ACTIONS,
        ...PREFLIGHT_ACTIONS,
        ...(config.prevention ? PREVENTION_PREFLIGHT_ACTIONS : []),
      ]),
      Resource: "*",
    },
    ...[...byService.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([service, serviceActions]) => ({
        Sid: sidFor(service),
        Effect: "Allow" as const,
        Action: serviceActions,
        Resource: "*",
      })),
  ];
  if (passRole) {
    statements.push({
      Sid: "PassRolesToConfigLambdaAndScheduler",
      Effect: "Allow",
      Action: ["iam:PassRole"],
      Resource: "*",
      Condition: { StringEquals: { "iam:PassedToService": [...ROLE_RECEIVING_SERVICES] } },
    });
  }
  const roleArns = unique(
    [...config.targets, ...(config.prevention ? [config.prevention] : [])]
      .map(assumeRoleArnFor)
      .filter((arn): arn is string => arn !== undefined),
  );
  if (roleArns.length > 0) {
    statements.push({
      Sid: "AssumeTargetRoles",
      Effect: "Allow",
      Action: ["sts:AssumeRole"],
      Resource: roleArns,
    });
  }
  statements.push(...backendStatements(config));
  return { Version: "2012-10-17", Statement: statements };
}

function backendStatements(config: AmiGuardConfig): PolicyStatement[] {
  const backend = config.backend;
  if (backend.type !== "s3") return [];
  const partition = partitionOf(backend.region);
  const bucketArn = `arn:${partition}:s3:::${backend.bucket}`;
  const prefix = backend.keyPrefix.replace(/\/+$/, "");
  const statements: PolicyStatement[] = [
    { Sid: "StateBucket", Effect: "Allow", Action: [...STATE_BUCKET_ACTIONS], Resource: bucketArn },
    {
      Sid: "StateObjects",
      Effect: "Allow",
      Action: [...STATE_OBJECT_ACTIONS],
      Resource: `${bucketArn}/${prefix ? `${prefix}/` : ""}*`,
    },
  ];
  if (backend.locking === "dynamodb" && backend.dynamodbTable) {
    statements.push({
      Sid: "StateLockTable",
      Effect: "Allow",
      Action: [...LOCK_TABLE_ACTIONS],
      Resource: `arn:${partition}:dynamodb:${backend.region}:*:table/${backend.dynamodbTable}`,
    });
  }
  return statements;
}
