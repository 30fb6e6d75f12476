// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Terraform template syntax in plain strings is what these tests feed in.
import fc from "fast-check";

/** Configurations full of hostile strings, shared by the property tests and the Terraform validation. */

const ACCOUNT = "111122223333";

const HOSTILE_PIECES = [
  "${foo}",
  "${aws_iam_role.x.arn}",
  "%{ if true }x%{ endif }",
  "$${already}",
  "%%{kept}",
  '"quoted"',
  "line\nbreak",
  "back\\slash",
  "tab\there",
  "}{",
  "é✓漢",
];
/** Text mixing template openers, quotes, newlines and plain characters, up to `max` characters. */
export const hostileText = (min: number, max: number) =>
  fc
    .array(fc.oneof(fc.constantFrom(...HOSTILE_PIECES), fc.string({ maxLength: 12 })), {
      minLength: 1,
      maxLength: 8,
    })
    .map((parts) => parts.join(""))
    .chain((text) =>
      fc.constantFrom(text, text.padEnd(max, "x${")).map((t) => t.slice(0, max).padEnd(min, "z")),
    );

const hostileTagKey = hostileText(1, 128).filter((key) => !key.toLowerCase().startsWith("aws:"));

/** AWS's tag characters (letters, digits, spaces and _ . : / = + - @), the only ones resource tags may hold. */
const awsTagText = (min: number, max: number) =>
  fc
    .array(
      fc.oneof(
        fc.constantFrom("_", ".", ":", "/", "=", "+", "-", "@", " ", "é", "漢", "7"),
        fc.stringMatching(/^[A-Za-z]{1,6}$/),
      ),
      {
        minLength: 1,
        maxLength: 10,
      },
    )
    .map((parts) => parts.join("").slice(0, max).padEnd(min, "z"));
const awsTagKey = awsTagText(1, 128).filter((key) => !key.toLowerCase().startsWith("aws:"));

export const validHostileConfig = fc.record({
  mode: fc.constantFrom("audit", "manual", "automatic", "event-driven"),
  recorder: fc.constantFrom("create", "existing"),
  region: fc.constantFrom("eu-central-1", "us-east-1", "cn-north-1", "us-gov-west-1"),
  // Resource tags and the lock table must use AWS's own characters (the schema refuses the rest, see
  // CORRUPTIONS); the exemption key names an EC2 tag, where AWS allows anything, so it stays hostile.
  tags: fc.dictionary(awsTagKey, awsTagText(0, 256), { maxKeys: 4 }),
  exemptionTagKey: hostileTagKey,
  dynamodbTable: fc.stringMatching(/^[A-Za-z0-9_.-]{3,40}$/),
});
export type HostileInput = typeof validHostileConfig extends fc.Arbitrary<infer T> ? T : never;

export function rawFrom(input: HostileInput): Record<string, unknown> {
  return {
    approvedAmiIds: ["ami-0abcdef1234567890"],
    remediation: {
      mode: input.mode,
      ...(input.mode === "event-driven" ? { exemptionTagKey: input.exemptionTagKey } : {}),
    },
    targets: [{ accountId: ACCOUNT, region: input.region, recorder: input.recorder }],
    backend: {
      type: "s3",
      bucket: "ami-guard-state",
      region: "eu-central-1",
      locking: "dynamodb",
      dynamodbTable: input.dynamodbTable,
    },
    tags: input.tags,
  };
}
