import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { loadConfig, parseConfig } from "../../app/config/load";
import { configSchema } from "../../app/config/schema";
import { LAMBDA_UNRESERVED_CONCURRENCY_MINIMUM } from "../../lib/aws-facts";
import { APPROVED_AMI, DOC_ACCOUNT, problemsOf, rawConfig } from "../support/configs";

describe("parseConfig", () => {
  it("resolves the shipped defaults: rule name, event-driven mode, recorder create, local state", () => {
    // Given a configuration naming only AMIs and a target
    // When it is parsed
    const config = parseConfig(rawConfig());
    // Then every default is filled in
    expect(config.ruleName).toBe("approved-amis-by-id");
    expect(config.targets).toEqual([
      {
        accountId: DOC_ACCOUNT,
        region: "eu-central-1",
        recorder: "create",
        mode: "event-driven",
        dryRun: false,
        approvedAmiIds: [APPROVED_AMI],
        source: "targets[0]",
      },
    ]);
    expect(config.reevaluationIntervalHours).toBe(24);
    expect(config.backend).toEqual({ type: "local" });
    expect(config.automatic).toEqual({ maximumAutomaticAttempts: 5, retryAttemptSeconds: 60 });
    expect(config.exemptionTagKey).toBe("ami-guard:exempt");
  });

  it("accepts 8- and 17-digit AMI ids", () => {
    expect(
      parseConfig(rawConfig({ approvedAmiIds: ["ami-12345678", APPROVED_AMI] })).targets[0]?.approvedAmiIds,
    ).toHaveLength(2);
  });

  it("leaves the function's concurrency unreserved unless asked, and says why in the field's description", () => {
    expect(parseConfig(rawConfig()).reservedConcurrentExecutions).toBeUndefined();
    expect(
      parseConfig(rawConfig({ remediation: { reservedConcurrentExecutions: 4 } }))
        .reservedConcurrentExecutions,
    ).toBe(4);
    const description = String(
      configSchema.shape.remediation.unwrap().shape.reservedConcurrentExecutions.description,
    );
    expect(description).toContain(
      `leave the account ${LAMBDA_UNRESERVED_CONCURRENCY_MINIMUM.value} executions unreserved`,
    );
    expect(description).toContain("@default - none");
  });

  it("sends stop-failure notifications in manual mode, so e-mail addresses are accepted there", () => {
    const config = parseConfig(
      rawConfig({ remediation: { mode: "manual" }, notifications: { emails: ["ops@example.com"] } }),
    );
    expect(config.notificationEmails).toEqual(["ops@example.com"]);
  });

  it.each([
    ["ami-1234567", "too short"],
    ["ami-123456789", "between the two lengths"],
    ["ami-0ABCDEF1234567890", "upper-case hex"],
    ["AMI-12345678", "upper-case prefix"],
    ["i-12345678", "an instance id"],
    [" ami-12345678", "leading space"],
  ])("refuses the malformed AMI id %j (%s)", (amiId) => {
    expect(problemsOf(rawConfig({ approvedAmiIds: [amiId] }))).toEqual([
      'approvedAmiIds[0]: must be "ami-" followed by 8 or 17 lowercase hex digits',
    ]);
  });

  it("refuses more than 21 AMI ids, the managed rule's limit", () => {
    const ids = Array.from({ length: 22 }, (_, i) => `ami-${i.toString(16).padStart(8, "0")}`);
    expect(problemsOf(rawConfig({ approvedAmiIds: ids }))).toEqual([
      "approvedAmiIds: the managed rule accepts at most 21 AMI ids",
    ]);
  });

  it("refuses an amiIds parameter over 1,024 characters even when the count is within the limit", () => {
    // 21 ids cannot exceed 1,024 characters, so only malformed (over-long) entries get there; both are named.
    const longIds = Array.from({ length: 20 }, (_, i) => `ami-${"0".repeat(50)}${i}`);
    const joinedLength = longIds.join(",").length;
    expect(joinedLength).toBeGreaterThan(1024);
    const problems = problemsOf(rawConfig({ approvedAmiIds: longIds }));
    expect(problems).toContain(
      `approvedAmiIds: joined with commas they are ${joinedLength} characters; the rule's amiIds parameter holds at most 1024`,
    );
  });

  it("refuses duplicate AMI ids, naming the first occurrence", () => {
    expect(problemsOf(rawConfig({ approvedAmiIds: [APPROVED_AMI, "ami-12345678", APPROVED_AMI] }))).toEqual([
      `approvedAmiIds[2]: duplicates approvedAmiIds[0] (${APPROVED_AMI})`,
    ]);
  });

  it.each([["12345678901"], ["1234567890123"], ["11112222333a"], [111122223333]])(
    "refuses the account id %j",
    (accountId) => {
      expect(problemsOf(rawConfig({ targets: [{ accountId, region: "eu-central-1" }] }))).toEqual([
        "targets[0].accountId: must be a 12-digit AWS account id, written as a string",
      ]);
    },
  );

  it("refuses an unknown region and says which", () => {
    expect(problemsOf(rawConfig({ targets: [{ accountId: DOC_ACCOUNT, region: "eu-cental-1" }] }))).toEqual([
      'targets[0].region: unknown AWS region "eu-cental-1"; expected one such as "eu-central-1"',
    ]);
  });

  it("refuses duplicate targets, including one produced by a target group", () => {
    const problems = problemsOf(
      rawConfig({
        targets: [
          { accountId: DOC_ACCOUNT, region: "eu-central-1" },
          { accountId: DOC_ACCOUNT, region: "eu-central-1" },
        ],
        targetGroups: [{ accountIds: [DOC_ACCOUNT], regions: ["eu-west-1", "eu-central-1"] }],
      }),
    );
    expect(problems).toEqual([
      "targets[1]: account 111122223333 in eu-central-1 is already a target through targets[0]; each account and region gets exactly one stack",
      "targetGroups[0]: account 111122223333 in eu-central-1 is already a target through targets[0]; each account and region gets exactly one stack",
    ]);
  });

  it.each([
    [
      "retry settings outside automatic mode",
      { remediation: { mode: "manual", maximumAutomaticAttempts: 3 } },
      'remediation.maximumAutomaticAttempts: only applies to mode "automatic", and no target uses it (modes in use: "manual")',
    ],
    [
      "dry-run on a target that is not event-driven",
      {
        remediation: { mode: "audit" },
        targets: [{ accountId: DOC_ACCOUNT, region: "eu-central-1", dryRun: true }],
      },
      'targets[0].dryRun: only applies to mode "event-driven"; this target\'s mode is "audit"',
    ],
    [
      "an exemption tag without an event-driven target",
      { remediation: { mode: "automatic", exemptionTagKey: "keep" } },
      'remediation.exemptionTagKey: only applies to mode "event-driven", and no target uses it (modes in use: "automatic")',
    ],
    [
      "e-mail notifications where nothing notifies",
      { remediation: { mode: "audit" }, notifications: { emails: ["ops@example.com"] } },
      'notifications.emails: mode "audit" sends no notifications, and every target uses it (modes in use: "audit")',
    ],
    [
      "a concurrency reservation without an event-driven target",
      { remediation: { mode: "manual", reservedConcurrentExecutions: 5 } },
      'remediation.reservedConcurrentExecutions: only applies to mode "event-driven", and no target uses it (modes in use: "manual")',
    ],
    [
      "a concurrency reservation of nothing",
      { remediation: { reservedConcurrentExecutions: 0 } },
      "remediation.reservedConcurrentExecutions: must be at least 1",
    ],
    [
      "an out-of-range retry count",
      { remediation: { mode: "automatic", maximumAutomaticAttempts: 26 } },
      "remediation.maximumAutomaticAttempts: must be at most 25",
    ],
    [
      "a DynamoDB lock without its table",
      { backend: { type: "s3", bucket: "state-bucket", region: "eu-central-1", locking: "dynamodb" } },
      'backend.dynamodbTable: is required when backend.locking is "dynamodb"',
    ],
    [
      "an unknown field (a typo)",
      { remediaton: { mode: "audit" } },
      '(the whole file): Unrecognized key: "remediaton"',
    ],
    ["no target at all", { targets: [] }, "targets: name at least one target (or target group) to deploy to"],
    [
      "a tag key AWS reserves",
      { tags: { "aws:owner": "platform" } },
      'tags.aws:owner: the key must not start with "aws:", which AWS reserves',
    ],
    [
      "a tag value IAM and SNS would refuse at apply",
      { tags: { team: "${var.team}" } },
      "tags.team: may hold only letters, digits, spaces and _ . : / = + - @ (AWS's tag characters)",
    ],
    [
      "a lock table name DynamoDB would refuse",
      {
        backend: {
          type: "s3",
          bucket: "state",
          region: "eu-central-1",
          locking: "dynamodb",
          dynamodbTable: "my locks",
        },
      },
      "backend.dynamodbTable: must be a DynamoDB table name (3-255 letters, digits, _ . -)",
    ],
  ])("refuses %s", (_case, overrides, expected) => {
    expect(problemsOf(rawConfig(overrides))).toEqual([expected]);
  });

  it("accepts mode-specific settings when one target overrides into that mode", () => {
    const config = parseConfig(
      rawConfig({
        remediation: { mode: "audit", maximumAutomaticAttempts: 3, retryAttemptSeconds: 120 },
        targets: [{ accountId: DOC_ACCOUNT, region: "eu-central-1", mode: "automatic" }],
      }),
    );
    expect(config.targets[0]?.mode).toBe("automatic");
    expect(config.automatic).toEqual({ maximumAutomaticAttempts: 3, retryAttemptSeconds: 120 });
  });

  it("lists every problem of a configuration at once, each with its field path", () => {
    const problems = problemsOf({
      approvedAmiIds: ["ami-bad", APPROVED_AMI, APPROVED_AMI],
      remediation: { mode: "manual", retryAttemptSeconds: 10 },
      targets: [
        { accountId: "42", region: "mars-1" },
        { accountId: DOC_ACCOUNT, region: "eu-west-1", dryRun: true },
      ],
      targetGroups: [{ accountIds: [DOC_ACCOUNT], regions: ["eu-west-1"] }],
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^approvedAmiIds\[0\]: /),
        expect.stringMatching(/^approvedAmiIds\[2\]: duplicates/),
        expect.stringMatching(/^targets\[0\]\.accountId: /),
        expect.stringMatching(/^targets\[0\]\.region: /),
        expect.stringMatching(/^remediation\.retryAttemptSeconds: /),
        expect.stringMatching(/^targets\[1\]\.dryRun: /),
        expect.stringMatching(/^targetGroups\[0\]: account 111122223333 in eu-west-1 is already/),
      ]),
    );
    expect(problems).toHaveLength(7);
  });

  it("says which stack has no approved AMI ids, and where a list would go", () => {
    expect(problemsOf({ targets: [{ accountId: DOC_ACCOUNT, region: "eu-central-1" }] })).toEqual([
      "targets[0]: stack ami-guard-111122223333-eu-central-1 has no approved AMI ids for eu-central-1; set approvedAmiIds, approvedAmiIdsByRegion.eu-central-1 or approvedAmiFiles on targets[0] or at the top level",
    ]);
  });

  it("expands target groups into one target per account and region, with shared settings", () => {
    const config = parseConfig(
      rawConfig({
        targets: [],
        targetGroups: [
          {
            accountIds: ["111111111111", "222222222222"],
            regions: ["eu-west-1", "us-east-1"],
            recorder: "existing",
          },
        ],
      }),
    );
    expect(config.targets.map((t) => `${t.accountId}/${t.region}/${t.recorder}/${t.source}`)).toEqual([
      "111111111111/eu-west-1/existing/targetGroups[0]",
      "111111111111/us-east-1/existing/targetGroups[0]",
      "222222222222/eu-west-1/existing/targetGroups[0]",
      "222222222222/us-east-1/existing/targetGroups[0]",
    ]);
  });
});

