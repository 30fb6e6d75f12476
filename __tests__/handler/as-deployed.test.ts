import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { parseConfig } from "../../app/config/load";
import { synthesizeAtomically } from "../../app/synth";
import {
  AwsLoopback,
  configError,
  configEvaluation,
  configJson,
  ec2Instances,
  type RecordedRequest,
} from "../../tools/loopback/aws-loopback";
import {
  type Invocation,
  invokeUnpacked,
  jsonLogLines,
  type UnpackedFunction,
  unpackZip,
} from "../../tools/loopback/deployed-function";
import {
  ACCOUNT,
  APPROVED_AMI,
  INSTANCE,
  REGION,
  RULE,
  sampleEvent,
  sampleRunningEvent,
  UNAPPROVED_AMI,
} from "./fixtures";

/**
 * The function as Terraform would deploy it: the zip synthesis wrote, unpacked and run in its own Node.js
 * process with exactly the environment the synthesized aws_lambda_function sets, against a loopback
 * server speaking the AWS wire protocols. Nothing here imports handler/ source.
 */

/**
 * The topic ARN is a Terraform reference (`${aws_sns_topic....arn}`), known only after apply; the test
 * stands in a well-formed ARN of the stack's own account and region.
 */
const FAKE_TOPIC_ARN = `arn:aws:sns:${REGION}:${ACCOUNT}:ami-guard-notifications`;

interface Deployed extends UnpackedFunction {
  readonly zipEntries: readonly string[];
  /** Runs this module instead of the handler's own (the harness's self-test). @default - the handler's */
  readonly moduleFile?: string;
}

/** The attributes of the synthesized aws_lambda_function this test reads. */
interface SynthesizedFunction {
  readonly filename: string;
  readonly handler: string;
  readonly environment: { readonly variables: Readonly<Record<string, string>> };
}

type HandlerInvocation = Invocation<{ outcome: string; instanceId?: string; reason?: string }>;

let workDir: string;
let deployed: Deployed;
let aws: AwsLoopback;

async function synthesizeAndUnpack(): Promise<Deployed> {
  const config = parseConfig({
    approvedAmiIds: [APPROVED_AMI],
    targets: [{ accountId: ACCOUNT, region: REGION, mode: "event-driven" }],
  });
  const outdir = path.join(workDir, "cdktf.out");
  const { stackNames } = await synthesizeAtomically(config, outdir);
  const stackDir = path.join(outdir, "stacks", stackNames[0] ?? "(no stack)");
  const stack = JSON.parse(readFileSync(path.join(stackDir, "cdk.tf.json"), "utf8"));
  const functions = Object.values(stack.resource?.aws_lambda_function ?? {}) as SynthesizedFunction[];
  const [fn] = functions;
  if (!fn || functions.length !== 1)
    throw new Error(`expected one aws_lambda_function, found ${functions.length}`);

  const variables: Record<string, string> = {};
  for (const [name, value] of Object.entries(fn.environment.variables)) {
    if (!value.includes("${")) variables[name] = value;
    else if (name === "AMI_GUARD_TOPIC_ARN") variables[name] = FAKE_TOPIC_ARN;
    else throw new Error(`${name} is the Terraform reference ${value}; the test has no stand-in for it`);
  }

  const codeDir = path.join(workDir, "code");
  mkdirSync(codeDir);
  const zipEntries = unpackZip(path.join(stackDir, fn.filename), codeDir);
  return { codeDir, handler: fn.handler, variables, zipEntries };
}

/** Invokes the unpacked handler once, in a fresh `node` with only the deployed variables and AWS plumbing. */
function invoke(event: unknown): Promise<HandlerInvocation> {
  return invokeUnpacked(
    deployed,
    event,
    { endpointUrl: aws.url, region: REGION },
    deployed.moduleFile ? { moduleFile: deployed.moduleFile } : {},
  );
}

function nodeModulesAbove(folder: string): string[] {
  const found: string[] = [];
  for (let current = folder; ; current = path.dirname(current)) {
    if (existsSync(path.join(current, "node_modules"))) found.push(path.join(current, "node_modules"));
    if (path.dirname(current) === current) return found;
  }
}

const START_BODY = {
  ConfigRuleName: RULE,
  ResourceKeys: [{ resourceType: "AWS::EC2::Instance", resourceId: INSTANCE }],
};

function expectStartRequest(request: RecordedRequest | undefined): void {
  expect(request).toMatchObject({
    service: "config",
    method: "POST",
    headers: expect.objectContaining({
      "x-amz-target": "StarlingDoveService.StartRemediationExecution",
      "content-type": "application/x-amz-json-1.1",
    }),
  });
  expect(request?.json).toEqual(START_BODY);
}

