import { runSimulation, type Simulation } from "@cloud-copilot/iam-simulate";
import { logsServicePrincipal } from "../../lib/kms";
import { partitionOf } from "../../lib/regions";
import { type Bindings, requestContext } from "../../lib/service-behaviour";
import {
  type PolicyDocument,
  type RolePolicies,
  resourcePolicyOf,
  roleNamed,
  type StackPolicies,
  type TerraformJson,
} from "./terraform-policies";

/** Another account, for the paths that must be refused. */
const OTHER_ACCOUNT = "999999999999";

type Expected = "Allowed" | "Denied";

/** One request AWS would authorize at run time, with the policies that apply to it. */
export interface PermissionPath {
  readonly id: string;
  /** The service-condition-keys.json row the request context comes from. */
  readonly behaviour: string;
  readonly expect: Expected;
  readonly principal: string;
  readonly action: string;
  readonly resource: string;
  readonly identityPolicies: readonly PolicyDocument[];
  readonly resourcePolicy?: PolicyDocument;
  readonly context: Record<string, string>;
}

type Block = Record<string, unknown>;

const assumedRoleOf = (policies: StackPolicies, role: RolePolicies, sessionName: string) =>
  `arn:${partitionOf(policies.identity.region)}:sts::${policies.identity.accountId}:assumed-role/${role.name}/${sessionName}`;

/** Role name prefixes the constructs use; the paths fail loudly when a stack has the resource but not the role. */
const FUNCTION_ROLE = "ami-guard-function-";
const CONFIG_ROLE = "ami-guard-config-";
const AUTOMATION_ROLE = "ami-guard-remediation-";
const REEVALUATION_ROLE = "ami-guard-reevaluation-";

/**
 * Every runtime path of a stack (each must be allowed) and every abuse path (each must be denied),
 * read from what the stack deploys: its function, event targets, alarms, log groups, recorder and
 * remediation.
 */
