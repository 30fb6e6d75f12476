/**
 * A loopback HTTP proxy in front of moto_server: it forwards every AWS request to moto and answers, itself,
 * the few calls moto 5.2.1 lacks or gets wrong for ami-guard's stacks. Each gap is listed, with the moto
 * source that shows it, in docs/emulator.md:
 * - AWS Config's remediation calls (Put/Describe/DeleteRemediationConfigurations, StartRemediationExecution,
 *   DescribeRemediationExecutionStatus) and StartConfigRulesEvaluation are missing from
 *   moto/config/responses.py. Here a remediation execution does what AWS-StopEC2Instance does to the
 *   instance: StopInstances on moto's EC2, in the rule's own account and region.
 * - Config does not evaluate rules in moto (there is no GetComplianceDetailsByResource): the proxy evaluates
 *   `APPROVED_AMIS_BY_ID` as the managed rule is documented to, from the rule's `amiIds` and the instance's
 *   image in moto's EC2.
 * - Lambda's `LoggingConfig` is never returned by moto (moto/awslambda/models.py, `get_configuration`): the
 *   proxy adds the one the function was created or last updated with.
 * - moto applies a bucket policy's conditional Deny to every object request: see `withoutConditionalDenies`.
 *
 * Several accounts share one moto: each request's account is its access key when that is a 12-digit
 * account id (the provider override sets it so), else the proxy's default account; the proxy passes it on
 * in moto's `x-moto-account-id` header.
 */
