import { type AwsRegion, partitionOf } from "../../lib/regions";

type Block = Record<string, unknown>;

/** The parts of a synthesized stack the policies live in. */
export interface TerraformJson {
  readonly resource: Record<string, Record<string, Block>>;
  readonly data: Record<string, Record<string, Block>>;
}

interface StackIdentity {
  readonly accountId: string;
  readonly region: AwsRegion;
}

/** An IAM policy document as AWS stores it. */
export interface PolicyDocument {
  readonly Version: "2012-10-17";
  readonly Statement: Record<string, unknown>[];
}

/**
 * Key ids and the random suffix of `bucket_prefix` only exist after apply; these stand in for them so
 * ARNs have AWS's shape. Terraform's unique suffix is 26 characters.
 */
const PLACEHOLDER_KEY_ID = "0b1e5c7a-2d3f-4a5b-8c6d-7e8f9a0b1c2d";
/** Stands in for the id AWS Config gives a rule (`config-rule-<id>`), unknown until apply. */
const PLACEHOLDER_CONFIG_RULE_ID = "config-rule-a1b2c3";
const PLACEHOLDER_BUCKET_SUFFIX = "20260101000000000000000001";

const REFERENCE = /\$\{([a-z0-9_]+)\.([\w-]+)\.([a-z_]+)\}/g;

/**
 * Resolves cdktf's `${type.name.attribute}` references to the values AWS would hold, from the
 * referenced block's own arguments and the stack's account and region. An attribute it does not know
 * is an error: a guessed ARN would let a wrong policy pass.
 */
class ReferenceResolver {
  private readonly partition: string;

  constructor(
    private readonly stack: TerraformJson,
    private readonly identity: StackIdentity,
  ) {
    this.partition = partitionOf(identity.region);
  }

  resolve(value: string): string {
    return value.replace(REFERENCE, (_match, type: string, name: string, attribute: string) =>
      this.attribute(type, name, attribute),
    );
  }

  /** The value of `type.name.attribute` in this stack. */
  attribute(type: string, name: string, attribute: string): string {
    const block = this.stack.resource[type]?.[name];
    if (!block) throw new Error(`\${${type}.${name}.${attribute}} refers to a resource the stack lacks`);
    const literal = (argument: string): string => {
      const raw = block[argument];
      if (typeof raw !== "string") throw new Error(`${type}.${name} has no string "${argument}"`);
      return this.resolve(raw);
    };
    const { accountId: account, region } = this.identity;
    const p = this.partition;
    const known: Record<string, Record<string, () => string>> = {
      aws_sns_topic: { arn: () => `arn:${p}:sns:${region}:${account}:${literal("name")}` },
      aws_sqs_queue: {
        arn: () => `arn:${p}:sqs:${region}:${account}:${literal("name")}`,
        name: () => literal("name"),
        url: () =>
          `https://sqs.${region}.${p === "aws-cn" ? "amazonaws.com.cn" : "amazonaws.com"}/${account}/${literal("name")}`,
      },
      aws_s3_bucket: {
        arn: () => `arn:${p}:s3:::${this.bucketName(block)}`,
        id: () => this.bucketName(block),
        bucket: () => this.bucketName(block),
      },
      aws_kms_key: {
        arn: () => `arn:${p}:kms:${region}:${account}:key/${PLACEHOLDER_KEY_ID}`,
        key_id: () => PLACEHOLDER_KEY_ID,
        id: () => PLACEHOLDER_KEY_ID,
      },
      aws_cloudwatch_event_rule: {
        arn: () => `arn:${p}:events:${region}:${account}:rule/${literal("name")}`,
        name: () => literal("name"),
      },
      // The provider's log group ARN has no trailing ":*".
      aws_cloudwatch_log_group: {
        arn: () => `arn:${p}:logs:${region}:${account}:log-group:${literal("name")}`,
        name: () => literal("name"),
      },
      aws_lambda_function: {
        arn: () => `arn:${p}:lambda:${region}:${account}:function:${literal("function_name")}`,
        function_name: () => literal("function_name"),
      },
      aws_iam_role: {
        arn: () => `arn:${p}:iam::${account}:role/${literal("name")}`,
        name: () => literal("name"),
        id: () => literal("name"),
      },
      // A rule's ARN ends in the id Config assigns it, known only after apply.
      aws_config_config_rule: {
        arn: () => `arn:${p}:config:${region}:${account}:config-rule/${PLACEHOLDER_CONFIG_RULE_ID}`,
        name: () => literal("name"),
      },
      aws_cloudwatch_metric_alarm: {
        arn: () => `arn:${p}:cloudwatch:${region}:${account}:alarm:${literal("alarm_name")}`,
      },
    };
    const render = known[type]?.[attribute];
    if (!render) throw new Error(`the resolver does not know ${type}.${attribute}`);
    return render();
  }

