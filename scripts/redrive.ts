/**
 * Sends events the remediation function failed on back into it, once the cause is fixed:
 *
 *   npm run redrive -- --queue-url <url> --function-name <name> [--max-messages N] [--dry-run]
 *   npm run redrive -- --outputs outputs.json     # `terraform output -json` of one stack
 *
 * Reads Lambda's on_failure destination records from the failure queue, invokes the function
 * synchronously with each record's original event (`requestPayload`), and deletes a message only after
 * the function returned without error. A message that fails again stays in the queue and reappears when
 * its visibility timeout ends. The function is idempotent, so a duplicate redrive is harmless.
 */
import { readFileSync } from "node:fs";
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { DeleteMessageCommand, type Message, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";

/** How long a received message stays hidden while it is redriven; a failed one reappears after it. */
const VISIBILITY_TIMEOUT_SECONDS = 120;
const RECEIVE_BATCH = 10;

interface RedriveOptions {
  readonly queueUrl: string;
  readonly functionName: string;
  /** @default - until the queue is empty */
  readonly maxMessages?: number;
  /** Count what would be redriven; invoke and delete nothing. @default false */
  readonly dryRun?: boolean;
}

interface RedriveReport {
  readonly redriven: number;
  /** Messages left in the queue, each with the reason. */
  readonly kept: readonly { readonly messageId: string; readonly reason: string }[];
}

/** The parts of a Lambda destination record the redrive reads. */
interface DestinationRecord {
  readonly requestContext?: { readonly functionArn?: string; readonly condition?: string };
  readonly requestPayload?: unknown;
}

/** The original event, or why the message cannot be redriven. */
export function originalEvent(
  body: string | undefined,
  functionName: string,
): { event: unknown } | { problem: string } {
  let record: DestinationRecord;
  try {
    record = JSON.parse(body ?? "") as DestinationRecord;
  } catch {
    return { problem: "the body is not JSON" };
  }
  if (typeof record !== "object" || record === null || !("requestPayload" in record)) {
    return { problem: "not a Lambda destination record (no requestPayload)" };
  }
  const arn = record.requestContext?.functionArn;
  // `arn:aws:lambda:region:account:function:name[:qualifier]`: a record of another function stays put.
  if (arn && arn.split(":")[6] !== functionName) {
    return { problem: `the record is from ${arn}, not ${functionName}` };
  }
  return { event: record.requestPayload };
}

/**
 * The SQS client sends to the queue URL's host unless told otherwise, which would bypass an endpoint
 * override (a loopback or a VPC endpoint) and reach AWS; with an override in the environment, it is used.
 */
function sqsClientFor(env: NodeJS.ProcessEnv = process.env): SQSClient {
  const overridden = Boolean(env.AWS_ENDPOINT_URL_SQS || env.AWS_ENDPOINT_URL);
  return new SQSClient({ useQueueUrlAsEndpoint: !overridden });
}

export async function redrive(
  options: RedriveOptions,
  sqs = sqsClientFor(),
  lambda = new LambdaClient({}),
): Promise<RedriveReport> {
  const kept: { messageId: string; reason: string }[] = [];
  const seen = new Set<string>();
  let redriven = 0;
  const limit = options.maxMessages ?? Number.POSITIVE_INFINITY;

  while (redriven + kept.length < limit) {
    const received = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: options.queueUrl,
        MaxNumberOfMessages: Math.min(RECEIVE_BATCH, limit - redriven - kept.length),
        VisibilityTimeout: options.dryRun ? 0 : VISIBILITY_TIMEOUT_SECONDS,
        WaitTimeSeconds: 1,
      }),
    );
    const fresh = (received.Messages ?? []).filter((m) => m.MessageId && !seen.has(m.MessageId));
    if (fresh.length === 0) break;
    for (const message of fresh) {
      seen.add(message.MessageId as string);
      const outcome = await redriveOne(message, options, sqs, lambda);
      if (outcome === "redriven") redriven += 1;
      else kept.push({ messageId: message.MessageId as string, reason: outcome.kept });
    }
  }
  return { redriven, kept };
}

async function redriveOne(
  message: Message,
  options: RedriveOptions,
  sqs: SQSClient,
  lambda: LambdaClient,
): Promise<"redriven" | { kept: string }> {
  const parsed = originalEvent(message.Body, options.functionName);
  if ("problem" in parsed) return { kept: parsed.problem };
  if (options.dryRun) return "redriven";
  const response = await lambda.send(
    new InvokeCommand({
      FunctionName: options.functionName,
      InvocationType: "RequestResponse",
      Payload: new TextEncoder().encode(JSON.stringify(parsed.event)),
    }),
  );
  if (response.FunctionError) {
    const detail = response.Payload ? new TextDecoder().decode(response.Payload) : "";
    return { kept: `the function failed again (${response.FunctionError}): ${detail.slice(0, 200)}` };
  }
  await sqs.send(
    new DeleteMessageCommand({ QueueUrl: options.queueUrl, ReceiptHandle: message.ReceiptHandle }),
  );
  return "redriven";
}

/** Parses the command line; throws with a usage message naming what is missing. */
export function parseArguments(argv: readonly string[]): RedriveOptions {
  const values = new Map<string, string>();
  const flags = new Set<string>();
  for (let index = 0; index < argv.length; index += 1) {
    const name = argv[index] as string;
    if (name === "--dry-run") flags.add(name);
    else if (name.startsWith("--") && argv[index + 1] !== undefined)
      values.set(name, argv[++index] as string);
    else throw new Error(`unexpected argument ${JSON.stringify(name)}\n${USAGE}`);
  }
  const fromOutputs = values.has("--outputs") ? readOutputs(values.get("--outputs") as string) : {};
  const queueUrl = values.get("--queue-url") ?? fromOutputs.function_failure_queue_url;
  const functionName = values.get("--function-name") ?? fromOutputs.function_name;
  if (!queueUrl || !functionName) {
    throw new Error(`both the queue URL and the function name are needed\n${USAGE}`);
  }
  const max = values.get("--max-messages");
  if (max !== undefined && !/^[1-9]\d*$/.test(max))
    throw new Error("--max-messages must be a positive whole number");
  return {
    queueUrl,
    functionName,
    ...(max ? { maxMessages: Number(max) } : {}),
    dryRun: flags.has("--dry-run"),
  };
}

const USAGE =
  "usage: npm run redrive -- (--queue-url <url> --function-name <name> | --outputs <terraform output -json file>) [--max-messages N] [--dry-run]";

function readOutputs(file: string): Record<string, string | undefined> {
  const outputs = JSON.parse(readFileSync(file, "utf8")) as Record<string, { value?: unknown }>;
  return Object.fromEntries(
    Object.entries(outputs).map(([key, output]) => [
      key,
      typeof output?.value === "string" ? output.value : undefined,
    ]),
  );
}

async function main(): Promise<void> {
  let options: RedriveOptions;
  try {
    options = parseArguments(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exitCode = 2;
    return;
  }
  const report = await redrive(options);
  process.stdout.write(`${options.dryRun ? "would redrive" : "redriven"}: ${report.redriven}\n`);
  for (const { messageId, reason } of report.kept) process.stdout.write(`kept ${messageId}: ${reason}\n`);
  if (!options.dryRun && report.kept.length > 0) process.exitCode = 1;
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`redrive failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
