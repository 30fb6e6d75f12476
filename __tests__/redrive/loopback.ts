import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

interface QueuedMessage {
  readonly id: string;
  readonly body: string;
  visible: boolean;
}

/**
 * A loopback stand-in for SQS (the JSON 1.0 protocol that @aws-sdk/client-sqs speaks, X-Amz-Target
 * `AmazonSQS.<Operation>`) and Lambda's REST `Invoke`, so the redrive runs against AWS_ENDPOINT_URL and
 * never against AWS. The "function" fails for events its `failsOn` predicate picks.
 */
export class Loopback {
  readonly messages: QueuedMessage[] = [];
  readonly invocations: { functionName: string; invocationType: string; payload: unknown }[] = [];
  readonly deletedIds: string[] = [];
  readonly unknownRequests: string[] = [];
  failsOn: (payload: unknown) => boolean = () => false;
  private server?: Server;
  private nextId = 1;

  enqueue(body: string): string {
    const id = `message-${this.nextId++}`;
    this.messages.push({ id, body, visible: true });
    return id;
  }

  remaining(): string[] {
    return this.messages.map((m) => m.body);
  }

  async start(): Promise<string> {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => this.handle(request, Buffer.concat(chunks).toString("utf8"), response));
    });
    await new Promise<void>((resolve) => this.server?.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private handle(request: IncomingMessage, body: string, response: ServerResponse): void {
    const target = request.headers["x-amz-target"];
    const invoke = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/.exec(request.url ?? "");
    if (typeof target === "string" && target.startsWith("AmazonSQS.")) {
      this.handleSqs(target.slice("AmazonSQS.".length), JSON.parse(body || "{}"), response);
    } else if (invoke && request.method === "POST") {
      this.handleInvoke(
        decodeURIComponent(invoke[1] as string),
        String(request.headers["x-amz-invocation-type"]),
        body,
        response,
      );
    } else {
      this.unknownRequests.push(`${request.method} ${request.url} ${String(target)}`);
      response.writeHead(400, { "content-type": "application/x-amz-json-1.0" });
      response.end(JSON.stringify({ __type: "UnknownOperation", message: "not in the loopback" }));
    }
  }

  private handleSqs(operation: string, input: Record<string, unknown>, response: ServerResponse): void {
    const reply = (payload: unknown) => {
      response.writeHead(200, { "content-type": "application/x-amz-json-1.0" });
      response.end(JSON.stringify(payload));
    };
    if (operation === "ReceiveMessage") {
      const max = Number(input.MaxNumberOfMessages ?? 1);
      const batch = this.messages.filter((m) => m.visible).slice(0, max);
      // A zero visibility timeout leaves messages visible, as SQS does.
      if (Number(input.VisibilityTimeout ?? 30) > 0) for (const m of batch) m.visible = false;
      reply({
        Messages: batch.map((m) => ({
          MessageId: m.id,
          ReceiptHandle: `receipt-${m.id}`,
          MD5OfBody: createHash("md5").update(m.body).digest("hex"),
          Body: m.body,
        })),
      });
    } else if (operation === "DeleteMessage") {
      const id = String(input.ReceiptHandle).replace(/^receipt-/, "");
      const index = this.messages.findIndex((m) => m.id === id);
      if (index >= 0) this.messages.splice(index, 1);
      this.deletedIds.push(id);
      reply({});
    } else {
      this.unknownRequests.push(`AmazonSQS.${operation}`);
      response.writeHead(400, { "content-type": "application/x-amz-json-1.0" });
      response.end(JSON.stringify({ __type: "com.amazonaws.sqs#InvalidAction", message: operation }));
    }
  }

  private handleInvoke(
    functionName: string,
    invocationType: string,
    body: string,
    response: ServerResponse,
  ): void {
    const payload: unknown = JSON.parse(body);
    this.invocations.push({ functionName, invocationType, payload });
    if (this.failsOn(payload)) {
      response.writeHead(200, { "content-type": "application/json", "x-amz-function-error": "Unhandled" });
      response.end(JSON.stringify({ errorType: "Error", errorMessage: "still broken" }));
      return;
    }
    response.writeHead(200, { "content-type": "application/json", "x-amz-executed-version": "$LATEST" });
    response.end("null");
  }
}

/** A Lambda on_failure destination record, as AWS documents it for asynchronous invocation. */
export function destinationRecord(event: unknown, functionName = "ami-guard-remediate"): string {
  return JSON.stringify({
    version: "1.0",
    timestamp: "2026-11-27T10:00:00.000Z",
    requestContext: {
      requestId: "c0ffee00-0000-4000-8000-000000000000",
      functionArn: `arn:aws:lambda:eu-central-1:111122223333:function:${functionName}:$LATEST`,
      condition: "RetriesExhausted",
      approximateInvokeCount: 3,
    },
    requestPayload: event,
    responseContext: { statusCode: 200, executedVersion: "$LATEST", functionError: "Unhandled" },
    responsePayload: { errorType: "ThrottlingException", errorMessage: "Rate exceeded" },
  });
}
