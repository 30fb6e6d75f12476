import { ACTIONS_WITHOUT_RESOURCE_TYPES } from "../../lib/iam";
import { sendsOnAssumeRole } from "../../lib/service-behaviour";
import type { DocumentStatement } from "../../tools/permissions/terraform-policies";
import { type Block, resourcesOf, type SynthesizedStack } from "./stacks";

type PolicyKind = "trust" | "identity" | "resource" | "key";

export interface AttachedPolicy {
  /** `aws_iam_role.name.assume_role_policy`, for messages. */
  readonly where: string;
  readonly kind: PolicyKind;
  readonly statements: readonly DocumentStatement[];
}

/** Every attribute that holds a policy, by resource type, and what kind of policy it is. */
const POLICY_ATTRIBUTES: Readonly<Record<string, { attribute: string; kind: PolicyKind }>> = {
  aws_iam_role: { attribute: "assume_role_policy", kind: "trust" },
  aws_iam_role_policy: { attribute: "policy", kind: "identity" },
  aws_iam_policy: { attribute: "policy", kind: "identity" },
  aws_s3_bucket_policy: { attribute: "policy", kind: "resource" },
  aws_sqs_queue_policy: { attribute: "policy", kind: "resource" },
  aws_sns_topic_policy: { attribute: "policy", kind: "resource" },
  aws_kms_key: { attribute: "policy", kind: "key" },
};

/**
 * AWS-managed policies a role may carry. Config's documented role policy: AWS maintains it as Config
 * learns new resource types, which an inline copy would not follow.
 */
const ALLOWED_MANAGED_POLICY_SUFFIXES = [":iam::aws:policy/service-role/AWS_ConfigRole"];

const DOCUMENT_REFERENCE = /^\$\{data\.aws_iam_policy_document\.([\w-]+)\.json\}$/;

/** Policies attached anywhere in the stack; a policy not built by a policy document is an error. */
export function attachedPolicies(stack: SynthesizedStack): {
  policies: AttachedPolicy[];
  problems: string[];
} {
  const policies: AttachedPolicy[] = [];
  const problems: string[] = [];
  for (const [type, { attribute, kind }] of Object.entries(POLICY_ATTRIBUTES)) {
    for (const [name, block] of resourcesOf(stack, type)) {
      const where = `${type}.${name}.${attribute}`;
      const value = block[attribute];
      if (value === undefined) continue;
      const match = typeof value === "string" ? DOCUMENT_REFERENCE.exec(value) : null;
      const document = match ? stack.data.aws_iam_policy_document?.[match[1] as string] : undefined;
      if (!document) {
        problems.push(`${where} is not built by an aws_iam_policy_document: ${String(value).slice(0, 80)}`);
        continue;
      }
      policies.push({
        where,
        kind,
        statements: (document.statement as DocumentStatement[] | undefined) ?? [],
      });
    }
  }
  return { policies, problems };
}

const isAllow = (statement: DocumentStatement) => (statement.effect ?? "Allow") === "Allow";
const label = (policy: AttachedPolicy, statement: DocumentStatement) =>
  `${policy.where} [${statement.sid ?? "no sid"}]`;

/** No `*` or `service:*` action may be allowed, and no NotAction / NotResource may widen an Allow. */
export function wildcardActionProblems(policy: AttachedPolicy): string[] {
  return policy.statements.filter(isAllow).flatMap((statement) => {
    const problems = (statement.actions ?? [])
      .filter((action) => action === "*" || /^[\w-]+:\*$/.test(action))
      .map((action) => `${label(policy, statement)} allows ${action}`);
    if (statement.not_actions) problems.push(`${label(policy, statement)} allows through NotAction`);
    if (statement.not_resources) problems.push(`${label(policy, statement)} allows through NotResource`);
    return problems;
  });
}

/**
 * `Resource: "*"` only for actions with no resource type. In a key policy "*" means the key itself, so key
 * policies are exempt; resource policies name their own resource.
 */
export function resourceStarProblems(policy: AttachedPolicy): string[] {
  if (policy.kind === "key" || policy.kind === "trust") return [];
  return policy.statements.filter(isAllow).flatMap((statement) => {
    if (!(statement.resources ?? []).includes("*")) return [];
    if (policy.kind === "resource") return [`${label(policy, statement)}: a resource policy allows on "*"`];
    return (statement.actions ?? [])
      .filter((action) => !(action in ACTIONS_WITHOUT_RESOURCE_TYPES))
      .map((action) => `${label(policy, statement)} grants ${action} on "*", and it has a resource type`);
  });
}

const SOURCE_BINDINGS = ["aws:SourceAccount", "aws:SourceArn"];
const bindsSource = (statement: DocumentStatement, accountId: string) =>
  (statement.condition ?? []).some(
    (condition) =>
      SOURCE_BINDINGS.some((key) => key.toLowerCase() === condition.variable.toLowerCase()) &&
      condition.values.length > 0 &&
      condition.values.every(
        (value) => value === accountId || value.includes(`:${accountId}:`) || value.startsWith("${"),
      ),
  );

/**
 * Every role a service assumes is bound to this account's use of that service (confused deputy), where the
 * service documents sending a source key when it assumes a role. Where it documents none (Lambda), a
 * condition would refuse every assumption, so the trust must carry none.
 */
