/**
 * A loopback stand-in for the AWS APIs the remediation function calls, for tests and drills that run the
 * real SDK (or the real bundle) without an AWS account.
 *
 * It binds 127.0.0.1 on a free port and speaks the wire protocols of the services ami-guard reads:
 * - AWS Config, JSON 1.1: `POST /` with `X-Amz-Target: StarlingDoveService.<Operation>`, JSON body;
 * - DynamoDB, JSON 1.0: `POST /` with `X-Amz-Target: DynamoDB_20120810.<Operation>`;
 * - AWS Organizations, JSON 1.1: `POST /` with `X-Amz-Target: AWSOrganizationsV20161128.<Operation>`;
 * - SSM, JSON 1.1: `POST /` with `X-Amz-Target: AmazonSSM.<Operation>`;
 * - EC2, SNS and STS, the query protocols: `POST /` with a form body `Action=<Operation>&Version=...`, XML;
 * - Lambda, REST JSON: `GET /2016-08-19/account-settings` (GetAccountSettings) and
 *   `GET /2019-09-30/functions/<name>/concurrency` (GetFunctionConcurrency);
 * - S3, REST XML with path-style addressing: `HEAD /<bucket>` (HeadBucket).
 * The service is read from the SigV4 credential scope (`.../<region>/<service>/aws4_request`), which every
 * SDK request carries, so one URL serves them all: point `AWS_ENDPOINT_URL` at `loopback.url`.
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

type LoopbackService =
  | "config"
  | "dynamodb"
  | "organizations"
  | "ssm"
  | "ec2"
  | "sns"
  | "sts"
  | "lambda"
  | "s3"
  | "unknown";

export interface RecordedRequest {
  readonly service: LoopbackService;
  /** `StartRemediationExecution`, `DescribeInstances`, `Publish`, ... */
  readonly operation: string;
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** The JSON body of a Config, DynamoDB or Organizations request. */
  readonly json?: unknown;
  /** The form fields of a query-protocol request (EC2, SNS, STS). */
  readonly params?: Readonly<Record<string, string>>;
}

export interface LoopbackResponse {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body: string;
}

type Responder = LoopbackResponse | ((request: RecordedRequest) => LoopbackResponse);

const CONFIG_TARGET_PREFIX = "StarlingDoveService.";
const DYNAMODB_TARGET_PREFIX = "DynamoDB_20120810.";
const ORGANIZATIONS_TARGET_PREFIX = "AWSOrganizationsV20161128.";
const SSM_TARGET_PREFIX = "AmazonSSM.";
const JSON_11 = "application/x-amz-json-1.1";
const JSON_10 = "application/x-amz-json-1.0";
const XML = "text/xml";

export class AwsLoopback {
  /** Every request in arrival order. */
  readonly requests: RecordedRequest[] = [];
  private readonly queues = new Map<string, Responder[]>();
  /** Instances whose remediation the default responder started, as Config would have. */
  private readonly startedExecutions = new Set<string>();
  private readonly defaults = new Map<string, Responder>([
    ...DEFAULT_RESPONDERS,
    [
      "StartRemediationExecution",
      (request) => {
        for (const key of resourceKeysOf(request)) this.startedExecutions.add(key.resourceId);
        return configJson({ FailedItems: [] });
      },
    ],
    // As Config does: an execution it started shows as in progress; a key never started shows nothing.
    [
      "DescribeRemediationExecutionStatus",
      (request) =>
        configJson({
          RemediationExecutionStatuses: resourceKeysOf(request)
            .filter((key) => this.startedExecutions.has(key.resourceId))
            .map((key) => ({
              ResourceKey: key,
              State: "IN_PROGRESS",
              InvocationTime: Date.now() / 1000,
              LastUpdatedTime: Date.now() / 1000,
            })),
        }),
    ],
  ]);
  /**
   * The rule whose result GetComplianceDetailsByResource reports, NON_COMPLIANT, by default; the
   * configuration's default rule name unless a test or drill sets its own.
   */
  evaluatedRuleName = "approved-amis-by-id";

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
    this.startedExecutions.clear();
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
      (recorded.operation === "GetComplianceDetailsByResource"
        ? configEvaluation(this.evaluatedRuleName, recordedResourceId(recorded), "NON_COMPLIANT")
        : unknownOperation(recorded));
    const answer = typeof responder === "function" ? responder(recorded) : responder;
    response.writeHead(answer.status, {
      "x-amzn-requestid": "loopback-request",
      "content-length": String(Buffer.byteLength(answer.body)),
      ...answer.headers,
    });
    response.end(answer.body);
  }
}

