import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { BinaryReader, BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import {
  schemaResponseParts,
  scopeSchemaResponse,
  TYPE_MAP_FIELDS,
  typesInScope,
} from "../../tools/terraform/schema-scope";

/** A map entry of GetProviderSchema.Response: key (field 1), then a Schema (field 2) with a version. */
function entry(writer: BinaryWriter, fieldNo: number, typeName: string, version: number): void {
  writer.tag(fieldNo, WireType.LengthDelimited).fork();
  writer.tag(1, WireType.LengthDelimited).string(typeName);
  writer.tag(2, WireType.LengthDelimited).fork().tag(1, WireType.Varint).int64(version).join();
  writer.join();
}

/** A response as the provider sends one, with a field no protocol of today defines (99) at the end. */
function schemaResponse(options: { schemaOptional: boolean }): Uint8Array {
  const writer = new BinaryWriter();
  writer.tag(1, WireType.LengthDelimited).fork().tag(1, WireType.Varint).int64(7).join();
  entry(writer, TYPE_MAP_FIELDS.resourceSchemas, "aws_s3_bucket", 1);
  entry(writer, TYPE_MAP_FIELDS.resourceSchemas, "aws_sqs_queue", 2);
  entry(writer, TYPE_MAP_FIELDS.dataSourceSchemas, "aws_iam_policy_document", 3);
  entry(writer, TYPE_MAP_FIELDS.dataSourceSchemas, "aws_s3_bucket", 4);
  entry(writer, TYPE_MAP_FIELDS.ephemeralResourceSchemas, "aws_kms_secrets", 5);
  // functions (7): a map too, but of functions, which Terraform needs whatever the configuration holds.
  writer.tag(7, WireType.LengthDelimited).fork().tag(1, WireType.LengthDelimited).string("arn_parse").join();
  writer.tag(6, WireType.LengthDelimited).fork();
  writer.tag(1, WireType.Varint).bool(true);
  if (options.schemaOptional) writer.tag(2, WireType.Varint).bool(true);
  writer.join();
  writer.tag(99, WireType.LengthDelimited).string("a later protocol's field");
  return writer.finish();
}

/** Each top-level field as [field number, map key or undefined, its bytes as hex]. */
function fieldsOf(message: Uint8Array): [number, string | undefined, string][] {
  const reader = new BinaryReader(message);
  const fields: [number, string | undefined, string][] = [];
  while (reader.pos < reader.len) {
    const start = reader.pos;
    const [fieldNo, wireType] = reader.tag();
    const bodyStart = reader.pos;
    reader.skip(wireType, fieldNo);
    const isMapEntry = (Object.values(TYPE_MAP_FIELDS) as number[]).includes(fieldNo);
    let key: string | undefined;
    if (isMapEntry) {
      const body = new BinaryReader(message.subarray(bodyStart, reader.pos)).bytes();
      const entryReader = new BinaryReader(body);
      entryReader.tag();
      key = entryReader.string();
    }
    fields.push([fieldNo, key, Buffer.from(message.subarray(start, reader.pos)).toString("hex")]);
  }
  return fields;
}

describe("the schema a lent provider sends Terraform", () => {
  const whole = schemaResponse({ schemaOptional: true });

  it("keeps the map entries of the types in scope, by name in each map, and every other field byte for byte", () => {
    const scoped = scopeSchemaResponse(whole, new Set(["aws_s3_bucket", "aws_kms_secrets"]));
    const expected = fieldsOf(whole).filter(
      ([, key]) => key === undefined || key === "aws_s3_bucket" || key === "aws_kms_secrets",
    );
    expect(fieldsOf(scoped.message)).toEqual(expected);
    expect(expected.map(([fieldNo, key]) => [fieldNo, key])).toEqual([
      [1, undefined],
      [2, "aws_s3_bucket"],
      [3, "aws_s3_bucket"],
      [8, "aws_kms_secrets"],
      [7, undefined],
      [6, undefined],
      [99, undefined],
    ]);
    expect(scoped).toMatchObject({ keptTypes: 3, droppedTypes: 2 });
  });

  it("is the whole response when every type is in scope", () => {
    const every = new Set(["aws_s3_bucket", "aws_sqs_queue", "aws_iam_policy_document", "aws_kms_secrets"]);
    expect(Buffer.from(scopeSchemaResponse(whole, every).message)).toEqual(Buffer.from(whole));
  });

  it("reads whether the provider lets Terraform use a cached copy of its schema", () => {
    expect(schemaResponseParts(whole).schemaOptional).toBe(true);
    expect(schemaResponseParts(schemaResponse({ schemaOptional: false })).schemaOptional).toBe(false);
  });
});

describe("the types a working directory names", () => {
  let base: string;
  let root: string;
  beforeEach(() => {
    base = mkdtempSync(path.join(tmpdir(), "ami-guard-schema-scope-"));
    root = path.join(base, "stack");
    mkdirSync(root);
  });
  afterEach(() => rmSync(base, { recursive: true, force: true }));

  const write = (file: string, value: unknown) => {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), typeof value === "string" ? value : JSON.stringify(value));
  };
  const stateWith = (...types: string[]) => ({
    version: 4,
    resources: types.map((type) => ({ mode: "managed", type, name: "x", instances: [] })),
  });
  const sorted = (types: ReadonlySet<string> | undefined) => (types ? [...types].sort() : types);

  it("reads resources, data sources, ephemeral resources, checks' data and moved, removed and import addresses", () => {
    write("cdk.tf.json", {
      resource: { aws_s3_bucket: { history: {} }, aws_sqs_queue: { dead_letters: {} } },
      data: [{ aws_iam_policy_document: { trust: {} } }],
      ephemeral: { aws_kms_secrets: { key: {} } },
      check: { reachable: { data: { aws_lambda_function: { handler: {} } } } },
      moved: [{ from: "aws_cloudwatch_event_rule.old", to: "aws_scheduler_schedule.new" }],
      removed: { from: "module.gone.aws_sns_topic.alerts[0]" },
      import: { to: "aws_kms_key.key", id: "k" },
    });
    expect(sorted(typesInScope(root))).toEqual(
      expect.arrayContaining([
        "aws_cloudwatch_event_rule",
        "aws_iam_policy_document",
        "aws_kms_key",
        "aws_kms_secrets",
        "aws_lambda_function",
        "aws_s3_bucket",
        "aws_scheduler_schedule",
        "aws_sns_topic",
        "aws_sqs_queue",
      ]),
    );
  });

  it("adds the types only the local state holds, from the file the override's backend names", () => {
    write("cdk.tf.json", {
      terraform: { backend: { local: { path: "../elsewhere.tfstate" } } },
      resource: { aws_s3_bucket: { history: {} } },
    });
    write("offline_override.tf.json", { terraform: { backend: { local: { path: "terraform.tfstate" } } } });
    write("terraform.tfstate", stateWith("aws_config_configuration_recorder"));
    write("../elsewhere.tfstate", stateWith("aws_not_read"));
    expect(sorted(typesInScope(root))).toEqual(["aws_config_configuration_recorder", "aws_s3_bucket"]);
  });

  it("reads the state where `terraform init` recorded the local backend, and every workspace's", () => {
    write("main.tf.json", { resource: { aws_s3_bucket: { history: {} } } });
    write(".terraform/terraform.tfstate", {
      backend: { type: "local", config: { path: "states/one.tfstate" } },
    });
    write("states/one.tfstate", stateWith("aws_sqs_queue"));
    write("terraform.tfstate.d/blue/terraform.tfstate", stateWith("aws_sns_topic"));
    expect(sorted(typesInScope(root))).toEqual(["aws_s3_bucket", "aws_sns_topic", "aws_sqs_queue"]);
  });

  it("cannot say when the state is in another backend, or the configuration is HCL", () => {
    write("cdk.tf.json", {
      terraform: { backend: { s3: { bucket: "state" } } },
      resource: { aws_s3_bucket: { history: {} } },
    });
    expect(typesInScope(root)).toBeUndefined();
    write("offline_override.tf.json", { terraform: { backend: { local: { path: "terraform.tfstate" } } } });
    expect(sorted(typesInScope(root))).toEqual(["aws_s3_bucket"]);
    write(".terraform/terraform.tfstate", { backend: { type: "s3", config: { bucket: "state" } } });
    expect(typesInScope(root)).toBeUndefined();
    rmSync(path.join(root, ".terraform"), { recursive: true });
    write("extra.tf", 'resource "aws_sns_topic" "t" {}\n');
    expect(typesInScope(root)).toBeUndefined();
  });

  it("cannot say when a configuration or the state is not JSON, and leaves the error to Terraform", () => {
    write("cdk.tf.json", { resource: { aws_s3_bucket: { history: {} } } });
    write("terraform.tfstate", '{"version": 4, "resources": [');
    expect(typesInScope(root)).toBeUndefined();
    write("terraform.tfstate", stateWith("aws_sqs_queue"));
    expect(sorted(typesInScope(root))).toEqual(["aws_s3_bucket", "aws_sqs_queue"]);
    write("broken.tf.json", "{");
    expect(typesInScope(root)).toBeUndefined();
  });
});
