/**
 * A loopback stand-in for the AWS APIs the remediation function calls, for tests and drills that run the
 * real SDK (or the real bundle) without an AWS account.
 *
 * It binds 127.0.0.1 on a free port and speaks three wire protocols:
 * - AWS Config, JSON 1.1: `POST /` with `X-Amz-Target: StarlingDoveService.<Operation>`, JSON body;
 * - EC2 and SNS, the query protocols: `POST /` with a form body `Action=<Operation>&Version=...`, XML answers.
 * The service is read from the SigV4 credential scope (`.../<region>/<service>/aws4_request`), which every
 * SDK request carries, so one URL serves all three: point `AWS_ENDPOINT_URL` at `loopback.url`.
 *
 * Usage:
 * ```ts
 * const aws = await AwsLoopback.start();
 * aws.enqueue("StartRemediationExecution", configError("ThrottlingException", "Rate exceeded"));
 * // ... run the code under test with AWS_ENDPOINT_URL=aws.url ...
 * expect(aws.requestsFor("StartRemediationExecution")).toHaveLength(2);
 * await aws.stop();
 * ```
 * Every request is recorded (`requests`). Each operation answers from its queue of scripted responses
 * first (`enqueue`), then from its default (`setDefault`, or the built-in success answers below).
 */
import { once } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export type LoopbackService = "config" | "ec2" | "sns" | "unknown";

export interface RecordedRequest {
  readonly service: LoopbackService;
  /** `StartRemediationExecution`, `DescribeInstances`, `Publish`, ... */
  readonly operation: string;
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** The JSON body of a Config request. */
  readonly json?: unknown;
  /** The form fields of a query-protocol request (EC2, SNS). */
  readonly params?: Readonly<Record<string, string>>;
}

export interface LoopbackResponse {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body: string;
}

export type Responder = LoopbackResponse | ((request: RecordedRequest) => LoopbackResponse);

const CONFIG_TARGET_PREFIX = "StarlingDoveService.";
const JSON_11 = "application/x-amz-json-1.1";
const XML = "text/xml";

export class AwsLoopback {
  /** Every request in arrival order. */
  readonly requests: RecordedRequest[] = [];
  private readonly queues = new Map<string, Responder[]>();
  private readonly defaults = new Map<string, Responder>(DEFAULT_RESPONDERS);

  private constructor(
    private readonly server: Server,
    /** `http://127.0.0.1:<port>`, the value for AWS_ENDPOINT_URL. */
    readonly url: string,
  ) {}

  static async start(): Promise<AwsLoopback> {
    let loopback: AwsLoopback | undefined;
    const server = createServer((request, response) => {
      // biome-ignore lint/style/noNonNullAssertion: requests arrive only after listen() assigned it
      loopback!.handle(request, response).catch((error: unknown) => {
        response.writeHead(500, { "content-type": "text/plain" }).end(String(error));
      });
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const { port } = server.address() as AddressInfo;
    loopback = new AwsLoopback(server, `http://127.0.0.1:${port}`);
    return loopback;
  }

  /** Answers the next calls of `operation` with these, in order, before falling back to its default. */
  enqueue(operation: string, ...responses: Responder[]): this {
    this.queues.set(operation, [...(this.queues.get(operation) ?? []), ...responses]);
    return this;
  }

  /** Answers every call of `operation` not served from its queue. */
  setDefault(operation: string, responder: Responder): this {
    this.defaults.set(operation, responder);
    return this;
  }

  requestsFor(operation: string): RecordedRequest[] {
    return this.requests.filter((request) => request.operation === operation);
  }

  /** Forgets recorded requests and scripted responses; defaults set with `setDefault` stay. */
  clear(): void {
    this.requests.length = 0;
    this.queues.clear();
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve, reject) =>
      this.server.close((error) => (error ? reject(error) : resolve())),
    );
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const recorded = parseRequest(request, Buffer.concat(chunks).toString("utf8"));
    this.requests.push(recorded);
    const responder =
      this.queues.get(recorded.operation)?.shift() ??
      this.defaults.get(recorded.operation) ??
      unknownOperation(recorded);
    const answer = typeof responder === "function" ? responder(recorded) : responder;
    response.writeHead(answer.status, {
      "x-amzn-requestid": "loopback-request",
      "content-length": String(Buffer.byteLength(answer.body)),
      ...answer.headers,
    });
    response.end(answer.body);
  }
}

function parseRequest(request: IncomingMessage, body: string): RecordedRequest {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  const base = { method: request.method ?? "", path: request.url ?? "", headers, body };
  const target = headers["x-amz-target"];
  if (target?.startsWith(CONFIG_TARGET_PREFIX)) {
    return {
      ...base,
      service: "config",
      operation: target.slice(CONFIG_TARGET_PREFIX.length),
      json: body === "" ? undefined : JSON.parse(body),
    };
  }
  const params = Object.fromEntries(new URLSearchParams(body));
  const scope = /Credential=[^/]+\/\d{8}\/[^/]+\/([^/]+)\/aws4_request/.exec(
    headers.authorization ?? "",
  )?.[1];
  const service: LoopbackService =
    scope === "ec2" || params.Version === "2016-11-15"
      ? "ec2"
      : scope === "sns" || params.Version === "2010-03-31"
        ? "sns"
        : "unknown";
  return { ...base, service, operation: params.Action ?? "(none)", params };
}