/** Names a raw request the way the SDK names it: service and operation, JSON body or form fields. */
export function parseRequest(request: IncomingMessage, body: string): RecordedRequest {
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
  if (target?.startsWith(SSM_TARGET_PREFIX)) {
    return {
      ...base,
      service: "ssm",
      operation: target.slice(SSM_TARGET_PREFIX.length),
      json: body === "" ? undefined : JSON.parse(body),
    };
  }
  if (target?.startsWith(ORGANIZATIONS_TARGET_PREFIX)) {
    return {
      ...base,
      service: "organizations",
      operation: target.slice(ORGANIZATIONS_TARGET_PREFIX.length),
      json: body === "" ? undefined : JSON.parse(body),
    };
  }
  if (target?.startsWith(DYNAMODB_TARGET_PREFIX)) {
    return {
      ...base,
      service: "dynamodb",
      operation: target.slice(DYNAMODB_TARGET_PREFIX.length),
      json: body === "" ? undefined : JSON.parse(body),
    };
  }
  const scope = /Credential=[^/]+\/\d{8}\/[^/]+\/([^/]+)\/aws4_request/.exec(
    headers.authorization ?? "",
  )?.[1];
  const rest = restOperation(scope, base.method, base.path);
  if (rest) return { ...base, ...rest };
  const params = Object.fromEntries(new URLSearchParams(body));
  const service: LoopbackService =
    scope === "ec2" || params.Version === "2016-11-15"
      ? "ec2"
      : scope === "sns" || params.Version === "2010-03-31"
        ? "sns"
        : scope === "sts" || params.Version === "2011-06-15"
          ? "sts"
          : "unknown";
  return { ...base, service, operation: params.Action ?? "(none)", params };
}

/** The REST operations the loopback knows, named as the SDK names them. */
function restOperation(
  scope: string | undefined,
  method: string,
  requestPath: string,
): { service: LoopbackService; operation: string } | undefined {
  const pathname = requestPath.split("?")[0] ?? "";
  if (scope === "lambda") {
    if (method === "GET" && pathname === "/2016-08-19/account-settings") {
      return { service: "lambda", operation: "GetAccountSettings" };
    }
    if (method === "GET" && /^\/2019-09-30\/functions\/[^/]+\/concurrency$/.test(pathname)) {
      return { service: "lambda", operation: "GetFunctionConcurrency" };
    }
    return { service: "lambda", operation: `${method} ${pathname}` };
  }
  if (scope === "s3") {
    if (method === "HEAD" && /^\/[^/]+\/?$/.test(pathname)) return { service: "s3", operation: "HeadBucket" };
    return { service: "s3", operation: `${method} ${pathname}` };
  }
  return undefined;
}

