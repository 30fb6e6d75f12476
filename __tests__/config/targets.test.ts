import { readFileSync } from "node:fs";
import * as path from "node:path";
import { Testing } from "cdktf";
import { stackNameFor, stateKeyFor } from "../../app/ami-guard-stack";
import { buildApp } from "../../app/app";
import { parseConfig } from "../../app/config/load";
import { formatStackListing, listStacks } from "../../app/targets";
import { rawConfig } from "../support/configs";

const s3Backend = {
  type: "s3",
  bucket: "org-terraform-state",
  keyPrefix: "ami-guard",
  region: "eu-central-1",
};

/** The state key each synthesized stack's S3 backend names, by stack. */
function synthesizedStateKeys(raw: Record<string, unknown>): Record<string, string> {
  const config = parseConfig(raw);
  const app = buildApp(config, { outdir: Testing.app().outdir });
  const keys: Record<string, string> = {};
  for (const target of config.targets) {
    const stack = app.node.findChild(stackNameFor(target));
    const synthesized = JSON.parse(Testing.synth(stack as never)) as {
      terraform: { backend: { s3: { key: string } } };
    };
    keys[stackNameFor(target)] = synthesized.terraform.backend.s3.key;
  }
  return keys;
}

describe("state per stack", () => {
  const targets = [
    { accountId: "111111111111", region: "eu-central-1" },
    { accountId: "222222222222", region: "us-east-1" },
  ];
  const group = { accountIds: ["333333333333", "444444444444"], regions: ["eu-west-1", "ap-south-1"] };

  it("derives each stack's key from its account and region", () => {
    expect(stateKeyFor("ami-guard", { accountId: "111111111111", region: "eu-central-1" })).toBe(
      "ami-guard/111111111111/eu-central-1/terraform.tfstate",
    );
    expect(stateKeyFor("", { accountId: "111111111111", region: "eu-central-1" })).toBe(
      "111111111111/eu-central-1/terraform.tfstate",
    );
  });

  it("keeps every key when targets are reordered or new ones are added", () => {
    // Given the keys of a configuration
    const before = synthesizedStateKeys(
      rawConfig({
        remediation: { mode: "audit" },
        backend: s3Backend,
        targets,
        targetGroups: [group],
      }),
    );
    // When targets are reordered, the group's lists are reordered, and new targets are added in front
    const after = synthesizedStateKeys(
      rawConfig({
        remediation: { mode: "audit" },
        backend: s3Backend,
        targets: [{ accountId: "555555555555", region: "sa-east-1" }, ...[...targets].reverse()],
        targetGroups: [
          { accountIds: ["666666666666"], regions: ["eu-north-1"] },
          { accountIds: [...group.accountIds].reverse(), regions: [...group.regions].reverse() },
        ],
      }),
    );
    // Then every stack that existed keeps its key, and every key is distinct
    for (const [stack, key] of Object.entries(before)) expect(after[stack]).toBe(key);
    expect(Object.keys(after)).toHaveLength(Object.keys(before).length + 2);
    expect(new Set(Object.values(after)).size).toBe(Object.keys(after).length);
  });

  it("locks with S3's lock file by default and with DynamoDB when asked", () => {
    const lockfile = parseConfig(rawConfig({ remediation: { mode: "audit" }, backend: s3Backend }));
    const app = buildApp(lockfile, { outdir: Testing.app().outdir });
    const stack = JSON.parse(Testing.synth(app.node.children[0] as never));
    expect(stack.terraform.backend.s3).toMatchObject({
      use_lockfile: true,
      encrypt: true,
      region: "eu-central-1",
    });
    expect(stack.terraform.backend.s3).not.toHaveProperty("dynamodb_table");

    const dynamo = parseConfig(
      rawConfig({
        remediation: { mode: "audit" },
        backend: { ...s3Backend, locking: "dynamodb", dynamodbTable: "locks" },
      }),
    );
    const dynamoStack = JSON.parse(
      Testing.synth(buildApp(dynamo, { outdir: Testing.app().outdir }).node.children[0] as never),
    );
    expect(dynamoStack.terraform.backend.s3).toMatchObject({ dynamodb_table: "locks" });
    expect(dynamoStack.terraform.backend.s3).not.toHaveProperty("use_lockfile");
  });
});

describe("listStacks", () => {
  it("lists the stacks a configuration produces, sorted, with their settings and where they come from", () => {
    const config = parseConfig(
      rawConfig({
        targets: [{ accountId: "111122223333", region: "eu-central-1", mode: "manual" }],
        targetGroups: [{ accountIds: ["444455556666"], regions: ["us-east-1", "eu-west-1"], dryRun: true }],
      }),
    );
    expect(formatStackListing(listStacks(config))).toBe(
      [
        "stack                                mode          recorder  dry-run  state                                                  from",
        "ami-guard-111122223333-eu-central-1  manual        create    no       terraform.ami-guard-111122223333-eu-central-1.tfstate  targets[0]",
        "ami-guard-444455556666-eu-west-1     event-driven  create    yes      terraform.ami-guard-444455556666-eu-west-1.tfstate     targetGroups[0]",
        "ami-guard-444455556666-us-east-1     event-driven  create    yes      terraform.ami-guard-444455556666-us-east-1.tfstate     targetGroups[0]",
        "3 stack(s)",
      ].join("\n"),
    );
  });

  it("reads the organization example: 200 stacks with distinct state keys", () => {
    const file = path.resolve(__dirname, "..", "..", "examples", "organization-200-stacks.json");
    const rows = listStacks(parseConfig(JSON.parse(readFileSync(file, "utf8"))));
    expect(rows).toHaveLength(200);
    expect(new Set(rows.map((row) => row.state)).size).toBe(200);
    expect(new Set(rows.map((row) => row.mode))).toEqual(new Set(["audit", "event-driven"]));
  });
});