beforeAll(async () => {
  workDir = mkdtempSync(path.join(tmpdir(), "ami-guard-as-deployed-"));
  deployed = await synthesizeAndUnpack();
  aws = await AwsLoopback.start();
});

afterAll(async () => {
  await aws?.stop();
  rmSync(workDir, { recursive: true, force: true });
});

beforeEach(() => aws.clear());

describe("the synthesized function, unpacked and run as deployed", () => {
  it("is one index.js in the zip, and the stack sets every variable the handler reads", () => {
    expect(deployed.zipEntries).toEqual(["index.js"]);
    expect(readdirSync(deployed.codeDir)).toEqual(["index.js"]);
    // The SDK travels inside the bundle (the runtime's own SDK is not ours to choose): with no node_modules
    // anywhere above the unpacked code, every module the invocations below load comes from index.js itself.
    expect(nodeModulesAbove(deployed.codeDir)).toEqual([]);
    expect(deployed.variables).toMatchObject({
      AMI_GUARD_RULE_NAME: RULE,
      AMI_GUARD_ACCOUNT_ID: ACCOUNT,
      AMI_GUARD_REGION: REGION,
      AMI_GUARD_DRY_RUN: "false",
      AMI_GUARD_TOPIC_ARN: FAKE_TOPIC_ARN,
      AMI_GUARD_APPROVED_AMI_IDS: APPROVED_AMI,
    });
  });

  it("reads the instance, starts remediation over Config's JSON 1.1 protocol, and notifies", async () => {
    const outcome = await invoke(sampleEvent());

    expect(outcome).toMatchObject({
      ok: true,
      result: { outcome: "remediation-started", instanceId: INSTANCE },
    });
    expect(aws.requests.map((request) => `${request.service}:${request.operation}`)).toEqual([
      "ec2:DescribeInstances",
      "config:GetComplianceDetailsByResource",
      "config:StartRemediationExecution",
      // The execution is confirmed running before the start is reported.
      "config:DescribeRemediationExecutionStatus",
      "sns:Publish",
    ]);
    expect(aws.requestsFor("GetComplianceDetailsByResource")[0]?.json).toEqual({
      ResourceType: "AWS::EC2::Instance",
      ResourceId: INSTANCE,
    });
    expect(aws.requestsFor("DescribeInstances")[0]?.params).toMatchObject({
      Action: "DescribeInstances",
      "InstanceId.1": INSTANCE,
    });
    expectStartRequest(aws.requestsFor("StartRemediationExecution")[0]);
    expect(aws.requestsFor("Publish")[0]?.params).toMatchObject({ TopicArn: FAKE_TOPIC_ARN });
    // Signed with the deployment's region, as Lambda's credentials would be.
    expect(aws.requests[2]?.headers.authorization).toContain(`/${REGION}/config/aws4_request`);
  });

  it("writes JSON log lines with the decision and keys, and EMF metrics in the stack's namespace", async () => {
    const { stdout } = await invoke(sampleEvent());
    const lines = jsonLogLines(stdout);
    expect(lines).toContainEqual(
      expect.objectContaining({
        decision: "remediated",
        rule: RULE,
        instanceId: INSTANCE,
        eventId: sampleEvent().id,
        service: "ami-guard",
      }),
    );
    const emf = lines.find((line) => "_aws" in line);
    expect(emf).toMatchObject({
      RemediationsStarted: 1,
      _aws: { CloudWatchMetrics: [expect.objectContaining({ Namespace: "AmiGuard" })] },
    });
  });

  it("retries a ThrottlingException on the wire and then succeeds", async () => {
    aws.enqueue("StartRemediationExecution", configError("ThrottlingException", "Rate exceeded"));

    const outcome = await invoke(sampleEvent());

    expect(outcome).toMatchObject({ ok: true, result: { outcome: "remediation-started" } });
    const starts = aws.requestsFor("StartRemediationExecution");
    expect(starts).toHaveLength(2);
    for (const start of starts) expectStartRequest(start);
    expect(starts[1]?.headers["amz-sdk-request"]).toMatch(/attempt=2/);
  });

  it("fails the invocation when Config reports the started execution FAILED, naming the step", async () => {
    // Given Config accepts the start and then reports the execution failed at initialisation
    aws.enqueue(
      "DescribeRemediationExecutionStatus",
      configJson({
        RemediationExecutionStatuses: [
          {
            ResourceKey: START_BODY.ResourceKeys[0],
            State: "FAILED",
            InvocationTime: Date.now() / 1000,
            StepDetails: [{ Name: "Initialization", State: "FAILED", ErrorMessage: "AccessDenied" }],
          },
        ],
      }),
    );
    // When the deployed function handles the event
    const outcome = await invoke(sampleEvent());
    // Then the invocation fails, so Lambda retries and the failure queue's alarm follows
    expect(outcome).toMatchObject({ ok: false, error: { name: "RemediationExecutionFailedError" } });
    expect(outcome.error?.message).toContain("Initialization: AccessDenied");
    const published = aws.requestsFor("Publish")[0]?.params?.Message ?? "{}";
    expect(JSON.parse(published)).toMatchObject({ outcome: "failed", instanceId: INSTANCE });
  });

  it("fails the invocation on FailedItems, after checking no execution is running, and notifies", async () => {
    aws.enqueue(
      "StartRemediationExecution",
      configJson({ FailedItems: [START_BODY.ResourceKeys[0]], FailureMessage: "could not start" }),
    );

    const outcome = await invoke(sampleEvent());

    expect(outcome).toMatchObject({ ok: false, error: { name: "RemediationRefusedError" } });
    expect(outcome.error?.message).toContain("could not start");
    expect(aws.requestsFor("DescribeRemediationExecutionStatus")[0]?.json).toEqual(START_BODY);
    const published = aws.requestsFor("Publish")[0]?.params?.Message ?? "{}";
    expect(JSON.parse(published)).toMatchObject({ outcome: "failed", instanceId: INSTANCE });
  });

  it("counts the refusal of a duplicate as success while the first execution runs", async () => {
    aws.enqueue("StartRemediationExecution", configJson({ FailedItems: [START_BODY.ResourceKeys[0]] }));
    aws.enqueue(
      "DescribeRemediationExecutionStatus",
      configJson({
        RemediationExecutionStatuses: [{ ResourceKey: START_BODY.ResourceKeys[0], State: "IN_PROGRESS" }],
      }),
    );
    const outcome = await invoke(sampleEvent());
    expect(outcome).toMatchObject({ ok: true, result: { outcome: "remediation-already-running" } });
  });

  it("skips a stale event, whose instance runs an AMI approved since, with one log line and a metric", async () => {
    // Given a redriven NON_COMPLIANT event for an instance whose AMI the deployed list now approves
    aws.enqueue("DescribeInstances", ec2Instances([{ instanceId: INSTANCE, imageId: APPROVED_AMI }]));
    // When the deployed function handles it
    const outcome = await invoke(sampleEvent());
    // Then it asks EC2 only, starts nothing, and says why in one structured line and a metric
    expect(outcome).toMatchObject({ ok: true, result: { outcome: "approved-since", instanceId: INSTANCE } });
    expect(aws.requests.map((request) => `${request.service}:${request.operation}`)).toEqual([
      "ec2:DescribeInstances",
    ]);
    const lines = jsonLogLines(outcome.stdout);
    expect(lines.filter((line) => line.decision === "approved-since")).toEqual([
      expect.objectContaining({ imageId: APPROVED_AMI, instanceId: INSTANCE, rule: RULE }),
    ]);
    expect(lines.find((line) => "_aws" in line)).toMatchObject({ ApprovedSinceSkips: 1 });
  });

  it("stops nothing and fails the invocation when Config calls an unapproved instance COMPLIANT", async () => {
    // Given an instance on an unapproved AMI that Config's current result calls COMPLIANT
    aws.enqueue("DescribeInstances", ec2Instances([{ instanceId: INSTANCE, imageId: UNAPPROVED_AMI }]));
    aws.enqueue("GetComplianceDetailsByResource", configEvaluation(RULE, INSTANCE, "COMPLIANT"));
    // When
    const outcome = await invoke(sampleEvent());
    // Then the disagreement fails the invocation (failure queue, alarm) and no remediation starts
    expect(outcome).toMatchObject({ ok: false, error: { name: "ComplianceDisagreementError" } });
    expect(outcome.error?.message).toContain(UNAPPROVED_AMI);
    expect(aws.requestsFor("StartRemediationExecution")).toEqual([]);
  });

  it("stops an unapproved instance started again, on EC2's running-state event, when Config still calls it NON_COMPLIANT", async () => {
    // Given the recorded EC2 state-change event for an unapproved instance entering running
    // When the deployed function handles it
    const outcome = await invoke(sampleRunningEvent());
    // Then Config is asked first, and the rest is a compliance change's path, under the deployed rule
    expect(outcome).toMatchObject({
      ok: true,
      result: { outcome: "remediation-started", instanceId: INSTANCE },
    });
    expect(aws.requests.map((request) => `${request.service}:${request.operation}`)).toEqual([
      "config:GetComplianceDetailsByResource",
      "ec2:DescribeInstances",
      "config:StartRemediationExecution",
      "config:DescribeRemediationExecutionStatus",
      "sns:Publish",
    ]);
    expectStartRequest(aws.requestsFor("StartRemediationExecution")[0]);
  });

  it("does nothing for a started instance Config has not evaluated yet, with one log line and a metric", async () => {
    // Given a new instance on an unapproved AMI, with no result of the rule yet
    aws.enqueue("GetComplianceDetailsByResource", configJson({ EvaluationResults: [] }));
    // When
    const outcome = await invoke(sampleRunningEvent());
    // Then it succeeds after one call to Config, reads nothing of EC2, starts nothing, and says why
    expect(outcome).toMatchObject({
      ok: true,
      result: { outcome: "not-non-compliant", instanceId: INSTANCE },
    });
    expect(aws.requests.map((request) => `${request.service}:${request.operation}`)).toEqual([
      "config:GetComplianceDetailsByResource",
    ]);
    const lines = jsonLogLines(outcome.stdout);
    expect(lines.filter((line) => line.decision === "not-non-compliant")).toEqual([
      expect.objectContaining({ trigger: "instance-running", instanceId: INSTANCE, rule: RULE }),
    ]);
    expect(lines.find((line) => "_aws" in line)).toMatchObject({ RunningNotNonCompliant: 1 });
  });

  it("counts a started instance Config calls COMPLIANT as an approved launch, not as approved since", async () => {
    // Given an approved instance started, which Config has evaluated
    aws.enqueue("GetComplianceDetailsByResource", configEvaluation(RULE, INSTANCE, "COMPLIANT"));
    // When
    const outcome = await invoke(sampleRunningEvent());
    // Then one call to Config, one line, and its own metric
    expect(outcome).toMatchObject({ ok: true, result: { outcome: "approved-launch", instanceId: INSTANCE } });
    expect(aws.requests.map((request) => `${request.service}:${request.operation}`)).toEqual([
      "config:GetComplianceDetailsByResource",
    ]);
    const emf = jsonLogLines(outcome.stdout).find((line) => "_aws" in line);
    expect(emf).toMatchObject({ ApprovedLaunches: 1 });
    expect(emf).not.toHaveProperty("ApprovedSinceSkips");
  });

  it("leaves an Auto Scaling group's instance running with a log line naming the group, and no message", async () => {
    // Given a NON_COMPLIANT instance launched by a group
    aws.enqueue(
      "DescribeInstances",
      ec2Instances([
        { instanceId: INSTANCE, imageId: UNAPPROVED_AMI, tags: { "aws:autoscaling:groupName": "web" } },
      ]),
    );
    // When its compliance change arrives
    const outcome = await invoke(sampleEvent());
    // Then nothing is published: the stack's alarm on the count notifies instead
    expect(outcome).toMatchObject({ ok: true, result: { outcome: "guarded", reason: "auto-scaling-group" } });
    expect(aws.requestsFor("Publish")).toEqual([]);
    expect(jsonLogLines(outcome.stdout)).toContainEqual(
      expect.objectContaining({ decision: "guarded", autoScalingGroup: "web", instanceId: INSTANCE }),
    );
  });

  it("makes no request at all for an event about another rule", async () => {
    const outcome = await invoke(sampleEvent({ rule: "someone-elses-rule" }));
    expect(outcome).toMatchObject({ ok: true, result: { outcome: "ignored", reason: "other-rule" } });
    expect(aws.requests).toEqual([]);
  });
});

// Keeps the child's environment honest: nothing from this process leaks into the deployed handler.
describe("the test harness itself", () => {
  it("hands the child only the deployed variables and the AWS plumbing", async () => {
    const probe = path.join(workDir, "env-probe.js");
    writeFileSync(
      probe,
      "exports.handler = async () => ({ outcome: Object.keys(process.env).sort().join(',') });",
    );
    const original = deployed;
    deployed = { ...deployed, moduleFile: probe };
    try {
      const outcome = await invoke({});
      const expected = [
        ...Object.keys(original.variables),
        "AWS_ACCESS_KEY_ID",
        "AWS_ENDPOINT_URL",
        "AWS_REGION",
        "AWS_SECRET_ACCESS_KEY",
      ].sort();
      expect(outcome.result?.outcome.split(",")).toEqual(expected);
    } finally {
      deployed = original;
    }
  });
});
