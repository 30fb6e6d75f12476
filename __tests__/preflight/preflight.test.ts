import { parseConfig } from "../../app/config/load";
import { MINIMUM_UNRESERVED_CONCURRENCY } from "../../app/preflight/aws-behaviour";
import { type CheckName, type Finding, recordsResourceType } from "../../app/preflight/checks";
import { runPreflightCommand } from "../../app/preflight/cli";
import { exitCodeFor, planStacks, preflight, sdkClients } from "../../app/preflight/preflight";
import { COMPLIANCE_HISTORY_RESOURCE_TYPE } from "../../lib/aws-facts";
import { RECORDED_RESOURCE_TYPES } from "../../lib/config-recording";
import {
  type AwsLoopback,
  configError,
  configJson,
  lambdaError,
  queryError,
  s3HeadError,
  snsSubscriptions,
} from "../../tools/loopback/aws-loopback";
import {
  ACCOUNT,
  type AccountState,
  RECORDS_EC2_CONTINUOUSLY,
  REGION,
  ruleShape,
  STACK,
  scriptAccount,
  THROTTLED,
  TOPIC_ARN,
} from "./account";
import { RESERVATION, rawPreflightConfig, useConfigFile, useLoopbackAccount } from "./support";

let aws: AwsLoopback;
useLoopbackAccount((started) => {
  aws = started;
});

async function run(
  state: AccountState,
  target: Record<string, unknown> = {},
  remediation?: Record<string, unknown>,
): Promise<Finding[]> {
  scriptAccount(aws, state);
  return preflight(planStacks(parseConfig(rawPreflightConfig(target, remediation))), sdkClients());
}

function row(findings: readonly Finding[], check: CheckName): Finding {
  const found = findings.filter((f) => f.check === check);
  if (found.length !== 1)
    throw new Error(`expected one ${check} row, found ${found.length}: ${JSON.stringify(findings)}`);
  return found[0] as Finding;
}

describe("a clean account, recorder create", () => {
  it("passes every check, reading only", async () => {
    // Given an account with no recorder, no rule and room for the reservation
    // When the preflight runs
    const findings = await run({});
    // Then every check passes and nothing writes
    expect(findings.map((f) => [f.check, f.verdict])).toEqual([
      ["account", "pass"],
      ["region", "pass"],
      ["recorder", "pass"],
      ["rule-name", "pass"],
      ["concurrency", "pass"],
      ["subscriptions", "pass"],
      ["state-bucket", "pass"],
      ["lock-table", "pass"],
    ]);
    expect(exitCodeFor(findings)).toBe(0);
    const operations = aws.requests.map((r) => r.operation);
    expect(operations.filter((op) => !/^(Describe|Get|List|Head)/.test(op))).toEqual([]);
  });
});

describe("account", () => {
  it("blocks credentials of another account and reads nothing further", async () => {
    const findings = await run({ callerAccount: "444455556666" });
    expect(findings).toEqual([expect.objectContaining({ check: "account", verdict: "block" })]);
    expect(findings[0]?.detail).toContain("444455556666");
    expect(aws.requests.map((r) => r.operation)).toEqual(["GetCallerIdentity"]);
  });

  it("assumes the target's role and reads with its credentials", async () => {
    const findings = await run({}, { assumeRoleName: "deploy/ami-guard" });
    expect(row(findings, "account").verdict).toBe("pass");
    const [assume] = aws.requestsFor("AssumeRole");
    expect(assume?.params?.RoleArn).toBe(`arn:aws:iam::${ACCOUNT}:role/deploy/ami-guard`);
    expect(aws.requestsFor("DescribeConfigurationRecorders")[0]?.headers.authorization).toContain(
      "Credential=ASIALOOPBACK/",
    );
  });
});

