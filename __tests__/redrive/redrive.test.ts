import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { LambdaClient } from "@aws-sdk/client-lambda";
import { SQSClient } from "@aws-sdk/client-sqs";
import { originalEvent, parseArguments, redrive } from "../../scripts/redrive";
import { destinationRecord, Loopback } from "./loopback";

const FUNCTION = "ami-guard-remediate";
const QUEUE_URL = "https://sqs.eu-central-1.amazonaws.com/111122223333/ami-guard-function-failures";
const FAKE_AWS = {
  AWS_REGION: "eu-central-1",
  AWS_ACCESS_KEY_ID: "AKIAIOSFODNN7EXAMPLE",
  AWS_SECRET_ACCESS_KEY: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
};
const event = (instance: string) => ({
  source: "aws.config",
  "detail-type": "Config Rules Compliance Change",
  detail: { resourceId: instance, newEvaluationResult: { complianceType: "NON_COMPLIANT" } },
});

let loopback: Loopback;
let endpoint: string;
beforeEach(async () => {
  loopback = new Loopback();
  endpoint = await loopback.start();
});
afterEach(() => loopback.stop());

const clients = () => {
  const config = {
    endpoint,
    region: FAKE_AWS.AWS_REGION,
    credentials: { accessKeyId: FAKE_AWS.AWS_ACCESS_KEY_ID, secretAccessKey: FAKE_AWS.AWS_SECRET_ACCESS_KEY },
  };
  return [new SQSClient(config), new LambdaClient(config)] as const;
};

describe("redrive", () => {
  it("invokes the function with each original event and deletes only what succeeded", async () => {
    // Given two dead-lettered events, one of which still fails
    loopback.enqueue(destinationRecord(event("i-0aaaaaaaaaaaaaaa1")));
    loopback.enqueue(destinationRecord(event("i-0bbbbbbbbbbbbbbb2")));
    loopback.failsOn = (payload) => JSON.stringify(payload).includes("i-0bbbbbbbbbbbbbbb2");
    // When they are redriven
    const report = await redrive({ queueUrl: QUEUE_URL, functionName: FUNCTION }, ...clients());
    // Then the function received the unwrapped events, synchronously
    expect(loopback.invocations).toEqual([
      { functionName: FUNCTION, invocationType: "RequestResponse", payload: event("i-0aaaaaaaaaaaaaaa1") },
      { functionName: FUNCTION, invocationType: "RequestResponse", payload: event("i-0bbbbbbbbbbbbbbb2") },
    ]);
    // And only the success left the queue
    expect(report.redriven).toBe(1);
    expect(report.kept).toEqual([
      { messageId: "message-2", reason: expect.stringContaining("failed again (Unhandled)") },
    ]);
    expect(loopback.deletedIds).toEqual(["message-1"]);
    expect(loopback.remaining()).toEqual([destinationRecord(event("i-0bbbbbbbbbbbbbbb2"))]);
    expect(loopback.unknownRequests).toEqual([]);
  });

  it("leaves messages that are not this function's destination records, without invoking anything", async () => {
    loopback.enqueue("not json");
    loopback.enqueue(JSON.stringify({ detail: {} }));
    loopback.enqueue(destinationRecord(event("i-0ccccccccccccccc3"), "someone-elses-function"));
    const report = await redrive({ queueUrl: QUEUE_URL, functionName: FUNCTION }, ...clients());
    expect(report.redriven).toBe(0);
    expect(report.kept.map((k) => k.reason)).toEqual([
      "the body is not JSON",
      "not a Lambda destination record (no requestPayload)",
      expect.stringContaining("not ami-guard-remediate"),
    ]);
    expect(loopback.invocations).toEqual([]);
    expect(loopback.deletedIds).toEqual([]);
  });

  it("in a dry run invokes and deletes nothing, and stops once every message was seen", async () => {
    loopback.enqueue(destinationRecord(event("i-0aaaaaaaaaaaaaaa1")));
    const report = await redrive({ queueUrl: QUEUE_URL, functionName: FUNCTION, dryRun: true }, ...clients());
    expect(report).toEqual({ redriven: 1, kept: [] });
    expect(loopback.invocations).toEqual([]);
    expect(loopback.remaining()).toHaveLength(1);
  });

  it("stops at --max-messages", async () => {
    for (const n of [1, 2, 3]) loopback.enqueue(destinationRecord(event(`i-0ddddddddddddddd${n}`)));
    const report = await redrive(
      { queueUrl: QUEUE_URL, functionName: FUNCTION, maxMessages: 2 },
      ...clients(),
    );
    expect(report.redriven).toBe(2);
    expect(loopback.remaining()).toHaveLength(1);
  });

  it("runs as `npm run redrive` from a stack's terraform outputs, through AWS_ENDPOINT_URL", async () => {
    // Given a queue with one record and the stack's `terraform output -json`
    loopback.enqueue(destinationRecord(event("i-0aaaaaaaaaaaaaaa1")));
    const outputs = path.join(mkdtempSync(path.join(tmpdir(), "ami-guard-redrive-")), "outputs.json");
    writeFileSync(
      outputs,
      JSON.stringify({
        function_name: { value: FUNCTION, type: "string", sensitive: false },
        function_failure_queue_url: { value: QUEUE_URL, type: "string", sensitive: false },
      }),
    );
    // When the command runs with only the endpoint override pointing at the loopback
    // (asynchronously: the loopback answers from this same process)
    const result = await new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [
          require.resolve("tsx/cli"),
          path.resolve(__dirname, "../../scripts/redrive.ts"),
          "--outputs",
          outputs,
        ],
        {
          env: { ...process.env, ...FAKE_AWS, AWS_ENDPOINT_URL: endpoint },
          encoding: "utf8",
          timeout: 60_000,
        },
        (error, stdout, stderr) =>
          resolve({ status: error ? (error.code as number | null) : 0, stdout, stderr }),
      );
    });
    // Then it redrove the message and said so
    // (stderr may carry the SDK's Node.js support notice; nothing else)
    expect({
      status: result.status,
      stderr: result.stderr.replace(/\(node:\d+\) Warning: NodeVersionSupportWarning[\s\S]*?created\)\n/, ""),
    }).toEqual({ status: 0, stderr: "" });
    expect(result.stdout).toContain("redriven: 1");
    expect(loopback.remaining()).toEqual([]);
  });
});

describe("redrive arguments and records", () => {
  it("needs a queue and a function, from flags or outputs", () => {
    expect(() => parseArguments(["--queue-url", QUEUE_URL])).toThrow(/queue URL and the function name/);
    expect(() => parseArguments(["--bogus"])).toThrow(/unexpected argument "--bogus"/);
    expect(() =>
      parseArguments(["--queue-url", QUEUE_URL, "--function-name", FUNCTION, "--max-messages", "0"]),
    ).toThrow(/--max-messages/);
    expect(parseArguments(["--queue-url", QUEUE_URL, "--function-name", FUNCTION, "--dry-run"])).toEqual({
      queueUrl: QUEUE_URL,
      functionName: FUNCTION,
      dryRun: true,
    });
  });

  it("unwraps requestPayload from a destination record", () => {
    expect(originalEvent(destinationRecord(event("i-1")), FUNCTION)).toEqual({ event: event("i-1") });
  });
});
