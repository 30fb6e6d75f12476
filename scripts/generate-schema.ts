import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { isDeepStrictEqual } from "node:util";
import { z } from "zod";
import { configSchema } from "../app/config/schema";

/**
 * Writes the configuration's JSON Schema (for editors) and the Markdown reference (for readers) from the
 * zod schema in app/config/schema.ts, so neither can drift from what `parseConfig` accepts. `--check` writes
 * nothing and exits 1 when a committed file is out of date.
 */

export const SCHEMA_FILE = "ami-guard.config.schema.json";
export const REFERENCE_FILE = "docs/configuration.md";
const REGENERATE_COMMAND = "npm run schema";

/** The part of JSON Schema that `z.toJSONSchema` emits for this configuration. */
export interface JsonSchema {
  readonly $schema?: string;
  readonly title?: string;
  readonly description?: string;
  readonly type?: string;
  readonly const?: unknown;
  readonly enum?: readonly unknown[];
  readonly default?: unknown;
  readonly pattern?: string;
  readonly format?: string;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly items?: JsonSchema;
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly required?: readonly string[];
  readonly additionalProperties?: JsonSchema | boolean;
  readonly propertyNames?: JsonSchema;
  readonly oneOf?: readonly JsonSchema[];
  readonly anyOf?: readonly JsonSchema[];
}

/**
 * The input side of the schema: what a person writes, so fields with defaults are optional. Draft 2020-12,
 * the draft zod 4 targets and editors (VS Code, JetBrains) understand.
 */
export function buildJsonSchema(): JsonSchema {
  const generated = z.toJSONSchema(configSchema, { io: "input", target: "draft-2020-12" }) as JsonSchema;
  const { $schema, ...rest } = generated;
  return {
    $schema,
    title: "ami-guard configuration",
    description: `The file ami-guard reads (${REFERENCE_FILE} explains every field). Generated from app/config/schema.ts by \`${REGENERATE_COMMAND}\`.`,
    ...rest,
  };
}

/** One row of the reference table. */
interface FieldRow {
  readonly path: string;
  readonly type: string;
  readonly defaultText: string;
  readonly description: string;
}

const DEFAULT_NOTE = /\s*@default\s+(.+)$/s;
/** Longer value lists would swamp the table; they are listed once below it instead. */
const MAX_INLINE_ENUM = 6;

/** Splits a `.describe()` text into the sentence a reader needs and its `@default` note, if any. */
export function splitDescription(description: string | undefined): { text: string; defaultNote?: string } {
  if (!description) return { text: "" };
  const match = DEFAULT_NOTE.exec(description);
  if (!match?.[1]) return { text: description.trim() };
  return { text: description.slice(0, match.index).trim(), defaultNote: match[1].trim() };
}

function tryParseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

function code(text: string): string {
  return `\`${text}\``;
}

/**
 * The Default cell. A schema default and an `@default` note that disagree would mislead the reader, so the
 * generator refuses them: the description has to be fixed in app/config/schema.ts.
 */
export function describeDefault(
  fieldPath: string,
  node: JsonSchema,
  required: boolean,
  knownPaths: ReadonlySet<string>,
): string {
  const { defaultNote } = splitDescription(node.description);
  if (node.default !== undefined && defaultNote !== undefined) {
    const parsed = tryParseJson(defaultNote);
    if (parsed.ok && !isDeepStrictEqual(parsed.value, node.default)) {
      throw new Error(
        `${fieldPath}: its description says "@default ${defaultNote}" but the schema's default is ${JSON.stringify(node.default)}; fix the .describe() text in app/config/schema.ts`,
      );
    }
  }
  if (node.default !== undefined) return code(JSON.stringify(node.default));
  if (required) return "**required**";
  if (defaultNote === undefined) return "—";
  // aws-cdk's convention: `@default - words` describes the behaviour when there is no literal value.
  if (defaultNote.startsWith("- ")) return `*${defaultNote.slice(2)}*`;
  if (knownPaths.has(defaultNote)) return `value of ${code(defaultNote)}`;
  return tryParseJson(defaultNote).ok ? code(defaultNote) : defaultNote;
}