export function trustProblems(policy: AttachedPolicy, accountId: string): string[] {
  if (policy.kind !== "trust") return [];
  return policy.statements.filter(isAllow).flatMap((statement) => {
    const services = (statement.principals ?? []).filter((p) => p.type === "Service");
    const others = (statement.principals ?? []).filter((p) => p.type !== "Service");
    const problems: string[] = [];
    if (others.length > 0) problems.push(`${label(policy, statement)} trusts a non-service principal`);
    for (const service of services.flatMap((principal) => principal.identifiers)) {
      const sendsSource = SOURCE_BINDINGS.some((key) => sendsOnAssumeRole(service, key));
      if (sendsSource && !bindsSource(statement, accountId))
        problems.push(
          `${label(policy, statement)} trusts ${service} without aws:SourceAccount or aws:SourceArn`,
        );
      if (!sendsSource && (statement.condition ?? []).length > 0)
        problems.push(
          `${label(policy, statement)} conditions ${service}'s assumption on keys it is not documented to send`,
        );
    }
    return problems;
  });
}

/**
 * Service principals granted by resource and key policies are bound to this account too, with the one
 * documented exception in lib/kms.ts: EventBridge's KMS requests carry no source keys.
 */
export const UNBOUND_SERVICE_GRANTS: Readonly<Record<string, string>> = {
  EventBridgePublish:
    "EventBridge's KMS requests carry no aws:SourceAccount/aws:SourceArn (SNS developer guide, 'compatibility with AWS services'); the topic policy binds the rule ARN instead.",
};

export function serviceGrantProblems(policy: AttachedPolicy, accountId: string): string[] {
  if (policy.kind !== "resource" && policy.kind !== "key") return [];
  return policy.statements.filter(isAllow).flatMap((statement) => {
    if (!(statement.principals ?? []).some((p) => p.type === "Service")) return [];
    if (statement.sid && statement.sid in UNBOUND_SERVICE_GRANTS) return [];
    const boundByContext = (statement.condition ?? []).some((c) =>
      c.variable.startsWith("kms:EncryptionContext:"),
    );
    return bindsSource(statement, accountId) || boundByContext
      ? []
      : [`${label(policy, statement)} grants a service without binding it to this account`];
  });
}

/** iam:PassRole only to a named service, never "pass to anything". */
export function passRoleProblems(policy: AttachedPolicy): string[] {
  return policy.statements.filter(isAllow).flatMap((statement) => {
    const passes = (statement.actions ?? []).some((a) => a.toLowerCase() === "iam:passrole" || a === "iam:*");
    const conditioned = (statement.condition ?? []).some((c) => c.variable === "iam:PassedToService");
    return passes && !conditioned
      ? [`${label(policy, statement)} allows iam:PassRole without iam:PassedToService`]
      : [];
  });
}

export function managedPolicyProblems(stack: SynthesizedStack): string[] {
  return resourcesOf(stack, "aws_iam_role_policy_attachment")
    .filter(([, block]) => !ALLOWED_MANAGED_POLICY_SUFFIXES.some((s) => String(block.policy_arn).endsWith(s)))
    .map(([name, block]) => `aws_iam_role_policy_attachment.${name} attaches ${String(block.policy_arn)}`);
}

/** Every service allowed to invoke a function is scoped by source_arn. */
export function lambdaPermissionProblems(stack: SynthesizedStack): string[] {
  return resourcesOf(stack, "aws_lambda_permission").flatMap(([name, block]: [string, Block]) => {
    const problems: string[] = [];
    if (block.principal === "*") problems.push(`aws_lambda_permission.${name} is public`);
    if (typeof block.source_arn !== "string" || block.source_arn === "")
      problems.push(`aws_lambda_permission.${name} has no source_arn`);
    return problems;
  });
}

/** Resources that hold data are encrypted, and log groups keep logs for a bounded time. */
export function encryptionProblems(stack: SynthesizedStack): string[] {
  const problems: string[] = [];
  for (const [name] of resourcesOf(stack, "aws_s3_bucket")) {
    const encrypted = resourcesOf(stack, "aws_s3_bucket_server_side_encryption_configuration").some(
      ([, sse]) => String(sse.bucket).includes(`aws_s3_bucket.${name}.`),
    );
    if (!encrypted) problems.push(`aws_s3_bucket.${name} has no default encryption`);
  }
  for (const [name, queue] of resourcesOf(stack, "aws_sqs_queue")) {
    if (queue.sqs_managed_sse_enabled !== true && !queue.kms_master_key_id)
      problems.push(`aws_sqs_queue.${name} is not encrypted`);
  }
  for (const [name, topic] of resourcesOf(stack, "aws_sns_topic")) {
    if (!topic.kms_master_key_id) problems.push(`aws_sns_topic.${name} is not encrypted`);
  }
  for (const [name, group] of resourcesOf(stack, "aws_cloudwatch_log_group")) {
    if (typeof group.retention_in_days !== "number" || group.retention_in_days <= 0)
      problems.push(`aws_cloudwatch_log_group.${name} keeps logs forever`);
  }
  return problems;
}