describe("loadConfig", () => {
  const folder = mkdtempSync(path.join(tmpdir(), "ami-guard-config-"));

  it("reads the shipped default configuration", () => {
    const config = loadConfig({}, path.resolve(__dirname, "..", ".."));
    expect(config.targets.map((t) => [t.accountId, t.region, t.recorder, t.mode])).toEqual([
      ["111122223333", "eu-central-1", "create", "event-driven"],
    ]);
  });

  it("reads the file AMI_GUARD_CONFIG names", () => {
    const file = path.join(folder, "audit.json");
    writeFileSync(file, JSON.stringify(rawConfig({ remediation: { mode: "audit" } })));
    expect(loadConfig({ AMI_GUARD_CONFIG: file }, folder).targets[0]?.mode).toBe("audit");
  });

  it("names the file when it is not JSON", () => {
    const file = path.join(folder, "broken.json");
    writeFileSync(file, "{ approvedAmiIds: ");
    expect(() => loadConfig({ AMI_GUARD_CONFIG: file }, folder)).toThrow(`${file}: 1 problem`);
    expect(() => loadConfig({ AMI_GUARD_CONFIG: file }, folder)).toThrow(/is not valid JSON/);
  });

  it("names the file when it does not exist", () => {
    expect(() => loadConfig({ AMI_GUARD_CONFIG: "missing.json" }, folder)).toThrow(
      /missing\.json: 1 problem.*\n.*cannot be read/,
    );
  });
});
