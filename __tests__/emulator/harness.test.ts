import { execFile } from "node:child_process";
import * as path from "node:path";
import { promisify } from "node:util";
import {
  ConfigServiceClient,
  type ConfigurationRecorder,
  DescribeConfigurationRecordersCommand,
  DescribeRemediationConfigurationsCommand,
  DescribeRemediationExecutionStatusCommand,
  GetComplianceDetailsByResourceCommand,
  PutConfigRuleCommand,
  PutConfigurationRecorderCommand,
  PutRemediationConfigurationsCommand,
  StartConfigRulesEvaluationCommand,
  StartRemediationExecutionCommand,
} from "@aws-sdk/client-config-service";
import {
  DescribeInstancesCommand,
  EC2Client,
  RegisterImageCommand,
  RunInstancesCommand,
} from "@aws-sdk/client-ec2";
import { CreateFunctionCommand, GetFunctionCommand, LambdaClient } from "@aws-sdk/client-lambda";
import {
  CreateBucketCommand,
  GetBucketPolicyCommand,
  PutBucketPolicyCommand,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { AwsEmulator } from "../../tools/emulator/emulator";
import { MOTO_INSTALL_HINT, MotoServer } from "../../tools/emulator/moto-server";
import { REPO_ROOT } from "./support";

const ACCOUNT = "111122223333";
const OTHER_ACCOUNT = "444455556666";
const REGION = "eu-central-1";

/** Every SDK client the tests open, destroyed at the end: an idle keep-alive socket would hold the worker open. */
const openClients: { destroy(): void }[] = [];
afterAll(() => {
  for (const client of openClients.splice(0)) client.destroy();
});

function clients(url: string, accountId: string) {
  const settings = {
    endpoint: url,
    region: REGION,
    credentials: { accessKeyId: accountId, secretAccessKey: "emulator" },
    maxAttempts: 1,
  };
  const opened = {
    config: new ConfigServiceClient(settings),
    ec2: new EC2Client(settings),
    lambda: new LambdaClient(settings),
  };
  openClients.push(...Object.values(opened));
  return opened;
}

describe("moto_server", () => {
  it("leaves no timer running in its caller once stopped, so a test process can exit when it is done", async () => {
    // Given a process of its own (a jest worker has timers of jest's) that starts moto and stops it
    const tsx = path.join(REPO_ROOT, "node_modules", "tsx", "dist", "cli.mjs");
    const script = [
      'import { MotoServer } from "./tools/emulator/moto-server";',
      "(async () => {",
      "  const moto = await MotoServer.start();",
      "  await moto.stop();",
      "  console.log(JSON.stringify(process.getActiveResourcesInfo()));",
      "})();",
    ].join("\n");
    const { stdout } = await promisify(execFile)(process.execPath, [tsx, "-e", script], { cwd: REPO_ROOT });
    // Then what is still active there once moto has stopped holds no timer
    expect(JSON.parse(stdout)).not.toContain("Timeout");
  });

  it("fails with a message naming moto_server and how to install it when it is not on PATH", async () => {
    // Given a PATH without moto_server
    const start = MotoServer.start({ env: { ...process.env, PATH: "/nonexistent" } });
    // Then starting the emulator fails, naming the tool and the install command
    await expect(start).rejects.toThrow(/moto_server/);
    await expect(MotoServer.start({ env: { ...process.env, PATH: "/nonexistent" } })).rejects.toThrow(
      MOTO_INSTALL_HINT,
    );
  });
});

describe("the emulator proxy", () => {
  let emulator: AwsEmulator;
  beforeAll(async () => {
    emulator = await AwsEmulator.start({ accountIds: [ACCOUNT, OTHER_ACCOUNT] });
  });
  afterAll(async () => {
    await emulator?.stop();
  });

  async function instanceOn(ec2: EC2Client, name: string): Promise<{ instanceId: string; imageId: string }> {
    const image = await ec2.send(
      new RegisterImageCommand({ Name: name, RootDeviceName: "/dev/xvda", Architecture: "x86_64" }),
    );
    const run = await ec2.send(
      new RunInstancesCommand({ ImageId: image.ImageId, MinCount: 1, MaxCount: 1, InstanceType: "t3.micro" }),
    );
    return { instanceId: run.Instances?.[0]?.InstanceId ?? "", imageId: image.ImageId ?? "" };
  }

  it("keeps remediation configurations, runs the stop on moto's EC2 and reports the execution", async () => {
    // Given a rule approving one image, its remediation, and an instance on another image
    const { config, ec2 } = clients(emulator.url, ACCOUNT);
    const approved = await instanceOn(ec2, "approved");
    const unapproved = await instanceOn(ec2, "unapproved");
    await config.send(
      new PutConfigRuleCommand({
        ConfigRule: {
          ConfigRuleName: "approved-amis-by-id",
          Source: { Owner: "AWS", SourceIdentifier: "APPROVED_AMIS_BY_ID" },
          Scope: { ComplianceResourceTypes: ["AWS::EC2::Instance"] },
          InputParameters: JSON.stringify({ amiIds: approved.imageId }),
        },
      }),
    );
    const put = await config.send(
      new PutRemediationConfigurationsCommand({
        RemediationConfigurations: [
          {
            ConfigRuleName: "approved-amis-by-id",
            TargetType: "SSM_DOCUMENT",
            TargetId: "AWS-StopEC2Instance",
            Parameters: { InstanceId: { ResourceValue: { Value: "RESOURCE_ID" } } },
          },
        ],
      }),
    );
    expect(put.FailedBatches).toEqual([]);
    const described = await config.send(
      new DescribeRemediationConfigurationsCommand({ ConfigRuleNames: ["approved-amis-by-id"] }),
    );
    expect(described.RemediationConfigurations?.[0]?.TargetId).toBe("AWS-StopEC2Instance");

    // Then the rule is evaluated as the managed rule is documented to
    const compliance = async (instanceId: string) =>
      (
        await config.send(
          new GetComplianceDetailsByResourceCommand({
            ResourceType: "AWS::EC2::Instance",
            ResourceId: instanceId,
          }),
        )
      ).EvaluationResults?.[0]?.ComplianceType;
    expect(await compliance(unapproved.instanceId)).toBe("NON_COMPLIANT");
    expect(await compliance(approved.instanceId)).toBe("COMPLIANT");

    // When remediation starts for the unapproved instance
    const started = await config.send(
      new StartRemediationExecutionCommand({
        ConfigRuleName: "approved-amis-by-id",
        ResourceKeys: [{ resourceType: "AWS::EC2::Instance", resourceId: unapproved.instanceId }],
      }),
    );
    expect(started.FailedItems).toEqual([]);

    // Then moto's EC2 shows it stopped, the approved one running, and the execution succeeded
    const states = await ec2.send(
      new DescribeInstancesCommand({ InstanceIds: [unapproved.instanceId, approved.instanceId] }),
    );
    const stateOf = (id: string) =>
      states.Reservations?.flatMap((r) => r.Instances ?? []).find((i) => i.InstanceId === id)?.State?.Name;
    expect(stateOf(unapproved.instanceId)).toBe("stopped");
    expect(stateOf(approved.instanceId)).toBe("running");
    const status = await config.send(
      new DescribeRemediationExecutionStatusCommand({
        ConfigRuleName: "approved-amis-by-id",
        ResourceKeys: [{ resourceType: "AWS::EC2::Instance", resourceId: unapproved.instanceId }],
      }),
    );
    expect(status.RemediationExecutionStatuses?.map((s) => s.State)).toEqual(["SUCCEEDED"]);
    await expect(
      config.send(new StartConfigRulesEvaluationCommand({ ConfigRuleNames: ["approved-amis-by-id"] })),
    ).resolves.toBeDefined();
    await expect(
      config.send(new StartConfigRulesEvaluationCommand({ ConfigRuleNames: ["no-such-rule"] })),
    ).rejects.toThrow(/no-such-rule/);
  });

  it("passes a recorder update with an empty exclusion list, which moto alone refuses", async () => {
    // Given the request the provider sends when it updates a recorder's resource types in place
    const recorder: ConfigurationRecorder = {
      name: "ami-guard",
      roleARN: `arn:aws:iam::${ACCOUNT}:role/config`,
      recordingGroup: {
        exclusionByResourceTypes: {},
        recordingStrategy: { useOnly: "INCLUSION_BY_RESOURCE_TYPES" },
        resourceTypes: ["AWS::EC2::Instance", "AWS::Config::ResourceCompliance"],
      },
    };
    // Then moto on its own refuses it, and through the proxy the recorder holds both types
    await expect(
      clients(emulator.moto.url, ACCOUNT).config.send(
        new PutConfigurationRecorderCommand({ ConfigurationRecorder: recorder }),
      ),
    ).rejects.toThrow(/recording group provided is not valid/);
    const { config } = clients(emulator.url, ACCOUNT);
    await config.send(new PutConfigurationRecorderCommand({ ConfigurationRecorder: recorder }));
    const described = await config.send(new DescribeConfigurationRecordersCommand({}));
    expect(described.ConfigurationRecorders?.[0]?.recordingGroup?.resourceTypes).toEqual(
      recorder.recordingGroup?.resourceTypes,
    );
  });

  it("keeps each account's resources apart", async () => {
    // Given a remediation in one account (the test above), another account has none and cannot start one
    const { config } = clients(emulator.url, OTHER_ACCOUNT);
    const described = await config.send(
      new DescribeRemediationConfigurationsCommand({ ConfigRuleNames: ["approved-amis-by-id"] }),
    );
    expect(described.RemediationConfigurations).toEqual([]);
    await expect(
      config.send(
        new StartRemediationExecutionCommand({
          ConfigRuleName: "approved-amis-by-id",
          ResourceKeys: [{ resourceType: "AWS::EC2::Instance", resourceId: "i-0123456789abcdef0" }],
        }),
      ),
    ).rejects.toThrow(/NoSuchRemediationConfiguration|no remediation configuration/);
  });

  it("returns the LoggingConfig a function was created with, which moto drops", async () => {
    // Given a function created with JSON logs in a log group of its own (moto wants its role to exist)
    const { lambda } = clients(emulator.url, ACCOUNT);
    const role = await fetch(emulator.url, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        authorization: `AWS4-HMAC-SHA256 Credential=${ACCOUNT}/20260101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0`,
      },
      body: new URLSearchParams({
        Action: "CreateRole",
        Version: "2010-05-08",
        RoleName: "probe",
        AssumeRolePolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            { Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" },
          ],
        }),
      }).toString(),
    });
    expect(role.status).toBe(200);
    const loggingConfig = {
      LogFormat: "JSON" as const,
      LogGroup: "/ami-guard/remediate",
      ApplicationLogLevel: "INFO" as const,
      SystemLogLevel: "WARN" as const,
    };
    await lambda.send(
      new CreateFunctionCommand({
        FunctionName: "logging-config-probe",
        Runtime: "nodejs22.x",
        Role: `arn:aws:iam::${ACCOUNT}:role/probe`,
        Handler: "index.handler",
        Code: { ZipFile: Buffer.from("UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA==", "base64") },
        LoggingConfig: loggingConfig,
      }),
    );
    // Then reading it back returns that LoggingConfig
    const read = await lambda.send(new GetFunctionCommand({ FunctionName: "logging-config-probe" }));
    expect(read.Configuration?.LoggingConfig).toEqual(loggingConfig);
  });
});