import { once } from "node:events";
import {
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";
import { performance } from "node:perf_hooks";
import {
  type ConfigRule,
  ConfigServiceClient,
  DescribeConfigRulesCommand,
} from "@aws-sdk/client-config-service";
import { DescribeInstancesCommand, EC2Client, StopInstancesCommand } from "@aws-sdk/client-ec2";
import type { BuildMiddleware, MetadataBearer } from "@aws-sdk/types";
import {
  configError,
  configEvaluation,
  configJson,
  type LoopbackResponse,
  parseRequest,
  type RecordedRequest,
} from "../loopback/aws-loopback";

/** What the proxy did with one request, for tests that count calls. */
export interface ProxiedRequest {
  readonly accountId: string;
  readonly region: string;
  readonly service: string;
  readonly operation: string;
  /** True when the proxy answered it, false when moto did. */
  readonly answeredByProxy: boolean;
  readonly status: number;
  /** How long the answer took, moto's share included. */
  readonly milliseconds: number;
  readonly json?: unknown;
}

interface ResourceKey {
  readonly resourceType: string;
  readonly resourceId: string;
}

/** One remediation run, as DescribeRemediationExecutionStatus reports it. */
export interface RemediationExecution {
  readonly accountId: string;
  readonly region: string;
  readonly configRuleName: string;
  readonly resourceKey: ResourceKey;
  readonly state: "SUCCEEDED" | "FAILED";
  /** Why a run failed: moto's answer to StopInstances. */
  readonly message?: string;
  readonly invocationTime: number;
}

type RemediationConfiguration = Record<string, unknown> & { readonly ConfigRuleName: string };

/** Config's remediation calls and StartConfigRulesEvaluation: answered here, never sent to moto. */
const CONFIG_OPERATIONS_ANSWERED_HERE = new Set([
  "PutRemediationConfigurations",
  "DescribeRemediationConfigurations",
  "DeleteRemediationConfiguration",
  "StartRemediationExecution",
  "DescribeRemediationExecutionStatus",
  "StartConfigRulesEvaluation",
  "GetComplianceDetailsByResource",
]);

const ACCOUNT_HEADER = "x-moto-account-id";
const ACCOUNT_ID = /^\d{12}$/;
const LAMBDA_FUNCTION_PATH = /^\/2015-03-31\/functions\/([^/?]+)(\/configuration)?\/?$/;

export interface EmulatorProxyOptions {
  /** moto_server's URL. */
  readonly motoUrl: string;
  /** The account of a request whose access key is not an account id. */
  readonly defaultAccountId: string;
}

export class EmulatorProxy {
  /** Every request in arrival order. */
  readonly requests: ProxiedRequest[] = [];
  /** Every remediation run, in the order they were started. */
  readonly executions: RemediationExecution[] = [];
  private readonly remediationConfigurations = new Map<string, Map<string, RemediationConfiguration>>();
  /** Bucket policies per `account/bucket`, as they were put (moto holds a copy without conditional denies). */
  private readonly bucketPolicies = new Map<string, string>();
  /** LoggingConfig per `account/region/function`, as it was last set. */
  private readonly loggingConfigs = new Map<string, Record<string, unknown>>();

  private constructor(
    private readonly server: Server,
    /** `http://127.0.0.1:<port>`: the endpoint for every service. */
    readonly url: string,
    private readonly options: EmulatorProxyOptions,
  ) {}

  static async start(options: EmulatorProxyOptions): Promise<EmulatorProxy> {
    let proxy: EmulatorProxy | undefined;
    const server = createServer((request, response) => {
      // biome-ignore lint/style/noNonNullAssertion: requests arrive only after listen() assigned it
      proxy!.handle(request, response).catch((error: unknown) => {
        if (!response.headersSent) response.writeHead(500, { "content-type": "text/plain" });
        response.end(`emulator proxy: ${error instanceof Error ? error.message : String(error)}`);
      });
    });
    // The provider keeps connections open between calls; the default 5 s keep-alive closes them under
    // its feet on a busy machine.
    server.keepAliveTimeout = 120_000;
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const { port } = server.address() as AddressInfo;
    proxy = new EmulatorProxy(server, `http://127.0.0.1:${port}`, options);
    return proxy;
  }

  requestsFor(operation: string): ProxiedRequest[] {
    return this.requests.filter((request) => request.operation === operation);
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve, reject) =>
      this.server.close((error) => (error ? reject(error) : resolve())),
    );
  }

  /** SDK clients on moto itself, in one account and region: what the proxy's own answers read and do. */
  motoClients(accountId: string, region: string): { ec2: EC2Client; config: ConfigServiceClient } {
    const settings = {
      endpoint: this.options.motoUrl,
      region,
      credentials: { accessKeyId: accountId, secretAccessKey: "emulator" },
      maxAttempts: 1,
    };
    const ec2 = new EC2Client(settings);
    const config = new ConfigServiceClient(settings);
    const accountHeader: BuildMiddleware<object, MetadataBearer> = (next) => async (args) => {
      const request = args.request as { headers?: Record<string, string> };
      if (request.headers) request.headers[ACCOUNT_HEADER] = accountId;
      return next(args);
    };
    ec2.middlewareStack.add(accountHeader, { step: "build", name: "emulatorAccountHeader" });
    config.middlewareStack.add(accountHeader, { step: "build", name: "emulatorAccountHeader" });
    return { ec2, config };
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const started = performance.now();
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const parsed = parseRequest(request, body.toString("utf8"));
    const scope = this.scopeOf(parsed);
    const { accountId, region, service } = scope;
    if (parsed.service === "config" && CONFIG_OPERATIONS_ANSWERED_HERE.has(parsed.operation)) {
      const answer = await this.answerConfig(parsed, accountId, region);
      this.record(parsed, scope, true, answer.status, started);
      response.writeHead(answer.status, {
        "x-amzn-requestid": "emulator-proxy",
        "content-length": String(Buffer.byteLength(answer.body)),
        ...answer.headers,
      });
      response.end(answer.body);
      return;
    }
    if (service === "lambda") this.rememberLoggingConfig(parsed, accountId, region, body);
    let outgoing = body;
    const policyOf = service === "s3" ? bucketPolicyPath(parsed) : undefined;
    if (policyOf && parsed.method === "GET" && this.bucketPolicies.has(`${accountId}/${policyOf}`)) {
      const policy = this.bucketPolicies.get(`${accountId}/${policyOf}`) as string;
      this.record(parsed, scope, true, 200, started);
      response.writeHead(200, {
        "content-type": "application/json",
        "content-length": String(Buffer.byteLength(policy)),
      });
      response.end(policy);
      return;
    }
    if (policyOf && parsed.method === "PUT")
      outgoing = Buffer.from(withoutConditionalDenies(body.toString("utf8")));
    if (parsed.service === "config" && parsed.operation === "PutConfigurationRecorder")
      outgoing = Buffer.from(withExclusionListSpelledOut(body.toString("utf8")));
    const forwarded = await this.forward(request, outgoing, accountId);
    if (policyOf && forwarded.status < 300) {
      if (parsed.method === "PUT") this.bucketPolicies.set(`${accountId}/${policyOf}`, body.toString("utf8"));
      if (parsed.method === "DELETE") this.bucketPolicies.delete(`${accountId}/${policyOf}`);
    }
    let responseBody = forwarded.body;
    if (service === "lambda" && forwarded.status < 300) {
      responseBody = this.withLoggingConfig(parsed, accountId, region, forwarded.body);
    }
    this.record(parsed, scope, false, forwarded.status, started);
    const headers = { ...forwarded.headers };
    delete headers["transfer-encoding"];
    headers["content-length"] = String(responseBody.length);
    response.writeHead(forwarded.status, headers);
    response.end(responseBody);
  }

  private record(
    parsed: RecordedRequest,
    { accountId, region, service }: { accountId: string; region: string; service: string },
    answeredByProxy: boolean,
    status: number,
    started: number,
  ): void {
    const target = parsed.headers["x-amz-target"];
    this.requests.push({
      accountId,
      region,
      service,
      // JSON protocols other than Config's name the operation after the last dot of X-Amz-Target.
      operation:
        parsed.operation === "(none)" && target ? (target.split(".").pop() ?? target) : parsed.operation,
      answeredByProxy,
      status,
      milliseconds: performance.now() - started,
      ...(parsed.json === undefined ? {} : { json: parsed.json }),
    });
  }

  private scopeOf(parsed: RecordedRequest): { accountId: string; region: string; service: string } {
    const credential = /Credential=([^/]+)\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(
      parsed.headers.authorization ?? "",
    );
    const accessKey = credential?.[1] ?? "";
    return {
      accountId: ACCOUNT_ID.test(accessKey) ? accessKey : this.options.defaultAccountId,
      region: credential?.[2] ?? "us-east-1",
      service: credential?.[3] ?? parsed.service,
    };
  }

  private forward(
    request: IncomingMessage,
    body: Buffer,
    accountId: string,
  ): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> {
    const target = new URL(request.url ?? "/", this.options.motoUrl);
    return new Promise((resolve, reject) => {
      const outgoing = httpRequest(
        target,
        {
          method: request.method,
          headers: forwardedHeaders(request.headers, accountId, body.length),
        },
        (answer) => {
          const parts: Buffer[] = [];
          answer.on("data", (chunk: Buffer) => parts.push(chunk));
          answer.on("end", () =>
            resolve({
              status: answer.statusCode ?? 502,
              headers: answer.headers,
              body: Buffer.concat(parts),
            }),
          );
          answer.on("error", reject);
        },
      );
      outgoing.on("error", reject);
      outgoing.end(body);
    });
  }

  // ---- Lambda's LoggingConfig ------------------------------------------------------------------------

  private functionKey(accountId: string, region: string, nameOrArn: string): string {
    const name = decodeURIComponent(nameOrArn).replace(/^arn:[^:]+:lambda:[^:]+:\d+:function:/, "");
    return `${accountId}/${region}/${name.split(":")[0]}`;
  }

  /** CreateFunction and UpdateFunctionConfiguration carry the LoggingConfig the function keeps. */
  private rememberLoggingConfig(parsed: RecordedRequest, accountId: string, region: string, body: Buffer) {
    const pathname = parsed.path.split("?")[0] ?? "";
    let sent: { FunctionName?: string; LoggingConfig?: Record<string, unknown> } | undefined;
    try {
      sent = body.length > 0 ? JSON.parse(body.toString("utf8")) : undefined;
    } catch {
      return;
    }
    if (parsed.method === "POST" && /^\/2015-03-31\/functions\/?$/.test(pathname) && sent?.FunctionName) {
      this.loggingConfigs.set(
        this.functionKey(accountId, region, sent.FunctionName),
        lambdaLoggingDefaults(sent.FunctionName, sent.LoggingConfig),
      );
      return;
    }
    const match = LAMBDA_FUNCTION_PATH.exec(pathname);
    if (!match?.[1]) return;
    const key = this.functionKey(accountId, region, match[1]);
    if (parsed.method === "PUT" && match[2] && sent?.LoggingConfig) {
      this.loggingConfigs.set(key, { ...(this.loggingConfigs.get(key) ?? {}), ...sent.LoggingConfig });
    }
    if (parsed.method === "DELETE" && !match[2]) this.loggingConfigs.delete(key);
  }

  private withLoggingConfig(
    parsed: RecordedRequest,
    accountId: string,
    region: string,
    body: Buffer,
  ): Buffer {
    const pathname = parsed.path.split("?")[0] ?? "";
    const match = LAMBDA_FUNCTION_PATH.exec(pathname);
    const isCreate = parsed.method === "POST" && /^\/2015-03-31\/functions\/?$/.test(pathname);
    if (!isCreate && !match) return body;
    if (parsed.method === "DELETE") return body;
    let answer: Record<string, unknown>;
    try {
      answer = JSON.parse(body.toString("utf8")) as Record<string, unknown>;
    } catch {
      return body;
    }
    const configuration = (isCreate || match?.[2] ? answer : answer.Configuration) as
      | Record<string, unknown>
      | undefined;
    const name = configuration?.FunctionName;
    if (!configuration || typeof name !== "string") return body;
    const key = this.functionKey(accountId, region, name);
    configuration.LoggingConfig = this.loggingConfigs.get(key) ?? lambdaLoggingDefaults(name, undefined);
    return Buffer.from(JSON.stringify(answer));
  }

  // ---- AWS Config --------------------------------------------------------------------------------------

  private remediationsOf(accountId: string, region: string): Map<string, RemediationConfiguration> {
    const key = `${accountId}/${region}`;
    let found = this.remediationConfigurations.get(key);
    if (!found) {
      found = new Map();
      this.remediationConfigurations.set(key, found);
    }
    return found;
  }

  private async answerConfig(
    parsed: RecordedRequest,
    accountId: string,
    region: string,
  ): Promise<LoopbackResponse> {
    const input = (parsed.json ?? {}) as Record<string, unknown>;
    const remediations = this.remediationsOf(accountId, region);
    switch (parsed.operation) {
      case "PutRemediationConfigurations": {
        const sent = (input.RemediationConfigurations ?? []) as RemediationConfiguration[];
        const rules = await this.configRules(accountId, region);
        const failed = sent.filter((item) => !rules.has(item.ConfigRuleName));
        for (const item of sent.filter((candidate) => rules.has(candidate.ConfigRuleName))) {
          remediations.set(item.ConfigRuleName, {
            ...item,
            Arn: `arn:aws:config:${region}:${accountId}:remediation-configuration/${item.ConfigRuleName}/emulator`,
            CreatedByService: undefined,
          });
        }
        return configJson({
          FailedBatches:
            failed.length === 0 ? [] : [{ FailureMessage: "NoSuchConfigRuleException", FailedItems: failed }],
        });
      }
      case "DescribeRemediationConfigurations": {
        const names = (input.ConfigRuleNames ?? []) as string[];
        return configJson({
          RemediationConfigurations: names.flatMap((name) => {
            const found = remediations.get(name);
            return found ? [found] : [];
          }),
        });
      }
      case "DeleteRemediationConfiguration": {
        const name = String(input.ConfigRuleName ?? "");
        if (!remediations.delete(name)) {
          return configError(
            "NoSuchRemediationConfigurationException",
            `no remediation configuration for ${name}`,
          );
        }
        return configJson({});
      }
      case "StartRemediationExecution":
        return this.startRemediation(input, accountId, region);
      case "DescribeRemediationExecutionStatus": {
        const name = String(input.ConfigRuleName ?? "");
        const keys = (input.ResourceKeys ?? []) as ResourceKey[];
        const runs = this.executions.filter(
          (run) =>
            run.accountId === accountId &&
            run.region === region &&
            run.configRuleName === name &&
            (keys.length === 0 || keys.some((key) => key.resourceId === run.resourceKey.resourceId)),
        );
        return configJson({
          RemediationExecutionStatuses: runs.map((run) => ({
            ResourceKey: run.resourceKey,
            State: run.state,
            InvocationTime: run.invocationTime,
            LastUpdatedTime: run.invocationTime,
            StepDetails: [
              {
                Name: "stopInstances",
                State: run.state,
                ...(run.message ? { ErrorMessage: run.message } : {}),
              },
            ],
          })),
        });
      }
      case "StartConfigRulesEvaluation": {
        const names = (input.ConfigRuleNames ?? []) as string[];
        const rules = await this.configRules(accountId, region);
        const missing = names.filter((name) => !rules.has(name));
        if (missing.length > 0) {
          return configError("NoSuchConfigRuleException", `no Config rule named ${missing.join(", ")}`);
        }
        return configJson({});
      }
      case "GetComplianceDetailsByResource":
        return this.evaluate(input, accountId, region);
      default:
        return configError(
          "UnknownOperationException",
          `the emulator proxy does not answer ${parsed.operation}`,
        );
    }
  }

  private async configRules(accountId: string, region: string): Promise<Map<string, ConfigRule>> {
    const { config } = this.motoClients(accountId, region);
    const rules = new Map<string, ConfigRule>();
    let token: string | undefined;
    do {
      const page = await config.send(new DescribeConfigRulesCommand({ NextToken: token }));
      for (const rule of page.ConfigRules ?? [])
        if (rule.ConfigRuleName) rules.set(rule.ConfigRuleName, rule);
      token = page.NextToken;
    } while (token);
    return rules;
  }

  /**
   * Config starts the rule's SSM document for each resource key. AWS-StopEC2Instance stops the instance;
   * the emulator does exactly that to moto's EC2, and records the run as DescribeRemediationExecutionStatus
   * reports it.
   */
  private async startRemediation(
    input: Record<string, unknown>,
    accountId: string,
    region: string,
  ): Promise<LoopbackResponse> {
    const ruleName = String(input.ConfigRuleName ?? "");
    const remediation = this.remediationsOf(accountId, region).get(ruleName);
    if (!remediation) {
      return configError(
        "NoSuchRemediationConfigurationException",
        `no remediation configuration for the Config rule ${ruleName}`,
      );
    }
    if (remediation.TargetId !== "AWS-StopEC2Instance") {
      return configError(
        "InvalidParameterValueException",
        `the emulator runs AWS-StopEC2Instance only, not ${String(remediation.TargetId)}`,
      );
    }
    const keys = (input.ResourceKeys ?? []) as ResourceKey[];
    const { ec2 } = this.motoClients(accountId, region);
    const failedItems: ResourceKey[] = [];
    for (const key of keys) {
      let message: string | undefined;
      try {
        await ec2.send(new StopInstancesCommand({ InstanceIds: [key.resourceId] }));
      } catch (error) {
        message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      }
      // The start itself succeeds; a stop that fails shows in the execution status, as in AWS.
      this.executions.push({
        accountId,
        region,
        configRuleName: ruleName,
        resourceKey: key,
        state: message ? "FAILED" : "SUCCEEDED",
        ...(message ? { message } : {}),
        invocationTime: Date.now() / 1000,
      });
    }
    return configJson({ FailedItems: failedItems });
  }

  /**
   * The managed rule approved-amis-by-id, evaluated as documented: a running instance whose image is not in
   * the rule's `amiIds` is NON_COMPLIANT, one whose image is listed COMPLIANT. moto records no evaluations.
   */
  private async evaluate(
    input: Record<string, unknown>,
    accountId: string,
    region: string,
  ): Promise<LoopbackResponse> {
    const resourceId = String(input.ResourceId ?? "");
    const rules = [...(await this.configRules(accountId, region)).values()].filter(
      (rule) => rule.Source?.SourceIdentifier === "APPROVED_AMIS_BY_ID",
    );
    const { ec2 } = this.motoClients(accountId, region);
    const found = await ec2
      .send(new DescribeInstancesCommand({ InstanceIds: [resourceId] }))
      .catch(() => undefined);
    const instance = found?.Reservations?.[0]?.Instances?.[0];
    if (!instance || instance.State?.Name === "terminated" || rules.length === 0) {
      return configJson({ EvaluationResults: [] });
    }
    const results = rules.map((rule) => {
      const approved = approvedIdsOf(rule);
      const compliance = approved.includes(instance.ImageId ?? "") ? "COMPLIANT" : "NON_COMPLIANT";
      const single = JSON.parse(configEvaluation(rule.ConfigRuleName ?? "", resourceId, compliance).body) as {
        EvaluationResults: unknown[];
      };
      return single.EvaluationResults[0];
    });
    return configJson({ EvaluationResults: results });
  }
}

