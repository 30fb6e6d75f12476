import table from "./service-condition-keys.json";

/** Whether AWS documents a condition key as present on a call; `silent` is treated as absent. */
export type Sent = "yes" | "no" | "silent";
/** What a sent key holds, bound per stack and path. */
export type ValueKind =
  | "account"
  | "source-arn"
  | "function-arn"
  | "log-group-arn"
  | "sns-endpoint"
  | "passed-to-service"
  | "true";

export interface KeyBehaviour {
  readonly sent: Sent;
  readonly value?: ValueKind;
}

export interface ServiceBehaviour {
  readonly id: string;
  /** A service principal, `function-role` (the function's execution role) or `logs-service` (regional principal). */
  readonly caller: string;
  readonly call: string;
  readonly actions: readonly string[];
  readonly keys: Readonly<Record<string, KeyBehaviour>>;
  readonly sources: readonly string[];
  readonly note: string;
}

const VALUE_KINDS: readonly ValueKind[] = [
  "account",
  "source-arn",
  "function-arn",
  "log-group-arn",
  "sns-endpoint",
  "passed-to-service",
  "true",
];
const SENT: readonly Sent[] = ["yes", "no", "silent"];

/** Every row, checked for shape: a table nobody can trust is worse than none. */
export function serviceBehaviours(): ServiceBehaviour[] {
  const rows = table.rows as unknown as ServiceBehaviour[];
  const problems = rows.flatMap(behaviourProblems);
  if (problems.length > 0) throw new Error(`service-condition-keys.json:\n${problems.join("\n")}`);
  return rows;
}

export function behaviourProblems(row: ServiceBehaviour): string[] {
  const problems: string[] = [];
  if (row.sources.length === 0) problems.push(`${row.id}: no documentation source`);
  for (const source of row.sources) {
    if (!/^https:\/\/(docs\.aws\.amazon\.com|repost\.aws)\//.test(source))
      problems.push(`${row.id}: ${source} is not AWS documentation`);
  }
  for (const [key, behaviour] of Object.entries(row.keys)) {
    if (!SENT.includes(behaviour.sent)) problems.push(`${row.id}: ${key} has sent=${behaviour.sent}`);
    if (behaviour.sent === "yes" && !VALUE_KINDS.includes(behaviour.value as ValueKind))
      problems.push(`${row.id}: ${key} is sent without a known value kind`);
    if (behaviour.sent !== "yes" && behaviour.value !== undefined)
      problems.push(`${row.id}: ${key} is not sent but has a value`);
  }
  return problems;
}

export function serviceBehaviour(id: string): ServiceBehaviour {
  const row = serviceBehaviours().find((candidate) => candidate.id === id);
  if (!row) throw new Error(`no service behaviour row "${id}" in service-condition-keys.json`);
  return row;
}

/**
 * Whether AWS documents that `service` sends `key` when it assumes a role. Trust policies condition only on
 * keys documented as sent: a condition on a key the service leaves out denies every assumption, silently.
 * A service with no row here is refused, so a new service role cannot skip the question.
 */
export function sendsOnAssumeRole(service: string, key: string): boolean {
  const row = serviceBehaviours().find(
    (candidate) => candidate.caller === service && candidate.actions.includes("sts:AssumeRole"),
  );
  if (!row) {
    throw new Error(
      `no documented behaviour for ${service} assuming a role: add a row to lib/service-condition-keys.json, with its source, before trusting it`,
    );
  }
  return row.keys[key]?.sent === "yes";
}

/** Values for the value kinds one request carries. */
export type Bindings = Partial<Record<ValueKind, string>>;

/**
 * The request context a service sends on this call: exactly the keys the table marks `yes`, valued from
 * the bindings. A `yes` key without a binding is an error, so a path cannot quietly drop a key.
 */
export function requestContext(id: string, bindings: Bindings): Record<string, string> {
  const row = serviceBehaviour(id);
  const context: Record<string, string> = {};
  for (const [key, behaviour] of Object.entries(row.keys)) {
    if (behaviour.sent !== "yes") continue;
    const kind = behaviour.value as ValueKind;
    const value = kind === "true" ? "true" : bindings[kind];
    if (value === undefined) throw new Error(`${id}: ${key} is sent but no ${kind} was bound`);
    context[key] = value;
  }
  return context;
}
