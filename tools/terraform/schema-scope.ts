import { existsSync, readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { BinaryReader, WireType } from "@bufbuild/protobuf/wire";

/**
 * Terraform decodes the whole schema a provider sends before it runs any command: for the AWS provider
 * 5.100.0, 2,141 resource, data source and ephemeral resource types, whatever the configuration holds. An
 * offline plan of the shipped stack (32 types) costs Terraform 2.72 CPU-seconds with the whole schema and
 * 0.76 with the stack's types only (`npm run bench -- provider-schema`, idle two-core machine, 2026-12-07).
 * The provider pool (provider-pool.ts) can send Terraform only the types a working directory names in its
 * configuration and its state: Terraform validates each configured block against its type's schema and
 * decodes each state object with its type's schema. Terraform's documentation does not say which schemas
 * a command reads, so the scoping is built to fail loudly when that is wrong: a type missing from the
 * schema stops the command with an error naming it ("Invalid resource type"), so scoping can make a
 * command fail, never change what it plans. `provider-pool.test.ts` shows both: the same plan and the same
 * JSON plan either way, and the error when a configured type is left out.
 *
 * The message layout is tfplugin5.8.proto, the protocol Terraform 1.11 speaks to this provider
 * (https://github.com/hashicorp/terraform/blob/v1.11.4/docs/plugin-protocol/tfplugin5.8.proto).
 */

/** Field numbers of GetProviderSchema.Response's maps keyed by type name, in tfplugin5.8.proto. */
export const TYPE_MAP_FIELDS = {
  resourceSchemas: 2,
  dataSourceSchemas: 3,
  ephemeralResourceSchemas: 8,
} as const;

const TYPE_MAP_FIELD_NUMBERS: ReadonlySet<number> = new Set(Object.values(TYPE_MAP_FIELDS));

export interface ScopedSchema {
  readonly message: Uint8Array;
  readonly keptTypes: number;
  readonly droppedTypes: number;
}

/** A GetProviderSchema response cut into its top-level fields, each map entry with its type name. */
export interface SchemaResponseParts {
  readonly fields: readonly { readonly typeName?: string; readonly bytes: Uint8Array }[];
  /**
   * The provider's `server_capabilities.get_provider_schema_optional` (field 6, then 2): the provider
   * "does not require calling GetProviderSchema to operate normally, and the caller can use a cached copy
   * of the provider's schema" (tfplugin5.8.proto).
   */
  readonly schemaOptional: boolean;
}

const SERVER_CAPABILITIES_FIELD = 6;
const GET_PROVIDER_SCHEMA_OPTIONAL_FIELD = 2;

/** The key (field 1) of a map entry, or undefined when the entry has none. */
function mapEntryKey(entry: Uint8Array): string | undefined {
  const reader = new BinaryReader(entry);
  while (reader.pos < reader.len) {
    const [fieldNo, wireType] = reader.tag();
    if (fieldNo === 1 && wireType === WireType.LengthDelimited) return reader.string();
    reader.skip(wireType, fieldNo);
  }
  return undefined;
}

function schemaOptionalIn(capabilities: Uint8Array): boolean {
  const reader = new BinaryReader(capabilities);
  let optional = false;
  while (reader.pos < reader.len) {
    const [fieldNo, wireType] = reader.tag();
    if (fieldNo === GET_PROVIDER_SCHEMA_OPTIONAL_FIELD && wireType === WireType.Varint)
      optional = reader.bool();
    else reader.skip(wireType, fieldNo);
  }
  return optional;
}

/**
 * Cuts a GetProviderSchema response into its fields. Nothing is decoded beyond the map keys and the one
 * capability, and each field keeps its bytes: the provider's own schema, functions, diagnostics and any
 * field a later protocol adds pass through untouched, so nothing can be re-encoded wrongly.
 */
export function schemaResponseParts(message: Uint8Array): SchemaResponseParts {
  const reader = new BinaryReader(message);
  const fields: { typeName?: string; bytes: Uint8Array }[] = [];
  let schemaOptional = false;
  while (reader.pos < reader.len) {
    const start = reader.pos;
    const [fieldNo, wireType] = reader.tag();
    const afterTag = reader.pos;
    reader.skip(wireType, fieldNo);
    const bytes = message.subarray(start, reader.pos);
    if (wireType !== WireType.LengthDelimited) {
      fields.push({ bytes });
      continue;
    }
    const body = new BinaryReader(message.subarray(afterTag, reader.pos)).bytes();
    if (TYPE_MAP_FIELD_NUMBERS.has(fieldNo)) {
      // An entry without a key names no type any command could need; an empty name drops it.
      fields.push({ typeName: mapEntryKey(body) ?? "", bytes });
      continue;
    }
    if (fieldNo === SERVER_CAPABILITIES_FIELD) schemaOptional = schemaOptionalIn(body);
    fields.push({ bytes });
  }
  return { fields, schemaOptional };
}

/** The response with only the map entries whose type name is in `keep`, every other field as it was. */
export function scopedSchemaResponse(parts: SchemaResponseParts, keep: ReadonlySet<string>): ScopedSchema {
  const kept = parts.fields.filter(({ typeName }) => typeName === undefined || keep.has(typeName));
  const keptTypes = kept.filter(({ typeName }) => typeName !== undefined).length;
  const allTypes = parts.fields.filter(({ typeName }) => typeName !== undefined).length;
  const message = new Uint8Array(kept.reduce((total, { bytes }) => total + bytes.length, 0));
  let offset = 0;
  for (const { bytes } of kept) {
    message.set(bytes, offset);
    offset += bytes.length;
  }
  return { message, keptTypes, droppedTypes: allTypes - keptTypes };
}

/** A GetProviderSchema response with only the map entries whose type name is in `keep`. */
export const scopeSchemaResponse = (message: Uint8Array, keep: ReadonlySet<string>): ScopedSchema =>
  scopedSchemaResponse(schemaResponseParts(message), keep);

type JsonObject = { readonly [key: string]: unknown };

const isObject = (value: unknown): value is JsonObject =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** A JSON configuration's block as a list: Terraform's JSON syntax allows one object or a list of them. */
const blocksOf = (value: unknown): JsonObject[] =>
  Array.isArray(value) ? value.filter(isObject) : isObject(value) ? [value] : [];

/**
 * Every name in an address (`module.m.aws_s3_bucket.x[0]`, `data.aws_iam_policy_document.y`), types among
 * them: a name that is not a type costs nothing in the scope.
 */
function namesInAddress(address: unknown): string[] {
  if (typeof address !== "string") return [];
  return address.split(".").map((part) => part.replace(/\[.*$/, ""));
}

/** Every type a JSON configuration file names: its resources, data sources, ephemeral resources, and the
 * addresses of its moved, removed and import blocks. */
function typesInConfiguration(config: JsonObject): string[] {
  const types: string[] = [];
  const typesOfBlock = (value: unknown) => {
    for (const block of blocksOf(value)) types.push(...Object.keys(block));
  };
  typesOfBlock(config.resource);
  typesOfBlock(config.data);
  typesOfBlock(config.ephemeral);
  for (const check of blocksOf(config.check))
    for (const named of Object.values(check)) for (const body of blocksOf(named)) typesOfBlock(body.data);
  for (const kind of ["moved", "removed", "import"])
    for (const block of blocksOf(config[kind]))
      for (const field of ["from", "to"]) types.push(...namesInAddress(block[field]));
  return types;
}

/** The types of every resource a state file holds. */
function typesInState(stateFile: string): string[] {
  const state = JSON.parse(readFileSync(stateFile, "utf8")) as { resources?: { type?: unknown }[] };
  return (state.resources ?? []).flatMap((resource) =>
    typeof resource.type === "string" ? [resource.type] : [],
  );
}

/** The backend the configuration declares, override files last, as Terraform merges them. */
function declaredBackend(configs: readonly { file: string; config: JsonObject }[]) {
  let backend: { type: string; settings: JsonObject } | undefined;
  const ordered = [
    ...configs.filter(({ file }) => !/(^|_)override\.tf\.json$/.test(file)),
    ...configs.filter(({ file }) => /(^|_)override\.tf\.json$/.test(file)),
  ];
  for (const { config } of ordered)
    for (const terraform of blocksOf(config.terraform))
      for (const declared of blocksOf(terraform.backend)) {
        const [type] = Object.keys(declared);
        if (type) backend = { type, settings: blocksOf(declared[type])[0] ?? {} };
      }
  return backend;
}

/**
 * The state files Terraform reads in `dir`: the local backend's file (its `path`, from what `terraform
 * init` recorded in `.terraform/terraform.tfstate` or else the configuration; `terraform.tfstate` by
 * default) and every workspace's under `terraform.tfstate.d`. Undefined when the state is elsewhere (any
 * other backend): then no one can say which types it holds.
 */
function localStateFiles(
  dir: string,
  configs: readonly { file: string; config: JsonObject }[],
): string[] | undefined {
  const initialized = path.join(dir, ".terraform", "terraform.tfstate");
  const recorded = existsSync(initialized)
    ? (JSON.parse(readFileSync(initialized, "utf8")) as { backend?: { type?: string; config?: JsonObject } })
        .backend
    : undefined;
  const backend = recorded?.type
    ? { type: recorded.type, settings: recorded.config ?? {} }
    : declaredBackend(configs);
  if (backend && backend.type !== "local") return undefined;
  const configuredPath = backend?.settings.path;
  const files = [
    path.resolve(dir, typeof configuredPath === "string" ? configuredPath : "terraform.tfstate"),
  ];
  const workspaces = path.join(dir, "terraform.tfstate.d");
  if (existsSync(workspaces))
    for (const workspace of readdirSync(workspaces))
      files.push(path.join(workspaces, workspace, "terraform.tfstate"));
  return files.filter((file) => existsSync(file));
}

/**
 * The types a command in `dir` can need a schema for: those its JSON configuration names and those its
 * local state holds. Undefined when that cannot be known (configuration in HCL, state in a remote
 * backend, a file that is not JSON): the provider's whole schema is sent then, and Terraform reports a
 * broken file in its own words.
 */
export function typesInScope(dir: string): ReadonlySet<string> | undefined {
  const files = readdirSync(dir);
  if (files.some((file) => file.endsWith(".tf"))) return undefined;
  try {
    const configs = files
      .filter((file) => file.endsWith(".tf.json"))
      .map((file) => ({
        file,
        config: JSON.parse(readFileSync(path.join(dir, file), "utf8")) as JsonObject,
      }));
    const stateFiles = localStateFiles(dir, configs);
    if (stateFiles === undefined) return undefined;
    return new Set([
      ...configs.flatMap(({ config }) => typesInConfiguration(config)),
      ...stateFiles.flatMap(typesInState),
    ]);
  } catch (error) {
    if (error instanceof SyntaxError) return undefined;
    throw error;
  }
}
