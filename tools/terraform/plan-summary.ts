import { APPROVED_AMIS_NOT_KEPT_OUTPUT } from "../../app/approved-amis";
import { AFTER_CHANGE_DELAY_MINUTES } from "../../lib/reevaluation-timing";

/** The parts of `terraform show -json <plan>` the summary reads (format_version 1.x). */
export interface PlanJson {
  readonly format_version?: string;
  readonly resource_changes?: readonly PlanResourceChange[];
  /** The stack's outputs as planned; `remediation_mode` says what a list change will do. */
  readonly output_changes?: Readonly<Record<string, { readonly after?: unknown }>>;
}

export interface PlanResourceChange {
  readonly address: string;
  readonly mode: "managed" | "data";
  readonly type: string;
  readonly name: string;
  readonly change: {
    readonly actions: readonly string[];
    /** Attribute paths that force the replacement. */
    readonly replace_paths?: readonly (readonly (string | number)[])[];
    /** The resource's attributes before and after; null when it does not exist on that side. */
    readonly before?: Readonly<Record<string, unknown>> | null;
    readonly after?: Readonly<Record<string, unknown>> | null;
  };
  readonly action_reason?: string;
}

/** What a plan does to one resource instance; reads and no-ops are not changes. */
type ChangeKind = "create" | "update" | "replace" | "delete" | "forget";
const CHANGE_KINDS: readonly ChangeKind[] = ["create", "update", "replace", "delete", "forget"];

/** The three numbers of Terraform's own `Plan:` line: a replacement is one add and one destroy. */
export interface PlanCounts {
  readonly add: number;
  readonly change: number;
  readonly destroy: number;
}

interface ClassifiedChange {
  readonly kind: ChangeKind;
  readonly address: string;
  readonly type: string;
  readonly replacePaths: readonly string[];
  readonly reason?: string;
}

/**
 * Resource types whose replacement or deletion loses history nobody can restore: Config keeps a rule's
 * evaluations and a recorder's configuration items per resource, and a new one starts from nothing.
 */
const HISTORY_LOSS: Readonly<Record<string, string>> = {
  aws_config_config_rule: "the rule's compliance history is lost, and a new rule evaluates from nothing",
  aws_config_configuration_recorder:
    "the recorder's configuration history is lost, and every rule re-evaluates from nothing",
};

const REASONS: Readonly<Record<string, string>> = {
  replace_because_cannot_update: "an attribute that cannot change in place changed",
  replace_because_tainted: "the resource is tainted",
  replace_by_request: "requested with -replace",
  replace_by_triggers: "its replace_triggered_by changed",
  delete_because_no_resource_config: "no longer in the configuration",
  delete_because_no_module: "its module is no longer in the configuration",
  delete_because_wrong_repetition: "its count or for_each changed shape",
  delete_because_count_index: "its count index is out of range",
  delete_because_each_key: "its for_each key is gone",
};

export function classifyActions(actions: readonly string[]): ChangeKind | undefined {
  const key = actions.join(",");
  switch (key) {
    case "create":
    case "update":
    case "delete":
    case "forget":
      return key;
    // delete-then-create is the default; create-then-delete is create_before_destroy. Both replace.
    case "delete,create":
    case "create,delete":
      return "replace";
    default:
      return undefined;
  }
}

function formatAttributePath(steps: readonly (string | number)[]): string {
  return steps.reduce<string>(
    (text, step) => (typeof step === "number" ? `${text}[${step}]` : text ? `${text}.${step}` : step),
    "",
  );
}

/** Managed resources the plan changes, in the plan's (address) order. */
export function classifyChanges(plan: PlanJson): ClassifiedChange[] {
  const changes: ClassifiedChange[] = [];
  for (const resource of plan.resource_changes ?? []) {
    if (resource.mode !== "managed") continue;
    const kind = classifyActions(resource.change.actions);
    if (!kind) continue;
    changes.push({
      kind,
      address: resource.address,
      type: resource.type,
      replacePaths: (resource.change.replace_paths ?? []).map(formatAttributePath),
      ...(resource.action_reason ? { reason: resource.action_reason } : {}),
    });
  }
  return changes;
}

export function countChanges(changes: readonly ClassifiedChange[]): PlanCounts {
  const count = (...kinds: ChangeKind[]) => changes.filter((change) => kinds.includes(change.kind)).length;
  return { add: count("create", "replace"), change: count("update"), destroy: count("delete", "replace") };
}