describe("region", () => {
  it("passes an opted-in region", async () => {
    expect(row(await run({ regions: { [REGION]: "opted-in" } }), "region").verdict).toBe("pass");
  });

  it("blocks a region the account has not opted in to, and stops there", async () => {
    const findings = await run({ regions: { [REGION]: "not-opted-in" } });
    expect(findings.map((f) => [f.check, f.verdict])).toEqual([
      ["account", "pass"],
      ["region", "block"],
    ]);
    expect(aws.requestsFor("DescribeRegions")[0]?.params).toMatchObject({
      AllRegions: "true",
      "RegionName.1": REGION,
    });
  });

  it("warns, naming ec2:DescribeRegions, when it is denied, and checks on", async () => {
    aws.enqueue("DescribeRegions", queryError("ec2", "UnauthorizedOperation", "not authorized", 403));
    const findings = await run({});
    expect(row(findings, "region")).toMatchObject({ verdict: "warn", detail: "ec2:DescribeRegions denied" });
    expect(row(findings, "recorder").verdict).toBe("pass");
  });
});

describe("recorder create", () => {
  it("blocks when the account already has a recorder and delivery channel", async () => {
    const findings = await run({ recorders: [RECORDS_EC2_CONTINUOUSLY], channels: ["default"] });
    const recorder = row(findings, "recorder");
    expect(recorder.verdict).toBe("block");
    expect(recorder.detail).toContain('recorder "default"');
    expect(recorder.detail).toContain('delivery channel "default"');
    expect(recorder.action).toContain('"existing"');
    expect(exitCodeFor(findings)).toBe(1);
  });

  it("blocks a lone delivery channel too", async () => {
    expect(row(await run({ channels: ["leftover"] }), "recorder").verdict).toBe("block");
  });

  it("passes ami-guard's own recorder on a redeploy", async () => {
    const own = { ...RECORDS_EC2_CONTINUOUSLY, name: "ami-guard" };
    const findings = await run({ recorders: [own], channels: ["ami-guard"] });
    expect(row(findings, "recorder")).toMatchObject({ verdict: "pass" });
  });

  it("passes the recorder a prefixed configuration created, on a redeploy, and blocks on ami-guard's default one", async () => {
    // Given a configuration with namePrefix "web", whose recorder and channel are named "web"
    const runPrefixed = (state: AccountState) => {
      scriptAccount(aws, state);
      return preflight(planStacks(parseConfig({ ...rawPreflightConfig(), namePrefix: "web" })), sdkClients());
    };
    // Then its own recorder is its own, and another team's (the default prefix) is a second recorder
    const own = { ...RECORDS_EC2_CONTINUOUSLY, name: "web" };
    expect(row(await runPrefixed({ recorders: [own], channels: ["web"] }), "recorder")).toMatchObject({
      verdict: "pass",
      detail: 'the recorder "web" is ami-guard\'s own, already deployed',
    });
    const other = { ...RECORDS_EC2_CONTINUOUSLY, name: "ami-guard" };
    const blocked = row(await runPrefixed({ recorders: [other], channels: ["ami-guard"] }), "recorder");
    expect(blocked.verdict).toBe("block");
    expect(blocked.action).toContain('"existing"');
  });

  it("ignores a service-linked recorder", async () => {
    const linked = { name: "AWSConfigurationRecorderForX", servicePrincipal: "x.amazonaws.com" };
    expect(row(await run({ recorders: [linked] }), "recorder").verdict).toBe("pass");
  });

  it("retries a throttled read and then decides", async () => {
    aws.enqueue("DescribeConfigurationRecorders", THROTTLED);
    const findings = await run({ recorders: [RECORDS_EC2_CONTINUOUSLY], channels: ["default"] });
    expect(row(findings, "recorder").verdict).toBe("block");
    expect(aws.requestsFor("DescribeConfigurationRecorders")).toHaveLength(2);
  });

  it("warns naming config:DescribeConfigurationRecorders when it is denied", async () => {
    aws.enqueue("DescribeConfigurationRecorders", configError("AccessDeniedException", "no"));
    const recorder = row(await run({}), "recorder");
    expect(recorder).toMatchObject({
      verdict: "warn",
      detail: "config:DescribeConfigurationRecorders denied",
    });
  });
});

