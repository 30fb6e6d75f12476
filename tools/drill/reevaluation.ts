import type { AwsRegion } from "../../lib/regions";
import { startConfigRulesEvaluationTarget } from "../../lib/rule-reevaluation";
import { isObject, type PlannedResource, type PlanView } from "./plan-view";

/**
 * The re-evaluation link, read from the plan: a recurring and a one-time schedule call Config's
 * StartConfigRulesEvaluation through Scheduler's universal target for the stack's rule, as a role that
 * Scheduler may assume for this account and whose policy allows exactly that call on the rule's ARN.
 */

const SCHEDULER_PRINCIPAL = "scheduler.amazonaws.com";
const ACTION = "config:StartConfigRulesEvaluation";

type Json = Record<string, unknown>;

export class ReevaluationBreak extends Error {}

function first(value: unknown): Json | undefined {
  const [item] = Array.isArray(value) ? value : [];
  return isObject(item) ? item : undefined;
}

function references(expression: unknown): string[] {
  return isObject(expression) && Array.isArray(expression.references)
    ? expression.references.filter((r): r is string => typeof r === "string")
    : [];
}

function constantStrings(expression: unknown): string[] {
  if (!isObject(expression)) return [];
  const value = expression.constant_value;
  if (typeof value === "string") return [value];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

/** `aws_iam_role.x` from a reference to `aws_iam_role.x.arn` (or `.id`, `.name`). */
function roleReferenced(expression: unknown, attributes: readonly string[]): string | undefined {
  return references(expression)
    .map((reference) => reference.split("."))
    .find(([type, , attribute]) => type === "aws_iam_role" && attributes.includes(attribute ?? ""))
    ?.slice(0, 2)
    .join(".");
}

function scheduleExpressionOf(schedule: PlannedResource): string | undefined {
  const known = schedule.values.schedule_expression;
  if (typeof known === "string") return known;
  return constantStrings(schedule.expressions.schedule_expression)[0];
}

function configuredData(view: PlanView, address: string): Json | undefined {
  const resources = view.plan.configuration?.root_module?.resources ?? [];
  const found = resources.find((r) => isObject(r) && r.address === address);
  return isObject(found) && isObject(found.expressions) ? found.expressions : undefined;
}

/** Whether the role's inline policies allow the action on the rule's ARN, read from their configuration. */
function roleMayEvaluate(view: PlanView, roleAddress: string, ruleAddress: string): boolean {
  return view.resourcesOf("aws_iam_role_policy").some((policy) => {
    if (roleReferenced(policy.expressions.role, ["id", "name"]) !== roleAddress) return false;
    const documents = references(policy.expressions.policy).filter(
      (r) => r.startsWith("data.aws_iam_policy_document.") && r.split(".").length === 3,
    );
    return documents.some((document) => {
      const expressions = configuredData(view, document);
      const statements = Array.isArray(expressions?.statement) ? expressions.statement : [];
      return statements.filter(isObject).some((statement) => {
        const effect = constantStrings(statement.effect)[0] ?? "Allow";
        return (
          effect === "Allow" &&
          constantStrings(statement.actions).includes(ACTION) &&
          references(statement.resources).includes(`${ruleAddress}.arn`)
        );
      });
    });
  });
}

function trustsScheduler(role: PlannedResource, accountId: string): boolean {
  const text = role.values.assume_role_policy;
  if (typeof text !== "string") return false;
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    return false;
  }
  const statements = isObject(document) && Array.isArray(document.Statement) ? document.Statement : [];
  return statements.filter(isObject).some((statement) => {
    const principal = isObject(statement.Principal) ? statement.Principal.Service : undefined;
    const services = Array.isArray(principal) ? principal : [principal];
    const condition = isObject(statement.Condition) ? statement.Condition.StringEquals : undefined;
    return (
      statement.Effect === "Allow" &&
      services.includes(SCHEDULER_PRINCIPAL) &&
      isObject(condition) &&
      condition["aws:SourceAccount"] === accountId
    );
  });
}

/** Each schedule's line, in order: the recurring one, then the one after a list change. */
export function checkReevaluation(view: PlanView, rule: { address: string; name: string }): string[] {
  const target = startConfigRulesEvaluationTarget(view.location.region as AwsRegion);
  const schedules = view.resourcesOf("aws_scheduler_schedule").filter((schedule) => {
    const scheduleTarget = first(schedule.values.target);
    return scheduleTarget?.arn === target;
  });
  const kinds = [
    { label: "recurring", test: (expression: string) => /^(rate|cron)\(/.test(expression) },
    { label: "after a list change", test: (expression: string) => expression.startsWith("at(") },
  ];
  return kinds.map(({ label, test }) => {
    const schedule = schedules.find((candidate) => test(scheduleExpressionOf(candidate) ?? ""));
    if (!schedule) {
      throw new ReevaluationBreak(
        `✗ no ${label} schedule calls ${target}: instances would not be re-evaluated ${label === "recurring" ? "on a schedule" : "after the list changes"}`,
      );
    }
    const name = schedule.values.name;
    const scheduleTarget = first(schedule.values.target) ?? {};
    let ruleNames: unknown;
    try {
      ruleNames = (JSON.parse(String(scheduleTarget.input)) as Json).ConfigRuleNames;
    } catch {
      ruleNames = undefined;
    }
    if (!Array.isArray(ruleNames) || !ruleNames.includes(rule.name)) {
      throw new ReevaluationBreak(
        `✗ schedule ${name} asks to evaluate ${JSON.stringify(ruleNames ?? null)}, not the stack's rule "${rule.name}"`,
      );
    }
    const roleAddress =
      typeof scheduleTarget.role_arn === "string"
        ? view
            .resourcesOf("aws_iam_role")
            .find((role) => view.fakeValueOf(`${role.address}.arn`) === scheduleTarget.role_arn)?.address
        : roleReferenced(first(schedule.expressions.target)?.role_arn, ["arn"]);
    const role = roleAddress ? view.resource(roleAddress) : undefined;
    if (!role) {
      throw new ReevaluationBreak(`✗ schedule ${name} runs as a role the plan does not create`);
    }
    if (!trustsScheduler(role, view.location.accountId)) {
      throw new ReevaluationBreak(
        `✗ schedule ${name}'s role ${role.values.name} does not trust ${SCHEDULER_PRINCIPAL} for account ${view.location.accountId}: Scheduler could not assume it`,
      );
    }
    if (!roleMayEvaluate(view, role.address, rule.address)) {
      throw new ReevaluationBreak(
        `✗ schedule ${name}'s role ${role.values.name} has no policy allowing ${ACTION} on rule ${rule.name} (${rule.address}.arn): the call would be refused`,
      );
    }
    return `✓ ${label} schedule ${name} (${scheduleExpressionOf(schedule)}) calls ${target} for rule ${rule.name}, as role ${role.values.name}, which ${SCHEDULER_PRINCIPAL} may assume for account ${view.location.accountId} and which may ${ACTION} on the rule's ARN`;
  });
}