function unknownOperation(request: RecordedRequest): LoopbackResponse {
  return request.service === "config"
    ? configError("UnknownOperationException", `the loopback does not script ${request.operation}`)
    : queryError(request.service, "InvalidAction", `the loopback does not script ${request.operation}`);
}

function escapeXml(text: string): string {
  return text.replace(
    /[<>&'"]/g,
    (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", "'": "&apos;", '"': "&quot;" })[c] as string,
  );
}

// ---- Config (JSON 1.1) -------------------------------------------------------------------------------

/** A successful Config answer. */
export function configJson(body: unknown): LoopbackResponse {
  return { status: 200, headers: { "content-type": JSON_11 }, body: JSON.stringify(body) };
}

/**
 * A Config error as the JSON 1.1 protocol sends it: the type in `__type` (and the header), so the SDK
 * names the error after it and classifies `ThrottlingException` as throttling, which it retries.
 */
export function configError(type: string, message: string, status = 400): LoopbackResponse {
  return {
    status,
    headers: { "content-type": JSON_11, "x-amzn-errortype": type },
    body: JSON.stringify({ __type: type, message }),
  };
}

// ---- EC2 (EC2 query) ---------------------------------------------------------------------------------

export interface LoopbackInstance {
  readonly instanceId: string;
  /** @default "running" */
  readonly state?: string;
  /** @default {} */
  readonly tags?: Readonly<Record<string, string>>;
}

const EC2_STATE_CODES: Readonly<Record<string, number>> = {
  pending: 0,
  running: 16,
  "shutting-down": 32,
  terminated: 48,
  stopping: 64,
  stopped: 80,
};

/** A DescribeInstances answer holding these instances in one reservation. */
export function ec2Instances(instances: readonly LoopbackInstance[]): LoopbackResponse {
  const items = instances
    .map((instance) => {
      const state = instance.state ?? "running";
      const tags = Object.entries(instance.tags ?? {})
        .map(([key, value]) => `<item><key>${escapeXml(key)}</key><value>${escapeXml(value)}</value></item>`)
        .join("");
      return `<item><instanceId>${escapeXml(instance.instanceId)}</instanceId><imageId>ami-0123456789abcdef0</imageId><instanceState><code>${EC2_STATE_CODES[state] ?? 16}</code><name>${escapeXml(state)}</name></instanceState><tagSet>${tags}</tagSet></item>`;
    })
    .join("");
  const reservations =
    instances.length === 0
      ? ""
      : `<item><reservationId>r-0123456789abcdef0</reservationId><ownerId>111122223333</ownerId><instancesSet>${items}</instancesSet></item>`;
  return {
    status: 200,
    headers: { "content-type": XML },
    body: `<?xml version="1.0" encoding="UTF-8"?><DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>loopback-request</requestId><reservationSet>${reservations}</reservationSet></DescribeInstancesResponse>`,
  };
}

// ---- SNS (query) -------------------------------------------------------------------------------------

export function snsPublished(messageId = "00000000-0000-4000-8000-000000000000"): LoopbackResponse {
  return {
    status: 200,
    headers: { "content-type": XML },
    body: `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>${messageId}</MessageId></PublishResult><ResponseMetadata><RequestId>loopback-request</RequestId></ResponseMetadata></PublishResponse>`,
  };
}

// ---- query-protocol errors ---------------------------------------------------------------------------

/** An error in the shape each query protocol uses: EC2's `<Response><Errors>`, SNS's `<ErrorResponse>`. */
export function queryError(
  service: LoopbackService,
  code: string,
  message: string,
  status = 400,
): LoopbackResponse {
  const body =
    service === "ec2"
      ? `<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>${escapeXml(code)}</Code><Message>${escapeXml(message)}</Message></Error></Errors><RequestID>loopback-request</RequestID></Response>`
      : `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type><Code>${escapeXml(code)}</Code><Message>${escapeXml(message)}</Message></Error><RequestId>loopback-request</RequestId></ErrorResponse>`;
  return { status, headers: { "content-type": XML }, body };
}

/** Success answers: remediation starts, no execution is known, every instance is running untagged. */
const DEFAULT_RESPONDERS: ReadonlyArray<[string, Responder]> = [
  ["StartRemediationExecution", configJson({ FailedItems: [] })],
  ["DescribeRemediationExecutionStatus", configJson({ RemediationExecutionStatuses: [] })],
  [
    "DescribeInstances",
    (request) =>
      ec2Instances(
        Object.entries(request.params ?? {})
          .filter(([key]) => /^InstanceId\.\d+$/.test(key))
          .map(([, instanceId]) => ({ instanceId })),
      ),
  ],
  ["Publish", snsPublished()],
];