export function permissionPaths(stack: TerraformJson, policies: StackPolicies): PermissionPath[] {
  const { accountId: account, region } = policies.identity;
  const partition = partitionOf(region);
  const resolver = policies.resolver;
  const resources = (type: string): [string, Block][] => Object.entries(stack.resource[type] ?? {});
  const arnOf = (reference: unknown) => resolver.resolve(String(reference));
  const paths: PermissionPath[] = [];
  const add = (path: PermissionPath) => paths.push(path);
  const resourcePolicy = (arn: string) => resourcePolicyOf(policies, arn);
  const otherAccount = (arn: string) => arn.replace(`:${account}:`, `:${OTHER_ACCOUNT}:`);
  /**
   * Calls made with a service role's credentials (the runbook's, the re-evaluation's),
   * over HTTPS, from this account; not a function, so without the function's lambda:SourceFunctionArn.
   */
  const addRoleCalls = (
    who: string,
    assumedRole: string,
    role: { readonly inline: PermissionPath["identityPolicies"] },
    calls: readonly (readonly [string, string, string, Expected])[],
  ) => {
    for (const [what, action, resource, expect] of calls) {
      add({
        id: `${who} ${what}`,
        behaviour: "function-calls-aws",
        expect,
        principal: assumedRole,
        action,
        resource,
        identityPolicies: role.inline,
        context: { "aws:PrincipalAccount": account, "aws:SecureTransport": "true" },
      });
    }
  };

  // The function: its own calls, Lambda assuming its role, its destination, its logs.
  for (const [name, fn] of resources("aws_lambda_function")) {
    const functionArn = resolver.attribute("aws_lambda_function", name, "arn");
    const role = roleNamed(policies, FUNCTION_ROLE);
    if (!role) throw new Error(`${functionArn} has no ${FUNCTION_ROLE}* role`);
    const assumedRole = assumedRoleOf(policies, role, String(fn.function_name));
    const calls: Bindings = { account, "function-arn": functionArn };
    const asFunction = (
      id: string,
      action: string,
      resource: string,
      behaviour = "function-calls-aws",
      expect: Expected = "Allowed",
      bindings = calls,
    ) =>
      add({
        id,
        behaviour,
        expect,
        principal: assumedRole,
        action,
        resource,
        identityPolicies: role.inline,
        resourcePolicy: resourcePolicy(resource),
        context: requestContext(behaviour, bindings),
      });
    const environment = ((fn.environment as Block | undefined)?.variables ?? {}) as Record<string, string>;
    const ruleName = Object.values(stack.resource.aws_config_config_rule ?? {})[0]?.name ?? "ami-guard";
    asFunction("function starts remediation", "config:StartRemediationExecution", "*");
    asFunction(
      "function reads remediation status",
      "config:DescribeRemediationExecutionStatus",
      `arn:${partition}:config:${region}:${account}:remediation-configuration/${String(ruleName)}/a1b2c3d4`,
    );
    asFunction("function reads instances", "ec2:DescribeInstances", "*");
    // Config starts the runbook with its own service-linked role; the function holds no SSM or PassRole
    // right (lib/remediation-caller.ts). StartAutomationExecution is refused on each resource type the Service
    // Authorization Reference gives it. An AWS-owned runbook's ARNs carry no account, a form the engine
    // cannot match against the reference's ARN templates, so these name the account; the policy tests
    // check that no statement grants the action at all.
    const ssmArn = (resource: string) => `arn:${partition}:ssm:${region}:${account}:${resource}`;
    for (const [what, resource] of [
      ["the stop runbook's document", ssmArn("document/AWS-StopEC2Instance")],
      ["the stop runbook's definition", ssmArn("automation-definition/AWS-StopEC2Instance:$DEFAULT")],
      ["an automation execution", ssmArn("automation-execution/0123abcd-0123-4567-89ab-0123456789ab")],
    ] as const) {
      asFunction(
        `function cannot start an automation itself (${what})`,
        "ssm:StartAutomationExecution",
        resource,
        "function-calls-aws",
        "Denied",
      );
    }
    const automationRole = policies.roles.find((candidate) => candidate.name.startsWith(AUTOMATION_ROLE));
    if (automationRole) {
      asFunction(
        "function cannot pass the automation role to ssm.amazonaws.com",
        "iam:PassRole",
        automationRole.arn,
        "function-passes-automation-role",
        "Denied",
        { ...calls, "passed-to-service": "ssm.amazonaws.com" },
      );
    }
    asFunction(
      "function cannot pass its own role",
      "iam:PassRole",
      role.arn,
      "function-passes-automation-role",
      "Denied",
      { ...calls, "passed-to-service": "ssm.amazonaws.com" },
    );
    for (const value of Object.values(environment)) {
      if (!value.includes("aws_sns_topic.")) continue;
      const topicArn = arnOf(value);
      asFunction("function publishes to the topic", "sns:Publish", topicArn);
      const topicKey = topicKeyArn(stack, resolver, topicArn);
      for (const action of ["kms:GenerateDataKey", "kms:Decrypt"]) {
        asFunction(
          `function's publish uses the topic key (${action})`,
          action,
          topicKey,
          "function-uses-topic-key",
          "Allowed",
          {
            ...calls,
            "sns-endpoint": `sns.${region}.amazonaws.com`,
          },
        );
      }
    }
    for (const [, config] of resources("aws_lambda_function_event_invoke_config")) {
      const destination = (config.destination_config as Block | undefined)?.on_failure as Block | undefined;
      if (destination?.destination)
        asFunction(
          "function's on_failure destination receives the event",
          "sqs:SendMessage",
          arnOf(destination.destination),
          "function-destination-sends",
        );
    }
    const logGroup = (fn.logging_config as Block | undefined)?.log_group;
    if (logGroup) {
      const stream = `arn:${partition}:logs:${region}:${account}:log-group:${arnOf(logGroup)}:log-stream:2026/01/01/[$LATEST]0123456789abcdef`;
      asFunction("function creates its log stream", "logs:CreateLogStream", stream);
      asFunction("function writes its logs", "logs:PutLogEvents", stream);
    }
    for (const action of ["ec2:StopInstances", "ec2:TerminateInstances"]) {
      asFunction(
        `function cannot call ${action} itself`,
        action,
        `arn:${partition}:ec2:${region}:${account}:instance/i-0123456789abcdef0`,
        "function-calls-aws",
        "Denied",
      );
    }
    add({
      id: "Lambda assumes the function role",
      behaviour: "lambda-assumes-function-role",
      expect: "Allowed",
      principal: "lambda.amazonaws.com",
      action: "sts:AssumeRole",
      resource: role.arn,
      identityPolicies: [],
      resourcePolicy: role.trust,
      context: requestContext("lambda-assumes-function-role", { account }),
    });
  }

  // EventBridge: every target it invokes or publishes to, and every dead-letter queue.
  for (const [, target] of resources("aws_cloudwatch_event_target")) {
    const ruleArn = arnOf(String(target.rule).replace(/\.name\}$/, ".arn}"));
    const targetArn = arnOf(target.arn);
    const bound = (sourceArn: string) => ({ account, "source-arn": sourceArn });
    const sources: [string, string, Expected][] = [
      ["its rule", ruleArn, "Allowed"],
      ["another rule", ruleArn.replace(/rule\/.*$/, "rule/someone-elses-rule"), "Denied"],
      ["the same rule name in another account", otherAccount(ruleArn), "Denied"],
    ];
    const service = targetArn.split(":")[2];
    for (const [who, sourceArn, expect] of sources) {
      if (service === "lambda") {
        add({
          id: `EventBridge invokes the function from ${who}`,
          behaviour: "eventbridge-invokes-function",
          expect,
          principal: "events.amazonaws.com",
          action: "lambda:InvokeFunction",
          resource: targetArn,
          identityPolicies: [],
          resourcePolicy: resourcePolicy(targetArn),
          context: requestContext("eventbridge-invokes-function", bound(sourceArn)),
        });
      } else if (service === "sns") {
        add({
          id: `EventBridge publishes to the topic from ${who}`,
          behaviour: "eventbridge-publishes",
          expect,
          principal: "events.amazonaws.com",
          action: "sns:Publish",
          resource: targetArn,
          identityPolicies: [],
          resourcePolicy: resourcePolicy(targetArn),
          context: requestContext("eventbridge-publishes", bound(sourceArn)),
        });
      } else {
        throw new Error(`no paths are written for an EventBridge target of service ${service}`);
      }
      const queue = (target.dead_letter_config as Block | undefined)?.arn;
      if (queue) {
        const queueArn = arnOf(queue);
        add({
          id: `EventBridge dead-letters ${ruleArn.split("/").pop()} from ${who}`,
          behaviour: "eventbridge-dead-letters",
          expect,
          principal: "events.amazonaws.com",
          action: "sqs:SendMessage",
          resource: queueArn,
          identityPolicies: [],
          resourcePolicy: resourcePolicy(queueArn),
          context: requestContext("eventbridge-dead-letters", bound(sourceArn)),
        });
      }
    }
    if (service === "sns") {
      const key = topicKeyArn(stack, resolver, targetArn);
      for (const action of ["kms:GenerateDataKey", "kms:Decrypt"]) {
        add({
          id: `EventBridge's publish uses the topic key (${action})`,
          behaviour: "eventbridge-uses-topic-key",
          expect: "Allowed",
          principal: "events.amazonaws.com",
          action,
          resource: key,
          identityPolicies: [],
          resourcePolicy: resourcePolicy(key),
          context: requestContext("eventbridge-uses-topic-key", bound(ruleArn)),
        });
      }
    }
  }

  // CloudWatch alarms: every alarm action that publishes to a topic.
  for (const [name, alarm] of resources("aws_cloudwatch_metric_alarm")) {
    const alarmArn = resolver.attribute("aws_cloudwatch_metric_alarm", name, "arn");
    const topics = new Set(
      [...((alarm.alarm_actions as string[]) ?? []), ...((alarm.ok_actions as string[]) ?? [])].map(arnOf),
    );
    for (const topicArn of topics) {
      const key = topicKeyArn(stack, resolver, topicArn);
      const cases: [string, Bindings, Expected][] = [
        ["", { account, "source-arn": alarmArn }, "Allowed"],
        [" from another account", { account: OTHER_ACCOUNT, "source-arn": otherAccount(alarmArn) }, "Denied"],
      ];
      for (const [suffix, bindings, expect] of cases) {
        add({
          id: `alarm ${alarmArn.split(":").pop()} publishes${suffix}`,
          behaviour: "alarm-publishes",
          expect,
          principal: "cloudwatch.amazonaws.com",
          action: "sns:Publish",
          resource: topicArn,
          identityPolicies: [],
          resourcePolicy: resourcePolicy(topicArn),
          context: requestContext("alarm-publishes", bindings),
        });
        for (const action of ["kms:GenerateDataKey", "kms:Decrypt"]) {
          add({
            id: `alarm ${alarmArn.split(":").pop()}'s publish uses the topic key (${action})${suffix}`,
            behaviour: "alarm-uses-topic-key",
            expect,
            principal: "cloudwatch.amazonaws.com",
            action,
            resource: key,
            identityPolicies: [],
            resourcePolicy: resourcePolicy(key),
            context: requestContext("alarm-uses-topic-key", bindings),
          });
        }
      }
    }
  }

  // CloudWatch Logs: every log group encrypted with a key.
  for (const [name, group] of resources("aws_cloudwatch_log_group")) {
    if (!group.kms_key_id) continue;
    const key = arnOf(group.kms_key_id);
    const groupArn = resolver.attribute("aws_cloudwatch_log_group", name, "arn");
    const cases: [string, string, Expected][] = [
      ["its log group", groupArn, "Allowed"],
      ["another log group", `${groupArn}-other`, "Denied"],
    ];
    for (const [who, contextArn, expect] of cases) {
      for (const action of ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey"]) {
        add({
          id: `CloudWatch Logs uses the key for ${who} (${action})`,
          behaviour: "logs-uses-key",
          expect,
          principal: logsServicePrincipal(region),
          action,
          resource: key,
          identityPolicies: [],
          resourcePolicy: resourcePolicy(key),
          context: requestContext("logs-uses-key", { "log-group-arn": contextArn }),
        });
      }
    }
  }

  // AWS Config: assuming its role, then checking and writing its bucket.
  for (const [, recorder] of resources("aws_config_configuration_recorder")) {
    const roleArn = arnOf(recorder.role_arn);
    const role = policies.roles.find((r) => r.arn === roleArn && r.name.startsWith(CONFIG_ROLE));
    if (!role) throw new Error(`the recorder's role ${roleArn} is not a ${CONFIG_ROLE}* role of the stack`);
    for (const [who, sourceAccount, expect] of [
      ["", account, "Allowed"],
      [" for another account", OTHER_ACCOUNT, "Denied"],
    ] as const) {
      add({
        id: `Config assumes its role${who}`,
        behaviour: "config-assumes-role",
        expect,
        principal: "config.amazonaws.com",
        action: "sts:AssumeRole",
        resource: role.arn,
        identityPolicies: [],
        resourcePolicy: role.trust,
        context: requestContext("config-assumes-role", { account: sourceAccount }),
      });
    }
  }
  for (const [, channel] of resources("aws_config_delivery_channel")) {
    const bucketName = arnOf(channel.s3_bucket_name);
    const bucketArn = `arn:${partition}:s3:::${bucketName}`;
    const policy = resourcePolicy(bucketArn);
    const objectArn = `${bucketArn}/AWSLogs/${account}/Config/${region}/2026/1/1/ConfigSnapshot/snapshot.json.gz`;
    const delivery: [string, string, Record<string, string>][] = [
      ["s3:GetBucketAcl", bucketArn, {}],
      ["s3:ListBucket", bucketArn, {}],
      ["s3:PutObject", objectArn, { "s3:x-amz-acl": "bucket-owner-full-control" }],
    ];
    for (const [action, resource, request] of delivery) {
      const context = { ...requestContext("config-delivers", { account }), ...request };
      const base = {
        behaviour: "config-delivers",
        principal: "config.amazonaws.com",
        action,
        resource,
        identityPolicies: [],
        resourcePolicy: policy,
      };
      add({ ...base, id: `Config delivery: ${action}`, expect: "Allowed", context });
      add({
        ...base,
        id: `Config delivery for another account: ${action}`,
        expect: "Denied",
        context: { ...context, "aws:SourceAccount": OTHER_ACCOUNT },
      });
      add({
        ...base,
        id: `Config delivery without TLS: ${action}`,
        expect: "Denied",
        context: { ...context, "aws:SecureTransport": "false" },
      });
    }
  }

  // SSM Automation: assuming the remediation role and stopping instances.
  for (const [, remediation] of resources("aws_config_remediation_configuration")) {
    const parameters = (remediation.parameter as { name: string; static_value?: string }[]) ?? [];
    const roleArn = arnOf(parameters.find((p) => p.name === "AutomationAssumeRole")?.static_value);
    const role = policies.roles.find((r) => r.arn === roleArn && r.name.startsWith(AUTOMATION_ROLE));
    if (!role)
      throw new Error(`the remediation's role ${roleArn} is not a ${AUTOMATION_ROLE}* role of the stack`);
    const execution = `arn:${partition}:ssm:${region}:${account}:automation-execution/0b1e5c7a-2d3f-4a5b-8c6d-7e8f9a0b1c2d`;
    for (const [who, bindings, expect] of [
      ["", { account, "source-arn": execution }, "Allowed"],
      [" for another account", { account: OTHER_ACCOUNT, "source-arn": otherAccount(execution) }, "Denied"],
    ] as const) {
      add({
        id: `SSM Automation assumes the remediation role${who}`,
        behaviour: "ssm-assumes-automation-role",
        expect,
        principal: "ssm.amazonaws.com",
        action: "sts:AssumeRole",
        resource: role.arn,
        identityPolicies: [],
        resourcePolicy: role.trust,
        context: requestContext("ssm-assumes-automation-role", bindings),
      });
    }
    const assumedRole = assumedRoleOf(policies, role, "automation");
    const instance = `arn:${partition}:ec2:${region}:${account}:instance/i-0123456789abcdef0`;
    const otherRegion = region === "eu-west-1" ? "eu-central-1" : "eu-west-1";
    const runbook: [string, string, string, Expected][] = [
      ["stops an instance in its region", "ec2:StopInstances", instance, "Allowed"],
      ["waits for the stop", "ec2:DescribeInstanceStatus", "*", "Allowed"],
      [
        "cannot stop an instance in another region",
        "ec2:StopInstances",
        instance.replace(`:${region}:`, `:${otherRegion}:`),
        "Denied",
      ],
      ["cannot stop another account's instance", "ec2:StopInstances", otherAccount(instance), "Denied"],
      ["cannot terminate an instance", "ec2:TerminateInstances", instance, "Denied"],
    ];
    addRoleCalls("the runbook", assumedRole, role, runbook);
  }

  // EventBridge Scheduler: assuming the re-evaluation role, which may evaluate the stack's rule only.
  const reevaluationRoles = new Set(
    resources("aws_scheduler_schedule").map(([, schedule]) =>
      // cdk.tf.json writes the single target block as an object.
      arnOf((schedule.target as Block | undefined)?.role_arn),
    ),
  );
  for (const roleArn of reevaluationRoles) {
    const role = policies.roles.find((r) => r.arn === roleArn && r.name.startsWith(REEVALUATION_ROLE));
    if (!role)
      throw new Error(`a schedule's role ${roleArn} is not a ${REEVALUATION_ROLE}* role of the stack`);
    const group = `arn:${partition}:scheduler:${region}:${account}:schedule-group/default`;
    for (const [who, bindings, expect] of [
      ["", { account, "source-arn": group }, "Allowed"],
      [" for another account", { account: OTHER_ACCOUNT, "source-arn": otherAccount(group) }, "Denied"],
    ] as const) {
      add({
        id: `Scheduler assumes the re-evaluation role${who}`,
        behaviour: "scheduler-assumes-execution-role",
        expect,
        principal: "scheduler.amazonaws.com",
        action: "sts:AssumeRole",
        resource: role.arn,
        identityPolicies: [],
        resourcePolicy: role.trust,
        context: requestContext("scheduler-assumes-execution-role", bindings),
      });
    }
    const assumedRole = assumedRoleOf(policies, role, "scheduler");
    const [ruleName] = resources("aws_config_config_rule").map(([name]) => name);
    if (!ruleName) throw new Error("the stack schedules re-evaluation but has no Config rule");
    const ruleArn = resolver.attribute("aws_config_config_rule", ruleName, "arn");
    const evaluation: [string, string, string, Expected][] = [
      ["re-evaluates the stack's rule", "config:StartConfigRulesEvaluation", ruleArn, "Allowed"],
      [
        "cannot re-evaluate another rule",
        "config:StartConfigRulesEvaluation",
        ruleArn.replace(/config-rule\/[\w-]+$/, "config-rule/config-rule-other"),
        "Denied",
      ],
      ["cannot start a remediation", "config:StartRemediationExecution", "*", "Denied"],
    ];
    addRoleCalls("the re-evaluation role", assumedRole, role, evaluation);

    // Scheduler dead-letters a call it could not make as the schedule's execution role: each schedule of
    // this role sends to its own queue, and to no other queue of the account.
    const queues = resources("aws_scheduler_schedule")
      .filter(([, schedule]) => arnOf((schedule.target as Block | undefined)?.role_arn) === roleArn)
      .map(([, schedule]) => (schedule.target as Block).dead_letter_config as Block | undefined)
      .filter((config): config is Block => config?.arn !== undefined)
      .map((config) => arnOf(config.arn));
    for (const queue of queues) {
      add({
        id: `Scheduler dead-letters a failed re-evaluation to ${queue.split(":").at(-1)}`,
        behaviour: "scheduler-dead-letters",
        expect: "Allowed",
        principal: assumedRole,
        action: "sqs:SendMessage",
        resource: queue,
        identityPolicies: role.inline,
        ...(resourcePolicy(queue) ? { resourcePolicy: resourcePolicy(queue) } : {}),
        context: requestContext("scheduler-dead-letters", { account }),
      });
    }
    if (queues.length > 0) {
      const elsewhere = `arn:${partition}:sqs:${region}:${account}:another-queue`;
      add({
        id: "Scheduler's role cannot send to another queue",
        behaviour: "scheduler-dead-letters",
        expect: "Denied",
        principal: assumedRole,
        action: "sqs:SendMessage",
        resource: elsewhere,
        identityPolicies: role.inline,
        context: requestContext("scheduler-dead-letters", { account }),
      });
    }
  }
  return paths;
}