  functionArn(functionName: string): string {
    return `arn:${this.partition}:lambda:${this.identity.region}:${this.identity.accountId}:function:${functionName}`;
  }

  private bucketName(block: Block): string {
    if (typeof block.bucket === "string") return this.resolve(block.bucket);
    if (typeof block.bucket_prefix === "string")
      return `${this.resolve(block.bucket_prefix)}${PLACEHOLDER_BUCKET_SUFFIX}`;
    throw new Error("an aws_s3_bucket has neither bucket nor bucket_prefix");
  }
}

/** A statement as `aws_iam_policy_document` holds it in the synthesized JSON. */
export interface DocumentStatement {
  readonly sid?: string;
  readonly effect?: string;
  readonly actions?: string[];
  readonly not_actions?: string[];
  readonly resources?: string[];
  readonly not_resources?: string[];
  readonly principals?: { type: string; identifiers: string[] }[];
  readonly not_principals?: { type: string; identifiers: string[] }[];
  readonly condition?: { test: string; variable: string; values: string[] }[];
}

const STATEMENT_ARGUMENTS = new Set([
  "sid",
  "effect",
  "actions",
  "not_actions",
  "resources",
  "not_resources",
  "principals",
  "not_principals",
  "condition",
]);

function renderPrincipals(
  principals: { type: string; identifiers: string[] }[],
  resolver: ReferenceResolver,
): unknown {
  // aws_iam_policy_document renders type "*" with identifier "*" as the bare wildcard principal.
  if (principals.some((p) => p.type === "*")) return "*";
  const grouped: Record<string, string[]> = {};
  for (const { type, identifiers } of principals) {
    grouped[type] = [...(grouped[type] ?? []), ...identifiers.map((i) => resolver.resolve(i))];
  }
  return grouped;
}

/**
 * An `aws_iam_policy_document` data block rendered as the JSON the provider computes: statements in
 * order, conditions grouped by operator then key, Effect defaulting to Allow. An argument it does not
 * render (source_policy_documents, override_policy_documents, ...) is an error.
 */
function renderPolicyDocument(block: Block, resolver: ReferenceResolver): PolicyDocument {
  const unknownArguments = Object.keys(block).filter((k) => k !== "statement");
  if (unknownArguments.length > 0)
    throw new Error(`cannot render policy document arguments: ${unknownArguments.join(", ")}`);
  const statements = (block.statement as DocumentStatement[] | undefined) ?? [];
  return {
    Version: "2012-10-17",
    Statement: statements.map((statement) => {
      const extra = Object.keys(statement).filter((k) => !STATEMENT_ARGUMENTS.has(k));
      if (extra.length > 0) throw new Error(`cannot render statement arguments: ${extra.join(", ")}`);
      const rendered: Record<string, unknown> = {};
      if (statement.sid) rendered.Sid = statement.sid;
      rendered.Effect = statement.effect ?? "Allow";
      if (statement.principals) rendered.Principal = renderPrincipals(statement.principals, resolver);
      if (statement.not_principals)
        rendered.NotPrincipal = renderPrincipals(statement.not_principals, resolver);
      if (statement.actions) rendered.Action = statement.actions;
      if (statement.not_actions) rendered.NotAction = statement.not_actions;
      if (statement.resources) rendered.Resource = statement.resources.map((r) => resolver.resolve(r));
      if (statement.not_resources)
        rendered.NotResource = statement.not_resources.map((r) => resolver.resolve(r));
      if (statement.condition && statement.condition.length > 0) {
        const condition: Record<string, Record<string, string[]>> = {};
        for (const { test, variable, values } of statement.condition) {
          const operator = condition[test] ?? {};
          condition[test] = operator;
          operator[variable] = [...(operator[variable] ?? []), ...values.map((v) => resolver.resolve(v))];
        }
        rendered.Condition = condition;
      }
      return rendered;
    }),
  };
}

