import { AGGREGATOR_NAME } from "../../lib/aggregator";
import type { AwsLoopback } from "../../tools/loopback/aws-loopback";
import { type AggregatedInstance, serveAggregator } from "../../tools/loopback/config-aggregator";
import { useAwsLoopback } from "../support/loopback";

export const RULE = "approved-amis-by-id";
export const AGGREGATOR_REGION = "eu-central-1";
export const ARGS = ["--region", AGGREGATOR_REGION, "--rule", RULE];

/** Two accounts in two regions; one instance stopped, one no longer recorded. */
export const INSTANCES: readonly AggregatedInstance[] = [
  {
    accountId: "111111111111",
    region: "eu-central-1",
    instanceId: "i-0aaaaaaaaaaaaaaa1",
    recordedAt: new Date("2026-01-05T08:48:05Z"),
    imageId: "ami-00000000000000001",
  },
  {
    accountId: "111111111111",
    region: "eu-central-1",
    instanceId: "i-0aaaaaaaaaaaaaaa2",
    recordedAt: new Date("2026-01-06T09:00:00Z"),
    state: "stopped",
  },
  {
    accountId: "111111111111",
    region: "eu-central-1",
    instanceId: "i-0aaaaaaaaaaaaaaa3",
    recordedAt: new Date("2026-01-07T10:00:00Z"),
  },
  {
    accountId: "111111111111",
    region: "us-east-1",
    instanceId: "i-0bbbbbbbbbbbbbbb1",
    recordedAt: new Date("2026-01-08T11:00:00Z"),
    recorded: false,
  },
  {
    accountId: "222222222222",
    region: "eu-central-1",
    instanceId: "i-0ccccccccccccccc1",
    recordedAt: new Date("2026-01-09T12:00:00Z"),
  },
  {
    accountId: "222222222222",
    region: "us-east-1",
    instanceId: "i-0ddddddddddddddd1",
    recordedAt: new Date("2026-01-10T13:00:00Z"),
    state: "pending",
  },
];

/** The environment that points the AWS SDK at the loopback at `url`, and at nothing else. */
export const fakeAws = (url: string) => ({
  AWS_ENDPOINT_URL: url,
  AWS_ACCESS_KEY_ID: "loopback-fake-access-key",
  AWS_SECRET_ACCESS_KEY: "loopback-fake-secret-key",
  AWS_REGION: AGGREGATOR_REGION,
});

/**
 * The loopback aggregator holding INSTANCES for the block's tests, the AWS SDK pointed at it by fakeAws (see
 * useAwsLoopback).
 */
export function useLoopbackAggregator(started: (aws: AwsLoopback) => void): void {
  useAwsLoopback(fakeAws, (aws) => {
    // Two results a page, so every listing crosses a page boundary
    serveAggregator(aws, {
      aggregatorName: AGGREGATOR_NAME,
      ruleName: RULE,
      instances: INSTANCES,
      pageSize: 2,
    });
    started(aws);
  });
}