function range(min: number | undefined, max: number | undefined, unit: string): string | undefined {
  if (min === undefined && max === undefined) return undefined;
  const bound = min ?? max;
  // "at least 1 item", "1–21 items"
  const noun = min !== undefined && max !== undefined ? unit : bound === 1 ? unit.replace(/s$/, "") : unit;
  if (min !== undefined && max !== undefined) return `${min}–${max} ${noun}`;
  return min !== undefined ? `at least ${min} ${noun}` : `at most ${max} ${noun}`;
}

/** The Type cell: the JSON type with the limits a reader would otherwise learn from an error. */
function describeType(node: JsonSchema, longEnumLabel: (values: readonly unknown[]) => string): string {
  if (node.const !== undefined) return code(JSON.stringify(node.const));
  if (node.enum) {
    return node.enum.length <= MAX_INLINE_ENUM
      ? node.enum.map((value) => code(JSON.stringify(value))).join(" \\| ")
      : longEnumLabel(node.enum);
  }
  const variants = node.oneOf ?? node.anyOf;
  if (variants) return `object, by ${code(discriminatorOf(variants) ?? "shape")}`;
  const limits: (string | undefined)[] = [];
  let base = node.type ?? "any";
  switch (node.type) {
    case "string":
      if (node.format === "email") base = "string (e-mail address)";
      limits.push(range(node.minLength, node.maxLength, "characters"));
      break;
    case "integer":
    case "number":
      limits.push(range(node.minimum, node.maximum, "")?.trimEnd());
      break;
    case "array":
      {
        const item = node.items ? describeType(node.items, longEnumLabel) : "any";
        base = `array of ${item.includes(",") ? `(${item})` : item}`;
      }
      limits.push(range(node.minItems, node.maxItems, "items"));
      break;
    case "object":
      if (!node.properties && typeof node.additionalProperties === "object") base = "object (map)";
      break;
  }
  const shown = limits.filter((limit): limit is string => Boolean(limit));
  return shown.length > 0 ? `${base}, ${shown.join(", ")}` : base;
}

/** The property every variant of a union pins with `const`, such as backend's `type`. */
function discriminatorOf(variants: readonly JsonSchema[]): string | undefined {
  const first = variants[0]?.properties ?? {};
  return Object.keys(first).find((key) =>
    variants.every((variant) => variant.properties?.[key]?.const !== undefined),
  );
}

function patternNote(node: JsonSchema): string | undefined {
  if (node.pattern && node.format === undefined) return `Must match ${code(node.pattern)}.`;
  if (node.items?.pattern && node.items.format === undefined)
    return `Each must match ${code(node.items.pattern)}.`;
  return undefined;
}

interface Walk {
  readonly rows: FieldRow[];
  readonly longEnums: Map<string, { values: readonly unknown[]; paths: string[] }>;
  readonly knownPaths: ReadonlySet<string>;
}

function longEnumLabelFor(walk: Walk, fieldPath: string) {
  return (values: readonly unknown[]) => {
    const key = JSON.stringify(values);
    const entry = walk.longEnums.get(key) ?? { values, paths: [] };
    if (!entry.paths.includes(fieldPath)) entry.paths.push(fieldPath);
    walk.longEnums.set(key, entry);
    return `string, one of ${values.length} [listed below](#allowed-values)`;
  };
}

/** What a field without a description of its own is for, when its shape says it. */
function fallbackDescription(fieldPath: string, node: JsonSchema): string | undefined {
  if (node.enum && fieldPath.includes(".") && !node.description)
    return "Chooses which of the fields below apply.";
  if (node.type === "object" && node.properties) return `Holds the ${code(`${fieldPath}.*`)} fields below.`;
  return undefined;
}

