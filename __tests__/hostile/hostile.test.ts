// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Terraform template syntax in plain strings is what these tests feed in.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { Testing } from "cdktf";
import fc from "fast-check";
import { AmiGuardStack } from "../../app/ami-guard-stack";
import type { AmiGuardConfig } from "../../app/config";
import { ConfigError, parseConfig } from "../../app/config/load";
import { buildLambdaBundle, type LambdaBundle } from "../../app/lambda-bundle";
import { runSynthCommand } from "../../app/synth-command";
import { rawFrom, validHostileConfig } from "./hostile-configs";

const ACCOUNT = "111122223333";

/**
 * What Terraform reads from a string in `.tf.json`: `$${` and `%%{` are literal `${` and `%{`; an
 * unescaped `${` or `%{` starts an expression, returned separately so a test can see what leaked.
 */
function decodeTemplate(text: string): { literal: string; expressions: string[] } {
  let literal = "";
  const expressions: string[] = [];
  for (let i = 0; i < text.length; ) {
    const three = text.slice(i, i + 3);
    if (three === "$${" || three === "%%{") {
      literal += three.slice(1);
      i += 3;
    } else if (text.startsWith("${", i) || text.startsWith("%{", i)) {
      const end = text.indexOf("}", i);
      expressions.push(text.slice(i, end < 0 ? undefined : end + 1));
      i = end < 0 ? text.length : end + 1;
    } else {
      literal += text[i];
      i += 1;
    }
  }
  return { literal, expressions };
}

/** The references cdktf itself writes: `${aws_sns_topic.notifications_topic_9813ADB4.arn}`. */
const CDKTF_REFERENCE = /^\$\{(?:data\.)?aws_[a-z0-9_]+\.[A-Za-z0-9_-]+(?:\.[a-z_0-9]+|\[\d+\])*\}$/;

function everyString(value: unknown, found: string[] = []): string[] {
  if (typeof value === "string") found.push(value);
  else if (Array.isArray(value)) for (const item of value) everyString(item, found);
  else if (value && typeof value === "object")
    for (const [key, item] of Object.entries(value)) {
      found.push(key);
      everyString(item, found);
    }
  return found;
}

let bundle: LambdaBundle;
beforeAll(async () => {
  bundle = await buildLambdaBundle({ outdir: mkdtempSync(path.join(tmpdir(), "ami-guard-hostile-bundle-")) });
});

interface SynthesizedJson {
  readonly provider: { aws: { default_tags: { tags: Record<string, string> }[] }[] };
  readonly terraform: { backend: { s3: { dynamodb_table: string } } };
  readonly resource: Record<string, Record<string, { environment?: { variables: Record<string, string> } }>>;
}

function synthJson(config: AmiGuardConfig): SynthesizedJson {
  const [target] = config.targets;
  if (!target) throw new Error("no target");
  return JSON.parse(Testing.synth(new AmiGuardStack(Testing.app(), { config, target, bundle })));
}

/** The expressions in a configuration's stack, synthesized once per distinct configuration (a pure function). */
const twinExpressions = new Map<string, Set<string>>();
function expressionsOfTwin(raw: Record<string, unknown>): Set<string> {
  const key = JSON.stringify(raw);
  let found = twinExpressions.get(key);
  if (!found) {
    found = new Set(
      everyString(synthJson(parseConfig(raw))).flatMap((text) => decodeTemplate(text).expressions),
    );
    twinExpressions.set(key, found);
  }
  return found;
}

describe("hostile strings in valid configurations", () => {
  it("reach Terraform exactly as written, never as expressions", () => {
    fc.assert(
      fc.property(validHostileConfig, (input) => {
        // Given a configuration whose free-text fields hold template openers, quotes and newlines
        const config = parseConfig(rawFrom(input));
        // When its stack is synthesized
        const json = synthJson(config);
        // Then Terraform reads each tag, the exemption key and the lock table as the literal text
        const tags = json.provider.aws[0]?.default_tags[0]?.tags ?? {};
        const decodedTags = Object.fromEntries(
          Object.entries(tags).map(([k, v]) => [decodeTemplate(k).literal, decodeTemplate(v).literal]),
        );
        expect(decodedTags).toEqual({
          ...input.tags,
          "ami-guard:stack": `ami-guard-${ACCOUNT}-${input.region}`,
        });
        expect(decodeTemplate(json.terraform.backend.s3.dynamodb_table).literal).toBe(input.dynamodbTable);
        if (input.mode === "event-driven") {
          const [fn] = Object.values(json.resource.aws_lambda_function ?? {});
          expect(decodeTemplate(fn?.environment?.variables.AMI_GUARD_EXEMPTION_TAG_KEY ?? "").literal).toBe(
            input.exemptionTagKey,
          );
        }
        // And the only expressions anywhere are cdktf's own references
        // (and the expressions the constructs write themselves, such as the dashboard's jsonencode: those
        // are allowed only when they come out identical from a twin configuration with none of this text)
        const constructExpressions = expressionsOfTwin(
          rawFrom({ ...input, tags: {}, exemptionTagKey: "plain-key", dynamodbTable: "plain-table" }),
        );
        const leaked = everyString(json)
          .flatMap((text) => decodeTemplate(text).expressions)
          .filter((expression) => !CDKTF_REFERENCE.test(expression))
          .filter((expression) => !constructExpressions.has(expression));
        expect(leaked).toEqual([]);
      }),
      { numRuns: 25, seed: 4242 },
    );
  });

  it("the decoder itself sees an unescaped opener as an expression", () => {
    expect(decodeTemplate("a${x}b%{ if }")).toEqual({ literal: "ab", expressions: ["${x}", "%{ if }"] });
    expect(decodeTemplate("$${x}%%{y}$$${z}")).toEqual({ literal: "${x}%{y}$${z}", expressions: [] });
  });
});