/**
 * The request's headers for moto: the account named, and the body (already read whole) sent with its
 * length. A `transfer-encoding: chunked` beside a content-length would make the request ambiguous; the
 * SDK's S3 uploads arrive chunked.
 */
function forwardedHeaders(
  headers: IncomingHttpHeaders,
  accountId: string,
  length: number,
): IncomingHttpHeaders {
  const forwarded: IncomingHttpHeaders = {
    ...headers,
    [ACCOUNT_HEADER]: accountId,
    "content-length": String(length),
  };
  delete forwarded["transfer-encoding"];
  return forwarded;
}

/** The bucket a path-style `?policy` request names (PutBucketPolicy, GetBucketPolicy, DeleteBucketPolicy). */
function bucketPolicyPath(parsed: RecordedRequest): string | undefined {
  const [pathname, query = ""] = parsed.path.split("?");
  if (!new URLSearchParams(query).has("policy")) return undefined;
  return /^\/([^/]+)\/?$/.exec(pathname ?? "")?.[1];
}

/**
 * The provider updates a recorder with `exclusionByResourceTypes: {}` (read back from the last describe,
 * with no types), which the API reference allows: `resourceTypes` of ExclusionByResourceTypes is not
 * required (https://docs.aws.amazon.com/config/latest/APIReference/API_ExclusionByResourceTypes.html).
 * moto refuses it with InvalidRecordingGroupException unless the object equals `{"resourceTypes": []}`
 * (moto/config/models.py, `put_configuration_recorder`), so moto gets the empty list spelled out.
 */