function addRow(
  walk: Walk,
  fieldPath: string,
  node: JsonSchema,
  required: boolean,
  condition?: string,
): void {
  const text = splitDescription(node.description).text || fallbackDescription(fieldPath, node);
  const notes = [condition ? `*Only when ${condition}.*` : undefined, text || undefined, patternNote(node)];
  walk.rows.push({
    path: fieldPath,
    type: describeType(node, longEnumLabelFor(walk, fieldPath)),
    defaultText: describeDefault(fieldPath, node, required, walk.knownPaths),
    description: notes.filter(Boolean).join(" "),
  });
}

function visitChildren(walk: Walk, fieldPath: string, node: JsonSchema, condition?: string): void {
  if (node.type === "array" && node.items && (node.items.properties || node.items.oneOf)) {
    visitObject(walk, `${fieldPath}[]`, node.items, condition);
    return;
  }
  visitObject(walk, fieldPath, node, condition);
}

function visitObject(walk: Walk, prefix: string, node: JsonSchema, condition?: string): void {
  const join = (key: string) => (prefix ? `${prefix}.${key}` : key);
  for (const [key, child] of Object.entries(node.properties ?? {})) {
    const childPath = join(key);
    addRow(walk, childPath, child, node.required?.includes(key) ?? false, condition);
    visitChildren(walk, childPath, child, condition);
  }
  if (!node.properties && typeof node.additionalProperties === "object") {
    const keyLimits = node.propertyNames
      ? describeType(node.propertyNames, longEnumLabelFor(walk, join("<key>")))
      : "string";
    addRow(
      walk,
      join("<key>"),
      {
        ...node.additionalProperties,
        description: `Any key (${keyLimits}).`,
      },
      false,
      condition,
    );
  }
  const variants = node.oneOf ?? node.anyOf;
  if (variants) visitVariants(walk, prefix, variants);
}

/** A discriminated union: its tag once, then each variant's own fields, marked with when they apply. */
function visitVariants(walk: Walk, prefix: string, variants: readonly JsonSchema[]): void {
  const tag = discriminatorOf(variants);
  if (tag) {
    const tagPath = prefix ? `${prefix}.${tag}` : tag;
    addRow(walk, tagPath, { enum: variants.map((variant) => variant.properties?.[tag]?.const) }, true);
  }
  for (const variant of variants) {
    const tagValue = tag ? variant.properties?.[tag]?.const : undefined;
    const condition =
      tag && tagValue !== undefined
        ? `${code(`${prefix}.${tag}`)} is ${code(JSON.stringify(tagValue))}`
        : undefined;
    const own: JsonSchema = {
      ...variant,
      properties: Object.fromEntries(Object.entries(variant.properties ?? {}).filter(([key]) => key !== tag)),
    };
    visitObject(walk, prefix, own, condition);
  }
}

function collectPaths(node: JsonSchema, prefix: string, into: Set<string>): Set<string> {
  const target = node.type === "array" && node.items ? node.items : node;
  const base = node.type === "array" && node.items ? `${prefix}[]` : prefix;
  for (const [key, child] of Object.entries(target.properties ?? {})) {
    const childPath = base ? `${base}.${key}` : key;
    into.add(childPath);
    collectPaths(child, childPath, into);
  }
  for (const variant of target.oneOf ?? target.anyOf ?? []) collectPaths(variant, prefix, into);
  return into;
}

/** Every field of the schema in document order, nested fields after their parent. */
function fieldRows(schema: JsonSchema): { rows: FieldRow[]; longEnums: Walk["longEnums"] } {
  const walk: Walk = { rows: [], longEnums: new Map(), knownPaths: collectPaths(schema, "", new Set()) };
  visitObject(walk, "", schema);
  return { rows: walk.rows.filter((row) => row.path !== "$schema"), longEnums: walk.longEnums };
}