// biome-ignore lint/suspicious/noExplicitAny: the corruptions write into raw JSON at arbitrary depths.
type RawJson = Record<string, any>;

/** Known ways to break a valid configuration, each with the field the refusal must name. */
const CORRUPTIONS: readonly { field: string; corrupt: (raw: RawJson) => void }[] = [
  { field: "approvedAmiIds[0]", corrupt: (raw) => (raw.approvedAmiIds[0] = "ami-${x}") },
  { field: "targets[0].accountId", corrupt: (raw) => (raw.targets[0].accountId = '12345"') },
  { field: "targets[0].accountId", corrupt: (raw) => (raw.targets[0].accountId = 111122223333) },
  { field: "targets[0].region", corrupt: (raw) => (raw.targets[0].region = "eu-central-1\n") },
  { field: "targets[0].assumeRoleName", corrupt: (raw) => (raw.targets[0].assumeRoleName = "role\n${x}") },
  { field: "remediation.mode", corrupt: (raw) => (raw.remediation.mode = "${mode}") },
  { field: "ruleName", corrupt: (raw) => (raw.ruleName = 'rule"; drop') },
  { field: "ruleName", corrupt: (raw) => (raw.ruleName = "r".repeat(49)) },
  { field: "tags.aws:owner", corrupt: (raw) => (raw.tags = { "aws:owner": "x" }) },
  { field: "tags.k", corrupt: (raw) => (raw.tags = { k: "${v}".repeat(65) }) },
  { field: "tags.k", corrupt: (raw) => (raw.tags = { k: 'say "hi"\n%{ if true }' }) },
  { field: 'tags.a"b', corrupt: (raw) => (raw.tags = { 'a"b': "x" }) },
  { field: "backend.dynamodbTable", corrupt: (raw) => (raw.backend.dynamodbTable = "locks${x}") },
  { field: "backend.bucket", corrupt: (raw) => (raw.backend.bucket = "Bad_${Bucket}") },
  {
    field: "notifications.emails[0]",
    corrupt: (raw) => {
      raw.remediation = { mode: "event-driven" };
      raw.notifications = { emails: ['"x"@${y}'] };
    },
  },
];

const corruptedConfig = fc
  .tuple(validHostileConfig, fc.constantFrom(...CORRUPTIONS))
  .map(([input, corruption]) => {
    const raw = structuredClone(rawFrom(input)) as RawJson;
    corruption.corrupt(raw);
    return { raw, field: corruption.field };
  });

describe("invalid configurations", () => {
  it("are refused with a message naming the field", () => {
    fc.assert(
      fc.property(corruptedConfig, ({ raw, field }) => {
        let refusal: unknown;
        try {
          parseConfig(raw);
        } catch (error) {
          refusal = error;
        }
        expect(refusal).toBeInstanceOf(ConfigError);
        expect((refusal as ConfigError).problems).toEqual(
          expect.arrayContaining([
            expect.stringMatching(new RegExp(`^${field.replace(/[.[\]]/g, "\\$&")}: .+`)),
          ]),
        );
      }),
      { numRuns: 100, seed: 99 },
    );
  });

  it("make `npm run synth` write nothing, and remove a stale synthesis", async () => {
    const samples = fc.sample(corruptedConfig, { numRuns: 3, seed: 5 });
    for (const { raw, field } of samples) {
      // Given a stale cdktf.out from an earlier, valid run
      const work = mkdtempSync(path.join(tmpdir(), "ami-guard-refused-"));
      const outdir = path.join(work, "cdktf.out");
      mkdirSync(path.join(outdir, "stacks", "stale"), { recursive: true });
      writeFileSync(path.join(work, "config.json"), JSON.stringify(raw));
      // When the app runs on the invalid configuration (as main.ts runs it; synth.test.ts runs it once in
      // its own process)
      let stderr = "";
      const code = await runSynthCommand(
        { ...process.env, AMI_GUARD_CONFIG: path.join(work, "config.json"), CDKTF_OUTDIR: outdir },
        { out: () => undefined, err: (text) => (stderr += text) },
      );
      const result = { code, stderr };
      // Then it fails naming the field, and no synthesis is left for a plan to pick up
      expect({ code: result.code, namesField: result.stderr.includes(`${field}:`) }).toEqual({
        code: 1,
        namesField: true,
      });
      expect(existsSync(outdir)).toBe(false);
      expect(readdirSync(work).filter((name) => name.startsWith("cdktf.out"))).toEqual([]);
      expect(readFileSync(path.join(work, "config.json"), "utf8")).toBe(JSON.stringify(raw));
    }
  });
});