/** Terraform's own wording, so the line reads the same as in `terraform plan` output. */
export function formatPlanLine(counts: PlanCounts): string {
  return `Plan: ${counts.add} to add, ${counts.change} to change, ${counts.destroy} to destroy.`;
}

function code(text: string): string {
  return `\`${text.replaceAll("`", "'")}\``;
}

function describeRisk(change: ClassifiedChange): string {
  const details: string[] = [];
  if (change.replacePaths.length > 0) details.push(`forced by ${change.replacePaths.map(code).join(", ")}`);
  else if (change.reason && REASONS[change.reason]) details.push(REASONS[change.reason] as string);
  const history = HISTORY_LOSS[change.type];
  const verb = change.kind === "forget" ? "**forget** (Terraform stops managing it)" : `**${change.kind}**`;
  return `- ${verb} ${code(change.address)}${details.length ? ` (${details.join("; ")})` : ""}${
    history && change.kind !== "forget" ? `: ${history}.` : ""
  }`;
}

/** One row per resource type; only the kinds of change the plan has get a column. */
function typeTable(changes: readonly ClassifiedChange[]): string[] {
  const types = [...new Set(changes.map((change) => change.type))].sort();
  const kinds = CHANGE_KINDS.filter((kind) => changes.some((change) => change.kind === kind));
  const lines = [
    `| Resource type | ${kinds.join(" | ")} |`,
    `| --- | ${kinds.map(() => "---:").join(" | ")} |`,
  ];
  for (const type of types) {
    const cells = kinds.map((kind) => {
      const n = changes.filter((change) => change.type === type && change.kind === kind).length;
      return n === 0 ? "" : String(n);
    });
    lines.push(`| ${code(type)} | ${cells.join(" | ")} |`);
  }
  return lines;
}

function changesByType(changes: readonly ClassifiedChange[]): string[] {
  const types = [...new Set(changes.map((change) => change.type))].sort();
  const lines: string[] = [];
  for (const type of types) {
    lines.push("", `**${code(type)}**`, "");
    for (const change of changes.filter((c) => c.type === type)) {
      lines.push(`- ${change.kind} ${code(change.address)}`);
    }
  }
  return lines;
}

/** `replaces 1 resource and deletes 2 resources` */
function describeDestruction(destructive: readonly ClassifiedChange[]): string {
  const verbs: [ChangeKind, string][] = [
    ["replace", "replaces"],
    ["delete", "deletes"],
    ["forget", "stops managing"],
  ];
  const parts = verbs.flatMap(([kind, verb]) => {
    const n = destructive.filter((change) => change.kind === kind).length;
    return n === 0 ? [] : [`${verb} ${n} resource${n === 1 ? "" : "s"}`];
  });
  return parts.length > 1 ? `${parts.slice(0, -1).join(", ")} and ${parts.at(-1)}` : (parts[0] ?? "");
}

/** What an EC2 declarative policy says about Allowed AMIs, read from its `content`. */
interface AllowedImagesSettings {
  readonly state?: string;
  readonly providers: readonly string[];
}

function allowedImagesOf(attributes: Readonly<Record<string, unknown>> | null | undefined) {
  if (attributes?.type !== "DECLARATIVE_POLICY_EC2" || typeof attributes.content !== "string") {
    return undefined;
  }
  let content: unknown;
  try {
    content = JSON.parse(attributes.content);
  } catch {
    return undefined;
  }
  const settings = (content as { ec2_attributes?: { allowed_images_settings?: Record<string, unknown> } })
    .ec2_attributes?.allowed_images_settings;
  if (!settings) return undefined;
  const assigned = (value: unknown): unknown =>
    typeof value === "object" && value !== null
      ? ((value as Record<string, unknown>)["@@assign"] ?? (value as Record<string, unknown>)["@@append"])
      : undefined;
  const state = assigned(settings.state);
  const criteria = Object.values((settings.image_criteria ?? {}) as Record<string, Record<string, unknown>>);
  const providers = criteria.flatMap((criterion) => {
    const list = assigned(criterion.allowed_image_providers);
    return Array.isArray(list) ? list.map(String) : [];
  });
  return { ...(typeof state === "string" ? { state } : {}), providers } satisfies AllowedImagesSettings;
}

/**
 * Allowed AMIs blocks launches the moment a policy in state `enabled` reaches an account, in every account
 * under its targets; a provider dropped from the list does the same to that provider's AMIs. Both deserve
 * a reviewer's eyes before the apply, whatever else the plan does.
 */