/** Outside code spans, `<keyPrefix>` would be read as an HTML tag and vanish. */
function escapeHtmlOutsideCode(text: string): string {
  return text
    .split(/(`[^`]*`)/)
    .map((part) => (part.startsWith("`") ? part : part.replace(/</g, "&lt;").replace(/>/g, "&gt;")))
    .join("");
}

function cell(text: string): string {
  // GitHub splits table cells on `|` even inside code spans unless it is escaped.
  return escapeHtmlOutsideCode(text)
    .replace(/(?<!\\)\|/g, "\\|")
    .replace(/\n/g, " ");
}

/** The Markdown reference, deterministic so the staleness test can compare it byte for byte. */
export function renderConfigurationReference(schema: JsonSchema): string {
  const { rows, longEnums } = fieldRows(schema);
  const lines = [
    "<!-- Generated by scripts/generate-schema.ts from the zod schema in app/config/schema.ts. Do not edit: run `npm run schema`. -->",
    "",
    "# Configuration reference",
    "",
    `ami-guard reads \`ami-guard.config.json\` (or the file named by \`AMI_GUARD_CONFIG\`). Editors validate and complete it through [\`${SCHEMA_FILE}\`](../${SCHEMA_FILE}), which the shipped file names in \`"$schema"\`.`,
    "",
    "`targets[].x` is field `x` of every entry of `targets`; `<key>` stands for any key you choose. Fields marked **required** have no default and must be given whenever their parent is. Settings that only apply to one remediation mode are refused when no target uses that mode.",
    "",
    "| Field | Type | Default | Description |",
    "| --- | --- | --- | --- |",
    ...rows.map(
      (row) =>
        `| ${cell(code(row.path))} | ${cell(row.type)} | ${cell(row.defaultText)} | ${cell(row.description)} |`,
    ),
  ];
  if (longEnums.size > 0) {
    lines.push("", "## Allowed values", "");
    for (const { values, paths } of longEnums.values()) {
      lines.push(
        `${paths.map(code).join(", ")}:`,
        "",
        values.map((value) => code(String(value))).join(", "),
        "",
      );
    }
  }
  return `${lines.join("\n").trimEnd()}\n`;
}

interface GeneratedFile {
  readonly file: string;
  readonly content: string;
}

/**
 * Biome formats Markdown too (it pads table columns), so the reference goes through it: `npm run lint`
 * then accepts the committed file as generated, and the staleness check compares like with like.
 */
function formatWithBiome(content: string, file: string): string {
  const biome = require.resolve("@biomejs/biome/bin/biome");
  const result = spawnSync(process.execPath, [biome, "format", `--stdin-file-path=${file}`], {
    input: content,
    encoding: "utf8",
  });
  if (result.status !== 0) {
    throw new Error(`biome could not format ${file}: ${result.stderr || result.error?.message}`);
  }
  return result.stdout;
}

export function generatedFiles(): GeneratedFile[] {
  const schema = buildJsonSchema();
  return [
    // Biome leaves this file alone (biome.json), so editors and the validator read plain JSON.stringify.
    { file: SCHEMA_FILE, content: `${JSON.stringify(schema, null, 2)}\n` },
    { file: REFERENCE_FILE, content: formatWithBiome(renderConfigurationReference(schema), REFERENCE_FILE) },
  ];
}

/** The generated files whose committed copy under `root` differs from what the schema produces now. */
function staleFiles(root: string): string[] {
  return generatedFiles()
    .filter(({ file, content }) => {
      try {
        return readFileSync(path.join(root, file), "utf8") !== content;
      } catch {
        return true;
      }
    })
    .map(({ file }) => file);
}

function main(argv: readonly string[]): void {
  const root = path.resolve(__dirname, "..");
  if (argv.includes("--check")) {
    const stale = staleFiles(root);
    if (stale.length > 0) {
      process.stderr.write(
        `Out of date with app/config/schema.ts: ${stale.join(", ")}. Run \`${REGENERATE_COMMAND}\`.\n`,
      );
      process.exitCode = 1;
    }
    return;
  }
  for (const { file, content } of generatedFiles()) {
    writeFileSync(path.join(root, file), content);
    process.stdout.write(`Wrote ${file}\n`);
  }
}

if (require.main === module) main(process.argv.slice(2));