describe("recorder existing", () => {
  const existing = { recorder: "existing" };

  it("passes a recording recorder that records EC2 instances continuously", async () => {
    const findings = await run({ recorders: [RECORDS_EC2_CONTINUOUSLY], channels: ["default"] }, existing);
    expect(row(findings, "recorder").verdict).toBe("pass");
    expect(row(findings, "recording-frequency").verdict).toBe("pass");
  });

  it("blocks when the account has no recorder", async () => {
    const recorder = row(await run({}, existing), "recorder");
    expect(recorder.verdict).toBe("block");
    expect(recorder.detail).toContain("no configuration recorder");
  });

  it("blocks a recorder whose resource types leave out EC2 instances", async () => {
    const volumesOnly = {
      name: "default",
      recordingGroup: { allSupported: false, resourceTypes: ["AWS::EC2::Volume"] },
    };
    const recorder = row(await run({ recorders: [volumesOnly] }, existing), "recorder");
    expect(recorder.verdict).toBe("block");
    expect(recorder.detail).toContain("does not record AWS::EC2::Instance");
  });

  it("blocks a recorder that is stopped", async () => {
    const findings = await run({ recorders: [RECORDS_EC2_CONTINUOUSLY], recording: [] }, existing);
    expect(row(findings, "recorder").detail).toContain("not recording");
    expect(row(findings, "recorder").verdict).toBe("block");
  });

  it("warns when EC2 instances are recorded daily", async () => {
    const daily = {
      ...RECORDS_EC2_CONTINUOUSLY,
      recordingMode: {
        recordingFrequency: "CONTINUOUS",
        recordingModeOverrides: [{ resourceTypes: ["AWS::EC2::Instance"], recordingFrequency: "DAILY" }],
      },
    };
    const findings = await run({ recorders: [daily] }, existing);
    expect(row(findings, "recording-frequency").verdict).toBe("warn");
    expect(exitCodeFor(findings)).toBe(0);
  });

  it("warns, without blocking, when the recorder keeps no compliance history, naming the type to add", async () => {
    // Given a recorder that records EC2 instances and not AWS::Config::ResourceCompliance
    const findings = await run({ recorders: [RECORDS_EC2_CONTINUOUSLY] }, existing);
    // Then the rule would work: the deploy may go ahead, told what it loses and how to keep it
    const history = row(findings, "compliance-history");
    expect(history.verdict).toBe("warn");
    expect(history.detail).toContain(`does not record ${COMPLIANCE_HISTORY_RESOURCE_TYPE.value}`);
    expect(history.detail).toContain(COMPLIANCE_HISTORY_RESOURCE_TYPE.source);
    expect(history.action).toContain(`add ${COMPLIANCE_HISTORY_RESOURCE_TYPE.value}`);
    expect(history.action).toContain("billed");
    expect(exitCodeFor(findings)).toBe(0);
  });

  it.each([
    [
      "lists it",
      { allSupported: false, resourceTypes: ["AWS::EC2::Instance", "AWS::Config::ResourceCompliance"] },
    ],
    ["records every supported type", { allSupported: true }],
  ])("passes compliance history when the recorder %s", async (_case, recordingGroup) => {
    const recorder = { ...RECORDS_EC2_CONTINUOUSLY, recordingGroup };
    const history = row(await run({ recorders: [recorder] }, existing), "compliance-history");
    expect(history).toMatchObject({ verdict: "pass", action: "" });
  });

  it("does not look for compliance history on a recorder ami-guard creates: it records it itself", async () => {
    const findings = await run({});
    expect(findings.filter((finding) => finding.check === "compliance-history")).toEqual([]);
    expect(RECORDED_RESOURCE_TYPES).toContain(COMPLIANCE_HISTORY_RESOURCE_TYPE.value);
  });
});

describe("which recording groups record EC2 instances (RecordingGroup, RecordingStrategy)", () => {
  it.each([
    ["allSupported", { allSupported: true }, true],
    [
      "ALL_SUPPORTED_RESOURCE_TYPES",
      { recordingStrategy: { useOnly: "ALL_SUPPORTED_RESOURCE_TYPES" } },
      true,
    ],
    ["listed", { resourceTypes: ["AWS::EC2::Instance"] }, true],
    ["not listed", { allSupported: false, resourceTypes: ["AWS::S3::Bucket"] }, false],
    [
      "excluded",
      {
        recordingStrategy: { useOnly: "EXCLUSION_BY_RESOURCE_TYPES" },
        exclusionByResourceTypes: { resourceTypes: ["AWS::EC2::Instance"] },
      },
      false,
    ],
    [
      "excluding others",
      {
        recordingStrategy: { useOnly: "EXCLUSION_BY_RESOURCE_TYPES" },
        exclusionByResourceTypes: { resourceTypes: ["AWS::S3::Bucket"] },
      },
      true,
    ],
    ["no group at all (the documented default)", undefined, true],
  ])("%s → %s", (_name, recordingGroup, expected) => {
    expect(recordsResourceType({ name: "r", recordingGroup: recordingGroup as never })).toBe(expected);
  });
});