function withExclusionListSpelledOut(requestText: string): string {
  const request = JSON.parse(requestText) as {
    ConfigurationRecorder?: { recordingGroup?: { exclusionByResourceTypes?: { resourceTypes?: string[] } } };
  };
  const exclusion = request.ConfigurationRecorder?.recordingGroup?.exclusionByResourceTypes;
  if (!exclusion || exclusion.resourceTypes !== undefined) return requestText;
  exclusion.resourceTypes = [];
  return JSON.stringify(request);
}

/**
 * moto evaluates a bucket policy on object requests with no request context (moto/s3/models.py,
 * `FakeBucket.get_permission`; moto/iam/policy_conditions.py, `verify_condition` holds over no values), so a
 * Deny with any condition, such as `aws:SecureTransport` false, refuses every PutObject and DeleteObjects.
 * moto gets the policy without those statements; GetBucketPolicy answers with the policy as it was put.
 */
function withoutConditionalDenies(policyText: string): string {
  try {
    const policy = JSON.parse(policyText) as { Statement?: unknown };
    const statements = Array.isArray(policy.Statement) ? policy.Statement : [policy.Statement];
    const kept = statements.filter(
      (statement) =>
        !(
          typeof statement === "object" &&
          statement !== null &&
          (statement as { Effect?: string }).Effect === "Deny" &&
          (statement as { Condition?: unknown }).Condition !== undefined
        ),
    );
    return JSON.stringify({ ...policy, Statement: kept });
  } catch {
    return policyText;
  }
}

function approvedIdsOf(rule: ConfigRule): string[] {
  try {
    const parameters = JSON.parse(rule.InputParameters ?? "{}") as { amiIds?: string };
    return (parameters.amiIds ?? "")
      .split(",")
      .map((id) => id.trim())
      .filter((id) => id !== "");
  } catch {
    return [];
  }
}

/**
 * What Lambda reports for a function created without a LoggingConfig: plain-text logs in
 * `/aws/lambda/<name>`; JSON logs default both levels to INFO
 * (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-advanced.html).
 */
function lambdaLoggingDefaults(
  functionName: string,
  sent: Record<string, unknown> | undefined,
): Record<string, unknown> {
  const format = (sent?.LogFormat as string | undefined) ?? "Text";
  return {
    LogFormat: format,
    LogGroup: `/aws/lambda/${functionName}`,
    ...(format === "JSON" ? { ApplicationLogLevel: "INFO", SystemLogLevel: "INFO" } : {}),
    ...sent,
  };
}