const DOCUMENT_REFERENCE = /^\$\{data\.aws_iam_policy_document\.([\w-]+)\.json\}$/;

/** The policy document an attribute refers to, rendered; inline JSON is refused. */
function documentFor(
  stack: TerraformJson,
  resolver: ReferenceResolver,
  where: string,
  value: unknown,
): PolicyDocument {
  const match = typeof value === "string" ? DOCUMENT_REFERENCE.exec(value) : null;
  const block = match ? stack.data.aws_iam_policy_document?.[match[1] as string] : undefined;
  if (!block) throw new Error(`${where} is not built by an aws_iam_policy_document`);
  return renderPolicyDocument(block, resolver);
}

/**
 * The statement Lambda stores for an `aws_lambda_permission` (AddPermission): SourceArn becomes
 * ArnLike AWS:SourceArn and SourceAccount StringEquals AWS:SourceAccount, as `lambda get-policy` shows
 * (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-troubleshooting.html). Arguments it does
 * not render are an error.
 */
function lambdaPermissionStatement(block: Block, resolver: ReferenceResolver): Record<string, unknown> {
  const rendered = new Set([
    "statement_id",
    "action",
    "function_name",
    "principal",
    "source_arn",
    "source_account",
    "depends_on",
  ]);
  const unknownArguments = Object.keys(block).filter((k) => !rendered.has(k));
  if (unknownArguments.length > 0)
    throw new Error(`cannot render aws_lambda_permission arguments: ${unknownArguments.join(", ")}`);
  const functionName = resolver.resolve(String(block.function_name));
  const functionArn = functionName.startsWith("arn:") ? functionName : resolver.functionArn(functionName);
  const condition: Record<string, Record<string, string>> = {};
  if (typeof block.source_arn === "string")
    condition.ArnLike = { "AWS:SourceArn": resolver.resolve(block.source_arn) };
  if (typeof block.source_account === "string")
    condition.StringEquals = { "AWS:SourceAccount": resolver.resolve(block.source_account) };
  const principal = String(block.principal);
  return {
    Sid: block.statement_id,
    Effect: "Allow",
    Principal:
      principal === "*" ? "*" : principal.includes(".") ? { Service: principal } : { AWS: principal },
    Action: block.action,
    Resource: functionArn,
    ...(Object.keys(condition).length > 0 ? { Condition: condition } : {}),
  };
}

/** A role as IAM holds it: trust policy, inline policies and attached managed policy ARNs. */
export interface RolePolicies {
  readonly address: string;
  readonly name: string;
  readonly arn: string;
  readonly trust: PolicyDocument;
  readonly inline: PolicyDocument[];
  readonly managedPolicyArns: string[];
}

/** A resource policy, keyed by the ARN of the resource it is attached to. */
interface ResourcePolicy {
  readonly address: string;
  readonly resourceArn: string;
  readonly document: PolicyDocument;
}

export interface StackPolicies {
  readonly identity: StackIdentity;
  readonly roles: RolePolicies[];
  readonly resourcePolicies: ResourcePolicy[];
  readonly resolver: ReferenceResolver;
}

function sameResource(reference: unknown, fromAttribute: string, resolver: ReferenceResolver): string {
  if (typeof reference !== "string") throw new Error(`expected a reference, found ${String(reference)}`);
  return resolver.resolve(reference.replace(new RegExp(`\\.${fromAttribute}\\}$`), ".arn}"));
}

/**
 * Every identity, trust and resource policy in a synthesized stack, rendered as AWS stores it, with
 * every reference resolved. Policies attached any other way than the ones read here are an error.
 */