describe("rule name", () => {
  it("passes this stack's own rule, found by its stack tag", async () => {
    const findings = await run({ rule: { tags: { "ami-guard:stack": STACK, team: "platform" } } });
    expect(row(findings, "rule-name").verdict).toBe("pass");
    expect(aws.requestsFor("ListTagsForResource")[0]?.json).toMatchObject({
      ResourceArn: ruleShape().ConfigRuleArn,
    });
  });

  it("blocks a rule of that name that ami-guard did not create", async () => {
    const rule = row(await run({ rule: { tags: { owner: "security" } } }), "rule-name");
    expect(rule.verdict).toBe("block");
    expect(rule.action).toContain("ruleName");
  });

  it("follows NextToken on DescribeConfigRules and ListTagsForResource", async () => {
    aws.enqueue("DescribeConfigRules", configJson({ ConfigRules: [], NextToken: "rules-2" }));
    aws.enqueue("ListTagsForResource", configJson({ Tags: [{ Key: "a", Value: "b" }], NextToken: "tags-2" }));
    const findings = await run({ rule: { tags: { "ami-guard:stack": STACK } } });
    expect(row(findings, "rule-name").verdict).toBe("pass");
    expect(
      aws.requestsFor("DescribeConfigRules").map((r) => (r.json as { NextToken?: string }).NextToken),
    ).toEqual([undefined, "rules-2"]);
    expect(aws.requestsFor("ListTagsForResource")[1]?.json).toMatchObject({ NextToken: "tags-2" });
  });

  it("warns when the rule exists and its tags cannot be read", async () => {
    aws.enqueue("ListTagsForResource", configError("AccessDeniedException", "no"));
    const rule = row(await run({ rule: { tags: {} } }), "rule-name");
    expect(rule.verdict).toBe("warn");
    expect(rule.detail).toContain("config:ListTagsForResource denied");
  });

  it("warns naming config:DescribeConfigRules when it is denied", async () => {
    aws.enqueue("DescribeConfigRules", configError("AccessDeniedException", "no"));
    expect(row(await run({}), "rule-name")).toMatchObject({
      verdict: "warn",
      detail: "config:DescribeConfigRules denied",
    });
  });
});

describe("reserved concurrency", () => {
  const reservation = RESERVATION;

  it(`passes when ${MINIMUM_UNRESERVED_CONCURRENCY} stay unreserved after the reservation`, async () => {
    const unreserved = MINIMUM_UNRESERVED_CONCURRENCY + reservation;
    expect(row(await run({ lambda: { limit: 1000, unreserved } }), "concurrency").verdict).toBe("pass");
  });

  it("blocks when the reservation would leave fewer than the documented minimum", async () => {
    const unreserved = MINIMUM_UNRESERVED_CONCURRENCY + reservation - 1;
    const findings = await run({ lambda: { limit: 1000, unreserved } });
    expect(row(findings, "concurrency").verdict).toBe("block");
    expect(exitCodeFor(findings)).toBe(1);
  });

  it("counts the deployed function's own reservation back on a redeploy", async () => {
    const unreserved = MINIMUM_UNRESERVED_CONCURRENCY;
    const findings = await run({ lambda: { limit: 1000, unreserved, functionReserved: reservation } });
    expect(row(findings, "concurrency").verdict).toBe("pass");
  });

  it("warns naming lambda:GetAccountSettings when it is denied", async () => {
    aws.enqueue("GetAccountSettings", lambdaError("AccessDeniedException", "no", 403));
    expect(row(await run({}), "concurrency")).toMatchObject({
      verdict: "warn",
      detail: "lambda:GetAccountSettings denied",
    });
  });

  it("is not checked for a mode without the function", async () => {
    const findings = await run({}, { mode: "automatic" }, {});
    expect(findings.map((f) => f.check)).not.toContain("concurrency");
  });

  it("is not checked when no reservation is configured, the default", async () => {
    const findings = await run({}, {}, {});
    expect(findings.map((f) => f.check)).not.toContain("concurrency");
  });
});