export function allowedImagesWarnings(plan: PlanJson): string[] {
  const warnings: string[] = [];
  for (const resource of plan.resource_changes ?? []) {
    if (resource.mode !== "managed" || resource.type !== "aws_organizations_policy") continue;
    if (!classifyActions(resource.change.actions)) continue;
    const before = allowedImagesOf(resource.change.before);
    const after = allowedImagesOf(resource.change.after);
    if (!after) continue;
    if (after.state === "enabled" && before?.state !== "enabled") {
      warnings.push(
        `Allowed AMIs becomes **enabled** in ${code(resource.address)}${before?.state ? ` (was \`${before.state}\`)` : ""}: every launch from an AMI outside the image providers (${after.providers.map(code).join(", ")}) will fail in every account the policy is attached to.`,
      );
    }
    const removed = (before?.providers ?? []).filter((provider) => !after.providers.includes(provider));
    if (removed.length > 0) {
      warnings.push(
        `The image providers of ${code(resource.address)} shrink: ${removed.map(code).join(", ")} ${removed.length === 1 ? "is" : "are"} no longer allowed${after.state === "enabled" ? ", and launches from their AMIs will fail" : ""}.`,
      );
    }
  }
  return warnings;
}

/** The approved list of one rule before and after the plan, from its `input_parameters`. */
interface AmiListChange {
  readonly address: string;
  readonly added: readonly string[];
  readonly removed: readonly string[];
}

/** The ids of the managed rule's `{"amiIds":"a,b"}` parameter; `undefined` when there is none to read. */
export function amiIdsOf(inputParameters: unknown): string[] | undefined {
  if (typeof inputParameters !== "string") return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(inputParameters);
  } catch {
    return undefined;
  }
  const ids = (parsed as { amiIds?: unknown } | null)?.amiIds;
  if (typeof ids !== "string") return undefined;
  return ids
    .split(",")
    .map((id) => id.trim())
    .filter((id) => id !== "");
}

/** Rules of the approved-AMI kind that exist before the plan and whose list the plan changes. */
export function amiListChanges(plan: PlanJson): AmiListChange[] {
  return (plan.resource_changes ?? []).flatMap((resource) => {
    if (resource.mode !== "managed" || resource.type !== "aws_config_config_rule") return [];
    const before = amiIdsOf(resource.change.before?.input_parameters);
    const after = amiIdsOf(resource.change.after?.input_parameters);
    if (!before || !after) return [];
    const added = after.filter((id) => !before.includes(id));
    const removed = before.filter((id) => !after.includes(id));
    return added.length + removed.length === 0 ? [] : [{ address: resource.address, added, removed }];
  });
}

/** What instances running a removed AMI face, by the stack's remediation mode. */
function removalConsequence(mode: unknown): string {
  switch (mode) {
    case "automatic":
      return 'Config then stops them (mode "automatic" remediates on its own evaluation)';
    case "event-driven":
      return 'the function then stops them (mode "event-driven")';
    case "manual":
      return 'they are stopped once an operator presses Remediate (mode "manual")';
    case "audit":
      return 'they are only reported (mode "audit")';
    default:
      return "the plan does not say the stack's remediation mode, so what follows is unknown";
  }
}

function amiListSection(listChanges: readonly AmiListChange[], mode: unknown): string[] {
  if (listChanges.length === 0) return [];
  const lines = ["#### Approved AMI list", ""];
  for (const change of listChanges) {
    lines.push(
      `${code(change.address)}: ${change.added.length} added, ${change.removed.length} removed.`,
      "",
    );
    for (const id of change.added) lines.push(`- added ${code(id)}`);
    for (const id of change.removed) lines.push(`- **removed** ${code(id)}`);
    lines.push("");
  }
  if (listChanges.some((change) => change.removed.length > 0)) {
    lines.push(
      "> [!IMPORTANT]",
      `> Instances running a removed AMI become NON_COMPLIANT when the rule re-evaluates, ${AFTER_CHANGE_DELAY_MINUTES} minutes after this apply, and ${removalConsequence(mode)}.`,
      "",
    );
  }
  return lines;
}

/**
 * A Config rule whose name the plan changes: AWS cannot rename a rule, so Terraform replaces it, and what
 * that costs is said in plain words, with what happens to the schedules that re-evaluate it.
 */
const PAST_TENSE: Readonly<Record<ChangeKind, string>> = {
  create: "created",
  update: "updated in place",
  replace: "replaced",
  delete: "deleted",
  forget: "no longer managed",
};

export function ruleRenames(plan: PlanJson): string[] {
  const renames: string[] = [];
  for (const resource of plan.resource_changes ?? []) {
    if (resource.mode !== "managed" || resource.type !== "aws_config_config_rule") continue;
    if (classifyActions(resource.change.actions) !== "replace") continue;
    const before = resource.change.before?.name;
    const after = resource.change.after?.name;
    if (typeof before !== "string" || typeof after !== "string" || before === after) continue;
    const schedules = (plan.resource_changes ?? [])
      .filter((other) => other.mode === "managed" && other.type === "aws_scheduler_schedule")
      .flatMap((other) => {
        const kind = classifyActions(other.change.actions);
        return kind ? [`${code(other.address)} is ${PAST_TENSE[kind]}`] : [];
      });
    renames.push(
      `Renaming the Config rule ${code(before)} to ${code(after)} replaces it (${code(resource.address)}): AWS Config deletes ${code(before)} with its compliance history, and ${code(after)} starts from nothing and evaluates every instance again. ${
        schedules.length > 0
          ? `The re-evaluation schedules follow the new name: ${schedules.join(", ")}; the one-time schedule is replaced, never updated, so it runs once more ${AFTER_CHANGE_DELAY_MINUTES} minutes after this apply.`
          : "No re-evaluation schedule changes in this plan."
      }`,
    );
  }
  return renames;
}

/**
 * Images the stack leaves out of its rule to fit the limits (`retain: "newest"`), from the output the
 * stack records them in: shown whether or not the plan changes anything, since they stay left out.
 */
function notKeptSection(plan: PlanJson): string[] {
  const after = plan.output_changes?.[APPROVED_AMIS_NOT_KEPT_OUTPUT]?.after;
  if (!Array.isArray(after) || after.length === 0) return [];
  return [
    "#### Golden images not approved",
    "",
    `${after.length} older build${after.length === 1 ? " is" : "s are"} left out of the rule to fit its limits (21 AMI ids, 1,024 characters; \`retain: "newest"\`). Instances still running ${after.length === 1 ? "its image" : "their images"} are NON_COMPLIANT:`,
    "",
    ...after.map((line) => `- ${code(String(line))}`),
    "",
  ];
}

/**
 * A pull-request comment for one stack's plan: destructive changes first, because a reviewer who reads
 * only the top must still see them, then counts per resource type, then every change grouped by type.
 */
export function summarizePlan(stackName: string, plan: PlanJson): string {
  const changes = classifyChanges(plan);
  const lines = [`### ${code(stackName)}`, ""];
  const listSection = amiListSection(amiListChanges(plan), plan.output_changes?.remediation_mode?.after);
  const notKept = notKeptSection(plan);
  if (changes.length === 0) {
    lines.push(...notKept, "**No changes.** The infrastructure matches the configuration.");
    return `${lines.join("\n")}\n`;
  }
  const prevention = allowedImagesWarnings(plan);
  if (prevention.length > 0) {
    lines.push("> [!CAUTION]", "> This plan changes which AMIs the organization may launch.", ">");
    lines.push(...prevention.map((warning) => `> - ${warning}`), "");
  }
  const renames = ruleRenames(plan);
  if (renames.length > 0) {
    lines.push("> [!CAUTION]", ...renames.map((rename) => `> ${rename}`), "");
  }
  const destructive = changes.filter(
    (c) => c.kind === "replace" || c.kind === "delete" || c.kind === "forget",
  );
  if (destructive.length > 0) {
    const loses = destructive.some((c) => c.kind !== "forget" && HISTORY_LOSS[c.type]);
    lines.push(
      loses ? "> [!CAUTION]" : "> [!WARNING]",
      `> This plan ${describeDestruction(destructive)}.${
        loses ? " Replacing a Config rule or recorder resets compliance history." : ""
      }`,
      ">",
      ...destructive.map((change) => `> ${describeRisk(change)}`),
      "",
    );
  }
  lines.push(...listSection, ...notKept);
  lines.push(`**${formatPlanLine(countChanges(changes))}**`, "", ...typeTable(changes), "");
  lines.push(
    "<details>",
    `<summary>Every change, by resource type (${changes.length})</summary>`,
    ...changesByType(changes),
    "",
    "</details>",
  );
  return `${lines.join("\n")}\n`;
}
