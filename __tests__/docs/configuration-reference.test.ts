import { readFileSync } from "node:fs";
import * as path from "node:path";
import Ajv2020 from "ajv/dist/2020";
import addFormats from "ajv-formats";
import { parseConfig } from "../../app/config/load";
import {
  buildJsonSchema,
  describeDefault,
  generatedFiles,
  type JsonSchema,
  REFERENCE_FILE,
  renderConfigurationReference,
  SCHEMA_FILE,
  splitDescription,
} from "../../scripts/generate-schema";
import { rawConfig } from "../support/configs";

const ROOT = path.resolve(__dirname, "../..");
const SHIPPED_CONFIG = "ami-guard.config.json";

function readRepoFile(file: string): string {
  return readFileSync(path.join(ROOT, file), "utf8");
}

/** A real draft 2020-12 validator over the committed schema, the one editors load. */
function committedSchemaValidator() {
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  addFormats(ajv);
  return ajv.compile(JSON.parse(readRepoFile(SCHEMA_FILE)));
}

describe("generated configuration files", () => {
  it.each(generatedFiles().map(({ file, content }) => [file, content]))(
    "committed %s matches what app/config/schema.ts generates",
    (file, content) => {
      const verdict =
        readRepoFile(file) === content
          ? "up to date"
          : `${file} is out of date with the zod schema in app/config/schema.ts: run \`npm run schema\` and commit the result`;
      expect(verdict).toBe("up to date");
    },
  );

  it("the JSON Schema declares draft 2020-12", () => {
    expect(buildJsonSchema().$schema).toBe("https://json-schema.org/draft/2020-12/schema");
  });
});

describe("the shipped ami-guard.config.json", () => {
  const shipped = JSON.parse(readRepoFile(SHIPPED_CONFIG)) as Record<string, unknown>;

  it("names the committed schema for editors", () => {
    expect(shipped.$schema).toBe(`./${SCHEMA_FILE}`);
  });

  it("validates against the JSON Schema", () => {
    const validate = committedSchemaValidator();
    const valid = validate(shipped);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  it("validates with zod", () => {
    expect(() => parseConfig(shipped, SHIPPED_CONFIG)).not.toThrow();
  });
});

describe("the JSON Schema refuses what zod refuses", () => {
  const validate = committedSchemaValidator();

  it.each([
    ["a malformed AMI id", rawConfig({ approvedAmiIds: ["ami-XYZ"] }), "/approvedAmiIds/0"],
    ["a misspelt field", rawConfig({ approvedAmiIdz: ["ami-0abcdef1234567890"] }), ""],
    [
      "an unknown region",
      rawConfig({ targets: [{ accountId: "111122223333", region: "eu-cental-1" }] }),
      "/targets/0/region",
    ],
    [
      "an account id as a number",
      rawConfig({ targets: [{ accountId: 111122223333, region: "eu-west-1" }] }),
      "/targets/0/accountId",
    ],
    [
      "an s3 backend without a bucket",
      rawConfig({ backend: { type: "s3", region: "eu-west-1" } }),
      "/backend",
    ],
  ])("%s", (_what, config, instancePath) => {
    expect(validate(config)).toBe(false);
    expect(validate.errors?.map((error) => error.instancePath)).toContain(instancePath);
    expect(() => parseConfig(config)).toThrow();
  });

  it("accepts the minimal configuration zod accepts", () => {
    const config = rawConfig();
    expect(() => parseConfig(config)).not.toThrow();
    expect(validate(config)).toBe(true);
  });
});

describe("splitDescription", () => {
  it("separates the @default note from the sentence", () => {
    expect(splitDescription('Name of the rule. @default "x"')).toEqual({
      text: "Name of the rule.",
      defaultNote: '"x"',
    });
  });

  it("leaves a description without a note whole", () => {
    expect(splitDescription("The AWS region.")).toEqual({ text: "The AWS region." });
  });
});

describe("describeDefault", () => {
  const known = new Set(["remediation.mode"]);

  it.each<[string, JsonSchema, boolean, string]>([
    ["a schema default", { type: "string", default: "lockfile" }, false, '`"lockfile"`'],
    ["a required field", { type: "string" }, true, "**required**"],
    ["a literal note", { type: "integer", description: "Attempts. @default 5" }, false, "`5`"],
    [
      "a behaviour note",
      { type: "string", description: "Role. @default - the caller's own credentials" },
      false,
      "*the caller's own credentials*",
    ],
    [
      "a note naming another field",
      { type: "string", description: "Mode. @default remediation.mode" },
      false,
      "value of `remediation.mode`",
    ],
    ["no default at all", { type: "string" }, false, "—"],
  ])("renders %s", (_what, node, required, expected) => {
    expect(describeDefault("field", node, required, known)).toBe(expected);
  });

  it("refuses a note that contradicts the schema's default", () => {
    expect(() =>
      describeDefault(
        "ruleName",
        { type: "string", default: "a", description: 'Rule. @default "b"' },
        false,
        known,
      ),
    ).toThrow('ruleName: its description says "@default "b"" but the schema\'s default is "a"');
  });
});

describe("renderConfigurationReference", () => {
  const reference = renderConfigurationReference(buildJsonSchema());
  const rowOf = (field: string) => reference.split("\n").find((line) => line.startsWith(`| \`${field}\` |`));

  it("has a row for every field a configuration can set, nested ones included", () => {
    for (const field of [
      "ruleName",
      "approvedAmiIds",
      "remediation.mode",
      "targets[].accountId",
      "targetGroups[].regions",
      "backend.bucket",
      "tags.<key>",
    ]) {
      expect(rowOf(field)).toBeDefined();
    }
  });

  it("marks required fields and renders defaults from @default notes", () => {
    expect(rowOf("targets[].accountId")).toContain("| **required** |");
    expect(rowOf("remediation.maximumAutomaticAttempts")).toContain("| `5` |");
    expect(rowOf("targets[].mode")).toContain("| value of `remediation.mode` |");
  });

  it("says which backend a backend field belongs to", () => {
    expect(rowOf("backend.bucket")).toContain('*Only when `backend.type` is `"s3"`.*');
  });

  it("keeps every table row at four cells, escaping pipes in patterns", () => {
    const rows = reference.split("\n").filter((line) => line.startsWith("| `"));
    for (const row of rows) {
      expect(row.split(/(?<!\\)\|/).length - 2).toBe(4);
    }
  });

  it("tells the reader it is generated and how to regenerate it", () => {
    expect(reference).toContain("Do not edit: run `npm run schema`.");
    expect(REFERENCE_FILE).toBe("docs/configuration.md");
  });
});