describe("the emulator proxy and bucket policies", () => {
  let emulator: AwsEmulator;
  beforeAll(async () => {
    emulator = await AwsEmulator.start({ accountIds: [ACCOUNT] });
  });
  afterAll(async () => {
    await emulator?.stop();
  });

  it("lets objects in under a Deny conditioned on insecure transport, and reads the policy back as it was put", async () => {
    // Given a bucket whose policy denies requests without TLS, as the stack's does
    const s3 = new S3Client({
      endpoint: emulator.url,
      region: REGION,
      forcePathStyle: true,
      credentials: { accessKeyId: ACCOUNT, secretAccessKey: "emulator" },
    });
    openClients.push(s3);
    const bucket = "ami-guard-config-policy-probe";
    await s3.send(
      new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: REGION } }),
    );
    const policy = JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "AWSConfigBucketPermissionsCheck",
          Effect: "Allow",
          Principal: { Service: "config.amazonaws.com" },
          Action: "s3:GetBucketAcl",
          Resource: `arn:aws:s3:::${bucket}`,
        },
        {
          Sid: "DenyInsecureTransport",
          Effect: "Deny",
          Principal: "*",
          Action: "s3:*",
          Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`],
          Condition: { Bool: { "aws:SecureTransport": "false" } },
        },
      ],
    });
    await s3.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: policy }));
    // Then a snapshot can be written (moto alone answers 403), and the policy reads back unchanged
    await expect(
      s3.send(new PutObjectCommand({ Bucket: bucket, Key: "AWSLogs/snapshot", Body: "x" })),
    ).resolves.toBeDefined();
    expect((await s3.send(new GetBucketPolicyCommand({ Bucket: bucket }))).Policy).toBe(policy);
  });
});