function unknownOperation(request: RecordedRequest): LoopbackResponse {
  const message = `the loopback does not script ${request.operation}`;
  switch (request.service) {
    case "config":
    case "organizations":
    case "ssm":
      return configError("UnknownOperationException", message);
    case "dynamodb":
      return dynamodbError("UnknownOperationException", message);
    case "lambda":
      return lambdaError("InvalidRequestContentException", message);
    case "s3":
      return s3HeadError(400);
    default:
      return queryError(request.service, "InvalidAction", message);
  }
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

// ---- Organizations (JSON 1.1) ------------------------------------------------------------------------

/** Organizations speaks the same JSON 1.1 protocol as Config: success and errors have the same shape. */
const organizationsJson = configJson;
export const organizationsError = configError;

/** A DescribeOrganization answer for an organization of this feature set, run from `managementAccount`. */
export function organizationDescribed(
  featureSet: "ALL" | "CONSOLIDATED_BILLING",
  managementAccount: string,
  id = "o-a1b2c3d4e5",
): LoopbackResponse {
  return organizationsJson({
    Organization: {
      Id: id,
      Arn: `arn:aws:organizations::${managementAccount}:organization/${id}`,
      FeatureSet: featureSet,
      MasterAccountId: managementAccount,
      MasterAccountArn: `arn:aws:organizations::${managementAccount}:account/${id}/${managementAccount}`,
      MasterAccountEmail: "management@example.com",
      AvailablePolicyTypes: [],
    },
  });
}

/** A ListRoots answer: the one root, with the policy types enabled on it and their status. */
export function organizationRoots(
  rootId: string,
  policyTypes: Readonly<Record<string, "ENABLED" | "PENDING_ENABLE" | "PENDING_DISABLE">>,
  organizationId = "o-a1b2c3d4e5",
  managementAccount = "123456789012",
): LoopbackResponse {
  return organizationsJson({
    Roots: [
      {
        Id: rootId,
        Arn: `arn:aws:organizations::${managementAccount}:root/${organizationId}/${rootId}`,
        Name: "Root",
        PolicyTypes: Object.entries(policyTypes).map(([Type, Status]) => ({ Type, Status })),
      },
    ],
  });
}

// ---- DynamoDB (JSON 1.0) -----------------------------------------------------------------------------

export function dynamodbJson(body: unknown): LoopbackResponse {
  return { status: 200, headers: { "content-type": JSON_10 }, body: JSON.stringify(body) };
}

/** A DynamoDB error: the JSON 1.0 protocol names the shape, with its namespace, in `__type`. */
export function dynamodbError(type: string, message: string, status = 400): LoopbackResponse {
  return {
    status,
    headers: { "content-type": JSON_10 },
    body: JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${type}`, message }),
  };
}

// ---- Lambda (REST JSON) ------------------------------------------------------------------------------

export function lambdaJson(body: unknown): LoopbackResponse {
  return { status: 200, headers: { "content-type": "application/json" }, body: JSON.stringify(body) };
}

/** A Lambda error: REST JSON names it in the `x-amzn-errortype` header. */
export function lambdaError(type: string, message: string, status = 400): LoopbackResponse {
  return {
    status,
    headers: { "content-type": "application/json", "x-amzn-errortype": type },
    body: JSON.stringify({ Type: "User", message }),
  };
}

/** A GetAccountSettings answer with these concurrency limits. */
export function lambdaAccountSettings(concurrentExecutions: number, unreservedConcurrentExecutions: number) {
  return lambdaJson({
    AccountLimit: {
      TotalCodeSize: 80530636800,
      CodeSizeUnzipped: 262144000,
      CodeSizeZipped: 52428800,
      ConcurrentExecutions: concurrentExecutions,
      UnreservedConcurrentExecutions: unreservedConcurrentExecutions,
    },
    AccountUsage: { TotalCodeSize: 0, FunctionCount: 0 },
  });
}

// ---- S3 (REST XML) -----------------------------------------------------------------------------------

/** A HEAD answer carries no body: S3 says 404 for a missing bucket and 403 without access. */
export function s3HeadError(status: 400 | 403 | 404 | 301): LoopbackResponse {
  return { status, body: "" };
}

// ---- STS (query) -------------------------------------------------------------------------------------

export function stsCallerIdentity(account: string, arn = `arn:aws:iam::${account}:user/loopback`) {
  return {
    status: 200,
    headers: { "content-type": XML },
    body: `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>${escapeXml(arn)}</Arn><UserId>AIDALOOPBACK</UserId><Account>${escapeXml(account)}</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>loopback-request</RequestId></ResponseMetadata></GetCallerIdentityResponse>`,
  };
}

/** An AssumeRole answer with fake, hour-long credentials for `roleArn`. */
export function stsAssumedRole(roleArn: string): LoopbackResponse {
  const expiration = new Date(Date.now() + 3_600_000).toISOString();
  return {
    status: 200,
    headers: { "content-type": XML },
    body: `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><AssumedRoleUser><Arn>${escapeXml(roleArn)}/ami-guard-preflight</Arn><AssumedRoleId>AROALOOPBACK:ami-guard-preflight</AssumedRoleId></AssumedRoleUser><Credentials><AccessKeyId>ASIALOOPBACK</AccessKeyId><SecretAccessKey>loopback-secret</SecretAccessKey><SessionToken>loopback-token</SessionToken><Expiration>${expiration}</Expiration></Credentials></AssumeRoleResult><ResponseMetadata><RequestId>loopback-request</RequestId></ResponseMetadata></AssumeRoleResponse>`,
  };
}

// ---- SSM (JSON 1.1) ----------------------------------------------------------------------------------

/**
 * A GetAutomationExecution answer for a failed run of AWS-StopEC2Instance started with these parameters, as
 * Config's remediation starts it (InstanceId and AutomationAssumeRole).
 */
export function ssmFailedStopExecution(
  executionId: string,
  parameters: { readonly instanceId: string; readonly automationAssumeRole: string },
): LoopbackResponse {
  return configJson({
    AutomationExecution: {
      AutomationExecutionId: executionId,
      DocumentName: "AWS-StopEC2Instance",
      AutomationExecutionStatus: "Failed",
      FailureMessage: "Step fails when it is Executing. Fail reason: stop protection is enabled.",
      Parameters: {
        AutomationAssumeRole: [parameters.automationAssumeRole],
        InstanceId: [parameters.instanceId],
      },
    },
  });
}

/** A GetComplianceDetailsByResource answer: one rule's result for the instance. */
export function configEvaluation(
  ruleName: string,
  resourceId: string,
  complianceType: "COMPLIANT" | "NON_COMPLIANT" | "NOT_APPLICABLE" | "INSUFFICIENT_DATA",
): LoopbackResponse {
  return configJson({
    EvaluationResults: [
      {
        EvaluationResultIdentifier: {
          EvaluationResultQualifier: {
            ConfigRuleName: ruleName,
            ResourceType: "AWS::EC2::Instance",
            ResourceId: resourceId,
          },
          OrderingTimestamp: 1_555_000_000,
        },
        ComplianceType: complianceType,
        ResultRecordedTime: 1_555_000_000,
        ConfigRuleInvokedTime: 1_555_000_000,
      },
    ],
  });
}

function recordedResourceId(request: RecordedRequest): string {
  const json = request.json as { ResourceId?: unknown } | undefined;
  return typeof json?.ResourceId === "string" ? json.ResourceId : "";
}

// ---- EC2 (EC2 query) ---------------------------------------------------------------------------------

interface LoopbackInstance {
  readonly instanceId: string;
  /** @default "running" */
  readonly state?: string;
  /** @default {} */
  readonly tags?: Readonly<Record<string, string>>;
  /** @default LOOPBACK_IMAGE_ID */
  readonly imageId?: string;
}

/** The AMI loopback instances run unless told otherwise. */
const LOOPBACK_IMAGE_ID = "ami-0123456789abcdef0";

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
      return `<item><instanceId>${escapeXml(instance.instanceId)}</instanceId><imageId>${escapeXml(instance.imageId ?? LOOPBACK_IMAGE_ID)}</imageId><instanceState><code>${EC2_STATE_CODES[state] ?? 16}</code><name>${escapeXml(state)}</name></instanceState><tagSet>${tags}</tagSet></item>`;
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

function snsPublished(messageId = "00000000-0000-4000-8000-000000000000"): LoopbackResponse {
  return {
    status: 200,
    headers: { "content-type": XML },
    body: `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>${messageId}</MessageId></PublishResult><ResponseMetadata><RequestId>loopback-request</RequestId></ResponseMetadata></PublishResponse>`,
  };
}

/** A DescribeRegions answer: each region with its OptInStatus. */
export function ec2Regions(regions: Readonly<Record<string, string>>): LoopbackResponse {
  const items = Object.entries(regions)
    .map(
      ([name, status]) =>
        `<item><regionName>${escapeXml(name)}</regionName><regionEndpoint>ec2.${escapeXml(name)}.amazonaws.com</regionEndpoint><optInStatus>${escapeXml(status)}</optInStatus></item>`,
    )
    .join("");
  return {
    status: 200,
    headers: { "content-type": XML },
    body: `<?xml version="1.0" encoding="UTF-8"?><DescribeRegionsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>loopback-request</requestId><regionInfo>${items}</regionInfo></DescribeRegionsResponse>`,
  };
}

export interface LoopbackSubscription {
  readonly endpoint: string;
  /** @default "email" */
  readonly protocol?: string;
  /** @default false */
  readonly pending?: boolean;
}

/** One ListSubscriptionsByTopic page; unconfirmed subscriptions carry `PendingConfirmation` as their ARN. */
export function snsSubscriptions(
  topicArn: string,
  subscriptions: readonly LoopbackSubscription[],
  nextToken?: string,
): LoopbackResponse {
  const members = subscriptions
    .map(
      (s, index) =>
        `<member><TopicArn>${escapeXml(topicArn)}</TopicArn><Protocol>${escapeXml(s.protocol ?? "email")}</Protocol><SubscriptionArn>${s.pending ? "PendingConfirmation" : escapeXml(`${topicArn}:0000000${index}-0000-4000-8000-000000000000`)}</SubscriptionArn><Owner>${escapeXml(topicArn.split(":")[4] ?? "")}</Owner><Endpoint>${escapeXml(s.endpoint)}</Endpoint></member>`,
    )
    .join("");
  return {
    status: 200,
    headers: { "content-type": XML },
    body: `<ListSubscriptionsByTopicResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><ListSubscriptionsByTopicResult><Subscriptions>${members}</Subscriptions>${nextToken ? `<NextToken>${escapeXml(nextToken)}</NextToken>` : ""}</ListSubscriptionsByTopicResult><ResponseMetadata><RequestId>loopback-request</RequestId></ResponseMetadata></ListSubscriptionsByTopicResponse>`,
  };
}

// ---- query-protocol errors ---------------------------------------------------------------------------

/** An error in the shape each query protocol uses: EC2's `<Response><Errors>`, SNS's and STS's `<ErrorResponse>`. */
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

function resourceKeysOf(request: RecordedRequest): { resourceId: string; resourceType: string }[] {
  return (
    (request.json as { ResourceKeys?: { resourceId: string; resourceType: string }[] } | undefined)
      ?.ResourceKeys ?? []
  );
}

/** Success answers: every instance is running untagged (remediation starts: see the class's defaults). */
const DEFAULT_RESPONDERS: ReadonlyArray<[string, Responder]> = [
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
