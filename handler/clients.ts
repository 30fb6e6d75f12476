import { ConfigServiceClient } from "@aws-sdk/client-config-service";
import { EC2Client } from "@aws-sdk/client-ec2";
import { SNSClient } from "@aws-sdk/client-sns";
import { SSMClient } from "@aws-sdk/client-ssm";

/** The SDK clients the handler uses, in one place so tests can hand in mocked or loopback-bound ones. */
export interface AwsClients {
  readonly config: ConfigServiceClient;
  readonly ec2: EC2Client;
  readonly sns: SNSClient;
  /** Reads whose run a failed stop was; only pipelines that route failed runs through the function call it. */
  readonly ssm?: SSMClient;
}

/**
 * Three attempts in the SDK's standard mode: throttling and transient errors are retried with jittered
 * backoff, and a call that still fails is given back to Lambda, whose own asynchronous retries come
 * minutes later. More attempts here would only spend the 30 s timeout.
 */
const SDK_MAX_ATTEMPTS = 3;

/** Where a tool runs the clients instead: one endpoint for every service, and fixed credentials. */
export interface ClientConnection {
  readonly endpoint: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

/**
 * Endpoints come from the SDK's usual sources, including AWS_ENDPOINT_URL, which the loopback tests use.
 * @param connection @default - the SDK's own sources (Lambda's role and endpoints); the storm passes the
 * loopback server's, so it runs these same clients in process without touching the environment
 */
export function createAwsClients(region: string, connection?: ClientConnection): AwsClients {
  const options = {
    region,
    maxAttempts: SDK_MAX_ATTEMPTS,
    retryMode: "standard",
    ...(connection ? { endpoint: connection.endpoint, credentials: { ...connection.credentials } } : {}),
  } as const;
  return {
    config: new ConfigServiceClient(options),
    ec2: new EC2Client(options),
    sns: new SNSClient(options),
    ssm: new SSMClient(options),
  };
}
