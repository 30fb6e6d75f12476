import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { ConfigServiceClient, GetComplianceDetailsByResourceCommand } from "@aws-sdk/client-config-service";
import {
  DescribeInstancesCommand,
  EC2Client,
  RegisterImageCommand,
  RunInstancesCommand,
  TerminateInstancesCommand,
} from "@aws-sdk/client-ec2";
import { GetFunctionConfigurationCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { fillSampleEvent, readSampleEventTemplate } from "../drill/sample-event";
import { invokeUnpacked, jsonLogLines, unpackZip } from "../loopback/deployed-function";
import type { AwsEmulator } from "./emulator";
import type { RemediationExecution } from "./emulator-proxy";

/** One instance launched in the emulator's EC2, and what became of it. */
export interface WalkedInstance {
  readonly label: "unapproved" | "approved";
  readonly instanceId: string;
  readonly imageId: string;
  /** What the emulator's evaluation of the Config rule said. */
  readonly compliance: string;
  /** The function's decision line (`remediation-started`, `ignored`, …), as it logged it. */
  readonly decision: string;
  /** The instance's state after the function ran. */
  readonly finalState: string;
}

export interface Walkthrough {
  readonly instances: readonly WalkedInstance[];
  /** The remediation runs the function started, as Config's stand-in ran them. */
  readonly executions: readonly RemediationExecution[];
}

interface LambdaFunctionJson {
  readonly function_name: string;
  readonly filename: string;
}

interface ConfigRuleJson {
  readonly name: string;
}

/** The deployed function's name and zip, and the rule's name, from the applied stack's configuration. */
function stackParts(stackDir: string): { fn: LambdaFunctionJson; ruleName: string } {
  const stack = JSON.parse(readFileSync(path.join(stackDir, "cdk.tf.json"), "utf8")) as {
    resource?: {
      aws_lambda_function?: Record<string, LambdaFunctionJson>;
      aws_config_config_rule?: Record<string, ConfigRuleJson>;
    };
  };
  const fn = Object.values(stack.resource?.aws_lambda_function ?? {})[0];
  const rule = Object.values(stack.resource?.aws_config_config_rule ?? {})[0];
  if (!fn || !rule) throw new Error(`${stackDir} has no remediation function (only event-driven stacks do)`);
  return { fn, ruleName: rule.name };
}

export interface WalkthroughOptions {
  readonly emulator: AwsEmulator;
  readonly accountId: string;
  readonly region: string;
  /** The applied stack's working copy (EmulatedStack.dir). */
  readonly stackDir: string;
  /** An AMI the configuration approves; the other instance runs a freshly registered image. */
  readonly approvedAmiId: string;
}

/**
 * Launches an instance from an unregistered build (unapproved) and one from an approved AMI in the
 * emulator's EC2, then does what AWS would: Config evaluates each (the proxy evaluates the managed rule),
 * EventBridge hands the compliance-change event to the function, which runs from its zip with the
 * environment read back from the emulator's Lambda, and Config's remediation stops what it is asked to.
 */
export async function launchAndRemediate(options: WalkthroughOptions): Promise<Walkthrough> {
  const { emulator, accountId, region } = options;
  const settings = {
    endpoint: emulator.url,
    region,
    credentials: { accessKeyId: accountId, secretAccessKey: "emulator" },
    maxAttempts: 2,
  };
  const ec2 = new EC2Client(settings);
  const config = new ConfigServiceClient(settings);
  const lambda = new LambdaClient(settings);
  const { fn, ruleName } = stackParts(options.stackDir);

  const built = await ec2.send(
    new RegisterImageCommand({
      Name: `weekly-build-${Date.now()}`,
      RootDeviceName: "/dev/xvda",
      Architecture: "x86_64",
    }),
  );
  const launch = async (imageId: string) => {
    const run = await ec2.send(
      new RunInstancesCommand({ ImageId: imageId, MinCount: 1, MaxCount: 1, InstanceType: "t3.micro" }),
    );
    const id = run.Instances?.[0]?.InstanceId;
    if (!id) throw new Error(`the emulator launched no instance from ${imageId}`);
    return id;
  };
  const launched = [
    {
      label: "unapproved" as const,
      imageId: built.ImageId ?? "",
      instanceId: await launch(built.ImageId ?? ""),
    },
    {
      label: "approved" as const,
      imageId: options.approvedAmiId,
      instanceId: await launch(options.approvedAmiId),
    },
  ];

  const deployed = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: fn.function_name }));
  const codeDir = mkdtempSync(path.join(tmpdir(), "ami-guard-walkthrough-"));
  const executionsBefore = emulator.proxy.executions.length;
  try {
    unpackZip(path.resolve(options.stackDir, fn.filename), codeDir);
    const template = readSampleEventTemplate();
    const results: WalkedInstance[] = [];
    for (const instance of launched) {
      const evaluated = await config.send(
        new GetComplianceDetailsByResourceCommand({
          ResourceType: "AWS::EC2::Instance",
          ResourceId: instance.instanceId,
        }),
      );
      const compliance =
        evaluated.EvaluationResults?.find(
          (result) =>
            result.EvaluationResultIdentifier?.EvaluationResultQualifier?.ConfigRuleName === ruleName,
        )?.ComplianceType ?? "NOT_APPLICABLE";
      const event = fillSampleEvent(template, {
        account: accountId,
        region,
        rule: ruleName,
        instance: instance.instanceId,
      });
      (
        (event.detail as Record<string, unknown>).newEvaluationResult as Record<string, unknown>
      ).complianceType = compliance;
      const invocation = await invokeUnpacked(
        {
          codeDir,
          handler: deployed.Handler ?? "index.handler",
          variables: deployed.Environment?.Variables ?? {},
        },
        event,
        { endpointUrl: emulator.url, region, accessKeyId: accountId },
        { timeoutMs: 120_000 },
      );
      if (!invocation.ok) {
        throw new Error(
          `the function failed on ${instance.instanceId}: ${invocation.error?.message}\n${invocation.stdout}`,
        );
      }
      const decision = jsonLogLines(invocation.stdout)
        .map((line) => line.decision)
        .filter((value): value is string => typeof value === "string")
        .pop();
      results.push({ ...instance, compliance, decision: decision ?? "(none logged)", finalState: "" });
    }
    const described = await ec2.send(
      new DescribeInstancesCommand({ InstanceIds: launched.map((instance) => instance.instanceId) }),
    );
    const stateOf = (id: string) =>
      described.Reservations?.flatMap((r) => r.Instances ?? []).find((i) => i.InstanceId === id)?.State
        ?.Name ?? "unknown";
    return {
      instances: results.map((result) => ({ ...result, finalState: stateOf(result.instanceId) })),
      executions: emulator.proxy.executions.slice(executionsBefore),
    };
  } finally {
    rmSync(codeDir, { recursive: true, force: true });
  }
}

/** Terminates what the walkthrough launched, so the account holds only what the stack made. */
export async function terminateInstances(
  emulator: AwsEmulator,
  accountId: string,
  region: string,
  instanceIds: readonly string[],
): Promise<void> {
  if (instanceIds.length === 0) return;
  const ec2 = new EC2Client({
    endpoint: emulator.url,
    region,
    credentials: { accessKeyId: accountId, secretAccessKey: "emulator" },
  });
  await ec2.send(new TerminateInstancesCommand({ InstanceIds: [...instanceIds] }));
}