export function stackPolicies(stack: TerraformJson, identity: StackIdentity): StackPolicies {
  const resolver = new ReferenceResolver(stack, identity);
  const resources = (type: string) => Object.entries(stack.resource[type] ?? {});
  const unread = [
    "aws_iam_policy",
    "aws_iam_user_policy",
    "aws_iam_group_policy",
    "aws_iam_role_policies_exclusive",
  ];
  for (const type of unread) {
    if (resources(type).length > 0) throw new Error(`the permissions suite does not read ${type}`);
  }
  const roles: RolePolicies[] = resources("aws_iam_role").map(([name, block]) => {
    const address = `aws_iam_role.${name}`;
    const refersToRole = (value: unknown) =>
      typeof value === "string" && new RegExp(`^\\$\\{aws_iam_role\\.${name}\\.(id|name)\\}$`).test(value);
    return {
      address,
      name: resolver.attribute("aws_iam_role", name, "name"),
      arn: resolver.attribute("aws_iam_role", name, "arn"),
      trust: documentFor(stack, resolver, `${address}.assume_role_policy`, block.assume_role_policy),
      inline: resources("aws_iam_role_policy")
        .filter(([, policy]) => refersToRole(policy.role))
        .map(([policyName, policy]) =>
          documentFor(stack, resolver, `aws_iam_role_policy.${policyName}.policy`, policy.policy),
        ),
      managedPolicyArns: resources("aws_iam_role_policy_attachment")
        .filter(([, attachment]) => refersToRole(attachment.role))
        .map(([, attachment]) => resolver.resolve(String(attachment.policy_arn))),
    };
  });
  const resourcePolicies: ResourcePolicy[] = [
    ...resources("aws_sns_topic_policy").map(([name, block]) => ({
      address: `aws_sns_topic_policy.${name}`,
      resourceArn: resolver.resolve(String(block.arn)),
      document: documentFor(stack, resolver, `aws_sns_topic_policy.${name}.policy`, block.policy),
    })),
    ...resources("aws_sqs_queue_policy").map(([name, block]) => ({
      address: `aws_sqs_queue_policy.${name}`,
      resourceArn: sameResource(block.queue_url, "url", resolver),
      document: documentFor(stack, resolver, `aws_sqs_queue_policy.${name}.policy`, block.policy),
    })),
    ...resources("aws_s3_bucket_policy").map(([name, block]) => ({
      address: `aws_s3_bucket_policy.${name}`,
      resourceArn: sameResource(block.bucket, "id", resolver),
      document: documentFor(stack, resolver, `aws_s3_bucket_policy.${name}.policy`, block.policy),
    })),
    ...resources("aws_kms_key").map(([name, block]) => ({
      address: `aws_kms_key.${name}`,
      resourceArn: resolver.attribute("aws_kms_key", name, "arn"),
      document: documentFor(stack, resolver, `aws_kms_key.${name}.policy`, block.policy),
    })),
    ...lambdaResourcePolicies(resources("aws_lambda_permission"), resolver),
  ];
  return { identity, roles, resourcePolicies, resolver };
}

/** Lambda keeps one policy per function, holding every permission added to it. */
function lambdaResourcePolicies(
  permissions: [string, Block][],
  resolver: ReferenceResolver,
): ResourcePolicy[] {
  const byFunction = new Map<string, Record<string, unknown>[]>();
  for (const [, block] of permissions) {
    const statement = lambdaPermissionStatement(block, resolver);
    const arn = String(statement.Resource);
    byFunction.set(arn, [...(byFunction.get(arn) ?? []), statement]);
  }
  return [...byFunction].map(([resourceArn, statements]) => ({
    address: `aws_lambda_permission (${resourceArn})`,
    resourceArn,
    document: { Version: "2012-10-17", Statement: statements },
  }));
}

export function roleNamed(policies: StackPolicies, namePrefix: string): RolePolicies | undefined {
  return policies.roles.find((role) => role.name.startsWith(namePrefix));
}

export function resourcePolicyOf(policies: StackPolicies, resourceArn: string): PolicyDocument | undefined {
  return policies.resourcePolicies.find((policy) => policy.resourceArn === resourceArn)?.document;
}