/** The key a topic is encrypted with, from the topic's kms_master_key_id. */
function topicKeyArn(stack: TerraformJson, resolver: StackPolicies["resolver"], topicArn: string): string {
  for (const [name, topic] of Object.entries(stack.resource.aws_sns_topic ?? {})) {
    if (resolver.attribute("aws_sns_topic", name, "arn") !== topicArn) continue;
    if (!topic.kms_master_key_id) throw new Error(`${topicArn} is not encrypted`);
    return resolver.resolve(String(topic.kms_master_key_id));
  }
  throw new Error(`${topicArn} is not a topic of this stack`);
}

/** The engine dropped a context key the decision depends on. */
const UNDECIDABLE = "engine drops the context key";

interface PathOutcome {
  readonly path: PermissionPath;
  /** Allowed, ExplicitlyDenied, ImplicitlyDenied, or the engine's refusal of the inputs. */
  readonly result: string;
}

/** What the engine decides for a path; inputs it refuses are reported, never read as a denial. */
async function evaluatePath(path: PermissionPath, accountId: string): Promise<PathOutcome> {
  const simulation: Simulation = {
    request: {
      principal: path.principal,
      action: path.action,
      resource: { resource: path.resource, accountId },
      contextVariables: path.context,
    },
    identityPolicies: path.identityPolicies.map((policy, index) => ({ name: `inline-${index}`, policy })),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    resourcePolicy: path.resourcePolicy,
  };
  const response = await runSimulation(simulation, {});
  if (response.resultType === "error")
    return { path, result: `engine refused the inputs: ${JSON.stringify(response.errors)}` };
  const ignored = response.resultType === "single" ? (response.result.ignoredContextKeys ?? []) : [];
  // The engine only recognises variable keys written with "/" (aws:PrincipalTag/x); KMS's encryption
  // context keys use ":" (kms:EncryptionContext:aws:logs:arn), so it drops them. The inputs have been
  // validated by now, but a decision without the key would be wrong either way, so it is reported.
  const dropped = ignored.filter((key) => key.startsWith("kms:EncryptionContext:"));
  if (dropped.length > 0) return { path, result: `${UNDECIDABLE}: ${dropped.join(", ")}` };
  return { path, result: response.overallResult };
}

/** Paths whose decision is not the expected one, as "id: expected X, engine said Y". */
export async function unexpectedOutcomes(
  paths: readonly PermissionPath[],
  accountId: string,
): Promise<string[]> {
  const outcomes = await Promise.all(paths.map((path) => evaluatePath(path, accountId)));
  return outcomes
    .filter(({ result }) => !result.startsWith(UNDECIDABLE))
    .filter(({ path, result }) =>
      path.expect === "Allowed"
        ? result !== "Allowed"
        : !(result === "ExplicitlyDenied" || result === "ImplicitlyDenied"),
    )
    .map(({ path, result }) => `${path.id}: expected ${path.expect}, engine said ${result}`);
}

/** Paths the engine cannot decide, by id, with the keys it dropped. */
export async function undecidablePaths(
  paths: readonly PermissionPath[],
  accountId: string,
): Promise<string[]> {
  const outcomes = await Promise.all(paths.map((path) => evaluatePath(path, accountId)));
  return outcomes
    .filter(({ result }) => result.startsWith(UNDECIDABLE))
    .map(({ path, result }) => `${path.id}: ${result}`);
}
