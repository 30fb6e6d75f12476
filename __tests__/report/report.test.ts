import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { runReportCommand } from "../../app/report/cli";
import { BATCH_GET_MAX_IDENTIFIERS } from "../../app/report/collect";
import { reportReaderPolicy } from "../../app/report/reader-policy";
import { AGGREGATOR_NAME } from "../../lib/aggregator";
import { AwsLoopback, configError, configJson } from "../../tools/loopback/aws-loopback";
import { type AggregatedInstance, serveAggregator } from "../../tools/loopback/config-aggregator";

import { ARGS, INSTANCES, RULE, useLoopbackAggregator } from "./support";

const REPO_ROOT = path.resolve(__dirname, "..", "..");

describe("npm run report against the loopback aggregator", () => {
  let aws: AwsLoopback;
  useLoopbackAggregator((started) => {
    aws = started;
  });

  async function runInProcess(argv: readonly string[]) {
    let out = "";
    let err = "";
    const code = await runReportCommand(argv, process.env, {
      out: (text) => {
        out += text;
      },
      err: (text) => {
        err += text;
      },
    });
    return { code, out, err };
  }

  it("rides out throttling with the SDK's retries", async () => {
    // Given Config throttles the first call of each listing
    aws.enqueue(
      "DescribeAggregateComplianceByConfigRules",
      configError("ThrottlingException", "Rate exceeded"),
    );
    aws.enqueue(
      "GetAggregateComplianceDetailsByConfigRule",
      configError("ThrottlingException", "Rate exceeded"),
    );
    // When the report runs
    const { code, out } = await runInProcess(["--json", ...ARGS]);
    // Then it still lists all six, having sent the throttled calls again
    expect(code).toBe(0);
    expect(JSON.parse(out)).toHaveLength(INSTANCES.length);
    expect(aws.requestsFor("DescribeAggregateComplianceByConfigRules")).toHaveLength(3);
  }, 30_000);

  it.each([
    ["DescribeAggregateComplianceByConfigRules"],
    ["GetAggregateComplianceDetailsByConfigRule"],
    ["BatchGetAggregateResourceConfig"],
  ])("names config:%s when it is denied, and exits 1", async (operation) => {
    aws.enqueue(
      operation,
      configError(
        "AccessDeniedException",
        `User: arn:aws:iam::999988887777:user/reader is not authorized to perform: config:${operation}`,
      ),
    );
    const { code, out, err } = await runInProcess(ARGS);
    expect(code).toBe(1);
    expect(out).toBe("");
    expect(err).toContain(`missing permission config:${operation}`);
  });

  it("says which aggregator it could not find", async () => {
    const { code, err } = await runInProcess([...ARGS, "--aggregator", "not-there"]);
    expect(code).toBe(1);
    expect(err).toMatch(/NoSuchConfigurationAggregatorException.*\n\(aggregator not-there in eu-central-1/);
  });

  it("asks again for identifiers Config left unprocessed, and fails loudly when they stay so", async () => {
    // Given one round where Config processes nothing
    const unprocessed = INSTANCES.slice(0, 1).map((i) => ({
      SourceAccountId: i.accountId,
      SourceRegion: i.region,
      ResourceId: i.instanceId,
      ResourceType: "AWS::EC2::Instance",
    }));
    aws.enqueue(
      "BatchGetAggregateResourceConfig",
      configJson({ BaseConfigurationItems: [], UnprocessedResourceIdentifiers: unprocessed }),
    );
    expect((await runInProcess(["--json", ...ARGS])).code).toBe(0);
    expect(aws.requestsFor("BatchGetAggregateResourceConfig")).toHaveLength(2);
    // And given three rounds of it
    aws.clear();
    const stuck = configJson({ BaseConfigurationItems: [], UnprocessedResourceIdentifiers: unprocessed });
    aws.enqueue("BatchGetAggregateResourceConfig", stuck, stuck, stuck);
    const { code, err } = await runInProcess(["--json", ...ARGS]);
    expect(code).toBe(1);
    expect(err).toContain("still unprocessed after 3 requests: i-0aaaaaaaaaaaaaaa1");
  });

  it("asks for configuration items at most 100 at a time", async () => {
    const many: AggregatedInstance[] = Array.from({ length: 150 }, (_, index) => ({
      accountId: "333333333333",
      region: "eu-west-1",
      instanceId: `i-${String(index).padStart(17, "0")}`,
      recordedAt: new Date("2026-01-05T08:48:05Z"),
    }));
    const big = await AwsLoopback.start();
    try {
      serveAggregator(big, {
        aggregatorName: AGGREGATOR_NAME,
        ruleName: RULE,
        instances: many,
        pageSize: 100,
      });
      process.env.AWS_ENDPOINT_URL = big.url;
      const { code, out } = await runInProcess(["--json", ...ARGS]);
      expect(code).toBe(0);
      expect(JSON.parse(out)).toHaveLength(150);
      expect(
        big
          .requestsFor("BatchGetAggregateResourceConfig")
          .map((r) => (r.json as { ResourceIdentifiers: unknown[] }).ResourceIdentifiers.length),
      ).toEqual([BATCH_GET_MAX_IDENTIFIERS, 50]);
    } finally {
      process.env.AWS_ENDPOINT_URL = aws.url;
      await big.stop();
    }
  });

  it("writes CSV with a header, and a table by default", async () => {
    const csv = await runInProcess(["--csv", ...ARGS]);
    const csvLines = csv.out.trimEnd().split("\n");
    expect(csvLines).toHaveLength(INSTANCES.length + 1);
    expect(csvLines[0]).toBe("account,region,instance,ami,since,remediation state");
    // A value holding a comma is quoted, as RFC 4180 has it
    expect(csvLines[1]).toBe(
      '111111111111,eu-central-1,i-0aaaaaaaaaaaaaaa1,ami-00000000000000001,2026-01-05T08:48:05.000Z,"running, not stopped"',
    );
    expect(csvLines[4]).toBe(
      "111111111111,us-east-1,i-0bbbbbbbbbbbbbbb1,,2026-01-08T11:00:00.000Z,no configuration item",
    );

    const table = await runInProcess(ARGS);
    const lines = table.out.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^account\s+region\s+instance\s+ami\s+since\s+remediation state$/);
    expect(lines).toHaveLength(INSTANCES.length + 2);
    expect(lines.at(-1)).toBe(`${INSTANCES.length} NON_COMPLIANT instance(s)`);
  });

  it("refuses a bad command line with the usage and exit code 2, calling nothing", async () => {
    const both = await runInProcess(["--json", "--csv", ...ARGS]);
    expect([both.code, both.err]).toEqual([2, expect.stringContaining("choose one of --json and --csv")]);
    const unknown = await runInProcess(["--yaml", ...ARGS]);
    expect([unknown.code, unknown.err]).toEqual([2, expect.stringContaining("usage: npm run report")]);
    expect(aws.requests).toEqual([]);
  });

  it("takes the aggregator's region from the configuration, and says so when it has none", async () => {
    // Given the shipped configuration, which deploys no aggregator, and no --region
    const env = { ...process.env, AMI_GUARD_CONFIG: path.join(REPO_ROOT, "ami-guard.config.json") };
    let err = "";
    const code = await runReportCommand(["--json"], env, {
      out: () => undefined,
      err: (text) => {
        err += text;
      },
    });
    expect(code).toBe(2);
    expect(err).toContain("the configuration names no aggregator (aggregator.region); pass --region");
    expect(aws.requests).toEqual([]);
  });

  it("prints the least policy the report needs, for the configured aggregator, with --reader-policy", async () => {
    // Given a configuration with an aggregator
    const folder = mkdtempSync(path.join(tmpdir(), "ami-guard-report-policy-"));
    const file = path.join(folder, "config.json");
    writeFileSync(
      file,
      JSON.stringify({
        approvedAmiIds: ["ami-0abcdef1234567890"],
        targets: [{ accountId: "111122223333", region: "eu-central-1" }],
        aggregator: { accountId: "444455556666", region: "eu-west-1" },
      }),
    );
    let out = "";
    // When the report is asked for its policy
    const code = await runReportCommand(
      ["--reader-policy"],
      { ...process.env, AMI_GUARD_CONFIG: file },
      {
        out: (text) => {
          out += text;
        },
        err: () => undefined,
      },
    );
    rmSync(folder, { recursive: true, force: true });
    // Then it prints the reader policy for that aggregator and calls nothing
    expect(code).toBe(0);
    expect(JSON.parse(out)).toEqual(reportReaderPolicy({ accountId: "444455556666", region: "eu-west-1" }));
    expect(aws.requests).toEqual([]);
  });
});
