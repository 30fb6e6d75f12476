import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";
import type { NonCompliantInstance } from "../../app/report/collect";
import type { AwsLoopback } from "../../tools/loopback/aws-loopback";
import { ARGS, fakeAws, useLoopbackAggregator } from "./support";

const REPO_ROOT = path.resolve(__dirname, "..", "..");
const TSX = path.join(REPO_ROOT, "node_modules", ".bin", "tsx");

describe("npm run report against the loopback aggregator", () => {
  let aws: AwsLoopback;
  useLoopbackAggregator((started) => {
    aws = started;
  });

  it("lists every NON_COMPLIANT instance of both accounts and regions, run as the command itself", async () => {
    // Given the command as npm runs it, pointed at the loopback only through AWS_ENDPOINT_URL (asynchronously:
    // the loopback answers from this process)
    expect(existsSync(TSX)).toBe(true);
    const result = await promisify(execFile)(TSX, ["scripts/report.ts", "--json", ...ARGS], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...fakeAws(aws.url) },
      encoding: "utf8",
      timeout: 60_000,
    });
    // Then it exits 0 (execFile rejects otherwise) with one row per instance, sorted, with AMI, since and
    // what became of it
    expect(result.stderr).not.toContain("report failed");
    const rows = JSON.parse(result.stdout) as NonCompliantInstance[];
    expect(rows).toEqual([
      {
        accountId: "111111111111",
        region: "eu-central-1",
        instanceId: "i-0aaaaaaaaaaaaaaa1",
        imageId: "ami-00000000000000001",
        since: "2026-01-05T08:48:05.000Z",
        remediationState: "running, not stopped",
      },
      {
        accountId: "111111111111",
        region: "eu-central-1",
        instanceId: "i-0aaaaaaaaaaaaaaa2",
        imageId: "ami-0123456789abcdef0",
        since: "2026-01-06T09:00:00.000Z",
        remediationState: "stopped",
      },
      {
        accountId: "111111111111",
        region: "eu-central-1",
        instanceId: "i-0aaaaaaaaaaaaaaa3",
        imageId: "ami-0123456789abcdef0",
        since: "2026-01-07T10:00:00.000Z",
        remediationState: "running, not stopped",
      },
      {
        accountId: "111111111111",
        region: "us-east-1",
        instanceId: "i-0bbbbbbbbbbbbbbb1",
        since: "2026-01-08T11:00:00.000Z",
        remediationState: "no configuration item",
      },
      {
        accountId: "222222222222",
        region: "eu-central-1",
        instanceId: "i-0ccccccccccccccc1",
        imageId: "ami-0123456789abcdef0",
        since: "2026-01-09T12:00:00.000Z",
        remediationState: "running, not stopped",
      },
      {
        accountId: "222222222222",
        region: "us-east-1",
        instanceId: "i-0ddddddddddddddd1",
        imageId: "ami-0123456789abcdef0",
        since: "2026-01-10T13:00:00.000Z",
        remediationState: "pending",
      },
    ]);
    // And it followed NextToken: four sources over two pages, three instances in one source over two
    expect(
      aws
        .requestsFor("DescribeAggregateComplianceByConfigRules")
        .map((r) => (r.json as { NextToken?: string }).NextToken),
    ).toEqual([undefined, "2"]);
    const detailPages = aws
      .requestsFor("GetAggregateComplianceDetailsByConfigRule")
      .map((r) => r.json as { AccountId: string; AwsRegion: string; NextToken?: string })
      .filter((r) => r.AccountId === "111111111111" && r.AwsRegion === "eu-central-1");
    expect(detailPages.map((r) => r.NextToken)).toEqual([undefined, "2"]);
    expect(aws.requests.every((r) => r.service === "config")).toBe(true);
  }, 60_000);
});