describe("e-mail subscriptions", () => {
  it("warns about pending confirmations across pages", async () => {
    aws.enqueue(
      "ListSubscriptionsByTopic",
      snsSubscriptions(TOPIC_ARN, [{ endpoint: "a@example.com", pending: true }], "page-2"),
    );
    const findings = await run({
      subscriptions: [{ endpoint: "b@example.com" }, { endpoint: "c@example.com", pending: true }],
    });
    const subscriptions = row(findings, "subscriptions");
    expect(subscriptions.verdict).toBe("warn");
    expect(subscriptions.detail).toContain("a@example.com, c@example.com");
    expect(aws.requestsFor("ListSubscriptionsByTopic")[1]?.params?.NextToken).toBe("page-2");
    expect(exitCodeFor(findings)).toBe(0);
  });

  it("passes when every subscription is confirmed", async () => {
    expect(row(await run({ subscriptions: [{ endpoint: "b@example.com" }] }), "subscriptions").verdict).toBe(
      "pass",
    );
  });

  it("warns naming sns:ListSubscriptionsByTopic when it is denied", async () => {
    aws.enqueue("ListSubscriptionsByTopic", queryError("sns", "AuthorizationError", "no", 403));
    expect(row(await run({}), "subscriptions").detail).toBe("sns:ListSubscriptionsByTopic denied");
  });
});

describe("state backend", () => {
  it("addresses the bucket by path when an endpoint is set", async () => {
    await run({});
    expect(aws.requestsFor("HeadBucket")[0]?.path).toMatch(/^\/ami-guard-state\/?$/);
  });

  it("blocks a missing state bucket", async () => {
    expect(row(await run({ bucket: "missing" }), "state-bucket").verdict).toBe("block");
  });

  it("warns naming s3:ListBucket when HeadBucket is refused", async () => {
    aws.enqueue("HeadBucket", s3HeadError(403));
    expect(row(await run({}), "state-bucket")).toMatchObject({
      verdict: "warn",
      detail: "s3:ListBucket denied",
    });
  });

  it("blocks a missing lock table and passes an active one", async () => {
    expect(row(await run({ table: undefined }), "lock-table").verdict).toBe("block");
    aws.clear();
    expect(row(await run({ table: "ACTIVE" }), "lock-table").verdict).toBe("pass");
  });
});

describe("npm run preflight", () => {
  const configFile = useConfigFile();

  /** The command as scripts/preflight.ts runs it, in this process: its exit code and what it printed. */
  async function preflightCommand(config: unknown, args: readonly string[] = []) {
    let stdout = "";
    let stderr = "";
    const code = await runPreflightCommand(
      args,
      { ...process.env, AMI_GUARD_CONFIG: configFile(config) },
      { out: (text) => (stdout += text), err: (text) => (stderr += text) },
    );
    return { code, stdout, stderr };
  }

  it("exits 0 when nothing blocks", async () => {
    scriptAccount(aws, {});
    const result = await preflightCommand(rawPreflightConfig(), ["--json"]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ blocked: false });
  });

  it("exits 2 for a stack the configuration does not deploy, or a bad configuration", async () => {
    const unknown = await preflightCommand(rawPreflightConfig(), ["ami-guard-999999999999-eu-west-1"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown stack ami-guard-999999999999-eu-west-1");
    const bad = await preflightCommand({ approvedAmiIds: [] });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("approvedAmiIds");
    const flag = await preflightCommand(rawPreflightConfig(), ["--yes"]);
    expect(flag).toMatchObject({ code: 2, stderr: expect.stringContaining("unknown option --yes") });
    expect(aws.requests).toEqual([]);
  });
});
