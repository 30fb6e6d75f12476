import { CloudwatchEventRule } from "@cdktf/provider-aws/lib/cloudwatch-event-rule";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission";
import type { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { type ITerraformDependable, TerraformAsset } from "cdktf";
import { Construct } from "constructs";
import type { LAMBDA_UNRESERVED_CONCURRENCY_MINIMUM } from "./aws-facts";
import {
  APPROVED_AMI_IDS_SEPARATOR,
  HANDLER_ENVIRONMENT,
  OPTIONAL_HANDLER_ENVIRONMENT,
  powertoolsEnvironment,
} from "./contract";
import { instanceRunningEventPattern, renderEventPattern } from "./event-pattern";
import { AsyncInvokeFailureHandling, addDeadLetteredTarget, DeadLetterQueue } from "./failure-handling";
import type { FunctionCode } from "./function-code";
import { ServiceRole } from "./iam";
import { type EncryptionKey, TOPIC_PUBLISHER_KEY_ACTIONS } from "./kms";
import { DEFAULT_NAME_PREFIX, resourceNames } from "./names";
import { type AwsRegion, partitionOf } from "./regions";
import { terraformLiteral } from "./terraform-literal";

export const FUNCTION_NAME = `${DEFAULT_NAME_PREFIX}-remediate`;
/** Lambda's runtime; SDK releases from January 2027 need Node.js 22. */
const FUNCTION_RUNTIME = "nodejs22.x";
/**
 * One event makes at most four short API calls. 256 MB leaves room above the bundle's peak while handling
 * a thousand events in one process (`npm run bench -- handler`) and gives the function enough CPU share to
 * import the bundled SDK quickly on a cold start; 30 s covers the SDK's bounded retries with backoff.
 */
const FUNCTION_MEMORY_MB = 256;
const FUNCTION_TIMEOUT_SECONDS = 30;
const LOG_RETENTION_DAYS = 365;
export const FUNCTION_LOG_GROUP_NAME = `/aws/lambda/${FUNCTION_NAME}`;
export const REMEDIATION_RULE_NAME = `${DEFAULT_NAME_PREFIX}-non-compliant-instance`;

export interface EventDrivenRemediationProps {
  readonly ruleName: string;
  readonly accountId: string;
  readonly region: AwsRegion;
  readonly bundle: FunctionCode;
  readonly dryRun: boolean;
  readonly exemptionTagKey: string;
  /** The rule's approved AMI ids: the function skips an instance whose AMI the list approves now. */
  readonly approvedAmiIds: readonly string[];
  /** The topic the function notifies; the stack shares it with the alarms. */
  readonly topic: SnsTopic;
  /** Encrypts the topic (the function publishes through it) and the function's logs. */
  readonly encryptionKey: EncryptionKey;
  /** The remediation the function starts: events are routed to the function only once it exists. */
  readonly remediationConfiguration: ITerraformDependable;
  /**
   * Concurrent executions reserved for the function, which also caps a remediation storm (a bad AMI list
   * flags every instance at once). A reservation must leave the account 100 executions unreserved
   * ({@link LAMBDA_UNRESERVED_CONCURRENCY_MINIMUM}); new accounts often have a quota of 10, where any
   * reservation fails the apply after the function was created.
   * @default - none: the function shares the account's unreserved pool
   */
  readonly reservedConcurrentExecutions?: number;
  /**
   * The tag an instance must carry for the function to act on it (the pipeline's InstanceScope).
   * @default - every instance
   */
  readonly scopeTag?: { readonly key: string; readonly value: string };
  /**
   * The rule that sends failed runs of the stop runbook to the function, and the role this pipeline's
   * remediation runs as: the function notifies only of runs as that role.
   * @default - failed runs do not reach the function
   */
  readonly failedRuns?: { readonly rule: CloudwatchEventRule; readonly automationRoleArn: string };
  /**
   * Prefix of the function's, its role's, log group's, rule's and queues' names, and its metrics' service
   * ({@link resourceNames}).
   * @default "ami-guard"
   */
  readonly namePrefix?: string;
}

/** EventBridge sends NON_COMPLIANT events of the rule to a function that starts remediation. */
export class EventDrivenRemediation extends Construct {
  readonly function: LambdaFunction;
  readonly role: ServiceRole;
  readonly eventRule: CloudwatchEventRule;
  readonly topic: SnsTopic;
  readonly logGroup: CloudwatchLogGroup;
  /** Events the function failed on after its retries, as Lambda destination records. */
  readonly failureQueue: DeadLetterQueue;
  /** Events EventBridge could not deliver to the function. */
  readonly deliveryFailureQueue: DeadLetterQueue;
  /** Sends instances entering `running` to the function: a restarted unapproved instance changes no compliance. */
  readonly instanceRunningRule: CloudwatchEventRule;
  /**
   * Instance-running events EventBridge could not deliver. A queue of its own: a queue's policy lets one
   * rule send, and its alarm says which path lost an event.
   */
  readonly runningDeliveryFailureQueue: DeadLetterQueue;

  constructor(scope: Construct, id: string, props: EventDrivenRemediationProps) {
    super(scope, id);
    this.topic = props.topic;
    const keyArn = props.encryptionKey.key.arn;
    const names = resourceNames(props.namePrefix ?? DEFAULT_NAME_PREFIX, props.region);

    this.logGroup = new CloudwatchLogGroup(this, "log-group", {
      name: names.functionLogGroupName,
      retentionInDays: LOG_RETENTION_DAYS,
      kmsKeyId: keyArn,
    });
    this.failureQueue = new DeadLetterQueue(this, "failure-queue", {
      queueName: names.functionFailuresQueueName,
    });

    this.role = new ServiceRole(this, "function-role", {
      roleName: names.functionRoleName,
      description: "Assumed by the ami-guard function to start remediation of NON_COMPLIANT instances.",
      service: "lambda.amazonaws.com",
      accountId: props.accountId,
      statements: [
        {
          sid: "WriteLogs",
          effect: "Allow",
          actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
          resources: [`${this.logGroup.arn}:*`],
        },
        {
          // StartRemediationExecution has no resource type; the function refuses rules it was not deployed for.
          // Config runs the runbook with its own remediation role, so the function holds no SSM or PassRole
          // right and cannot start a stop behind Config's back (lib/remediation-caller.ts has the evidence).
          sid: "StartRemediation",
          effect: "Allow",
          actions: ["config:StartRemediationExecution"],
          resources: ["*"],
        },
        {
          // Read-only: tells a duplicate delivery (execution still running) from a real refusal.
          sid: "ReadRemediationStatus",
          effect: "Allow",
          actions: ["config:DescribeRemediationExecutionStatus"],
          resources: [
            `arn:${partitionOf(props.region)}:config:${props.region}:${props.accountId}:remediation-configuration/*`,
          ],
        },
        {
          // No resource type: confirms Config still calls the instance NON_COMPLIANT before stopping it.
          sid: "ReadCurrentCompliance",
          effect: "Allow",
          actions: ["config:GetComplianceDetailsByResource"],
          resources: ["*"],
        },
        {
          // DescribeInstances has no resource type; the function reads tags and state for its guard rails.
          sid: "ReadInstances",
          effect: "Allow",
          actions: ["ec2:DescribeInstances"],
          resources: ["*"],
        },
        ...(props.failedRuns
          ? [
              {
                // Whose a failed run was: its parameters name the automation role (AUTOMATION_EXECUTION_PARAMETERS).
                sid: "ReadFailedRuns",
                effect: "Allow",
                actions: ["ssm:GetAutomationExecution"],
                resources: [
                  `arn:${partitionOf(props.region)}:ssm:${props.region}:${props.accountId}:automation-execution/*`,
                ],
              },
            ]
          : []),
        { sid: "Notify", effect: "Allow", actions: ["sns:Publish"], resources: [this.topic.arn] },
        {
          // The topic is encrypted with the stack's key: publishing needs a data key from it.
          sid: "NotifyEncrypted",
          effect: "Allow",
          actions: TOPIC_PUBLISHER_KEY_ACTIONS,
          resources: [keyArn],
        },
        {
          // The on_failure destination sends as the function's role.
          sid: "DeadLetter",
          effect: "Allow",
          actions: ["sqs:SendMessage"],
          resources: [this.failureQueue.queue.arn],
        },
      ],
    });

    const asset = new TerraformAsset(this, "code", { path: props.bundle.zipPath });
    this.function = new LambdaFunction(this, "function", {
      functionName: names.functionName,
      description: `Starts ${props.ruleName} remediation for instances that run unapproved AMIs.`,
      role: this.role.role.arn,
      runtime: FUNCTION_RUNTIME,
      handler: "index.handler",
      filename: asset.path,
      sourceCodeHash: props.bundle.sourceCodeHash,
      memorySize: FUNCTION_MEMORY_MB,
      timeout: FUNCTION_TIMEOUT_SECONDS,
      ...(props.reservedConcurrentExecutions === undefined
        ? {}
        : { reservedConcurrentExecutions: props.reservedConcurrentExecutions }),
      architectures: ["arm64"],
      // The levels are Lambda's defaults for JSON logs, written out: the API returns them whether set or not.
      loggingConfig: {
        logFormat: "JSON",
        logGroup: this.logGroup.name,
        applicationLogLevel: "INFO",
        systemLogLevel: "INFO",
      },
      environment: {
        variables: {
          [HANDLER_ENVIRONMENT.ruleName]: props.ruleName,
          [HANDLER_ENVIRONMENT.accountId]: props.accountId,
          [HANDLER_ENVIRONMENT.region]: props.region,
          [HANDLER_ENVIRONMENT.dryRun]: String(props.dryRun),
          [HANDLER_ENVIRONMENT.exemptionTagKey]: terraformLiteral(props.exemptionTagKey),
          [HANDLER_ENVIRONMENT.topicArn]: this.topic.arn,
          [HANDLER_ENVIRONMENT.approvedAmiIds]: props.approvedAmiIds.join(APPROVED_AMI_IDS_SEPARATOR),
          ...(props.scopeTag
            ? {
                [OPTIONAL_HANDLER_ENVIRONMENT.scopeTagKey]: terraformLiteral(props.scopeTag.key),
                [OPTIONAL_HANDLER_ENVIRONMENT.scopeTagValue]: terraformLiteral(props.scopeTag.value),
              }
            : {}),
          ...(props.failedRuns
            ? { [OPTIONAL_HANDLER_ENVIRONMENT.automationRoleArn]: props.failedRuns.automationRoleArn }
            : {}),
          ...powertoolsEnvironment(names.metricServiceName),
        },
      },
      dependsOn: [this.logGroup],
    });
    new AsyncInvokeFailureHandling(this, "async-invoke", {
      functionName: this.function.functionName,
      failureQueue: this.failureQueue,
      dependsOn: [this.role.policy],
    });

    this.eventRule = new CloudwatchEventRule(this, "compliance-change", {
      name: names.remediationRuleName,
      description: `NON_COMPLIANT evaluations of ${props.ruleName} for EC2 instances.`,
      eventPattern: renderEventPattern(props.ruleName),
    });
    this.deliveryFailureQueue = addDeadLetteredTarget(this, {
      rule: this.eventRule,
      queueName: names.eventDeliveryFailuresQueueName,
      // Events reach the function only once the remediation it starts exists.
      target: { targetId: "remediate", arn: this.function.arn, dependsOn: [props.remediationConfiguration] },
    });
    new LambdaPermission(this, "invoke-permission", {
      statementId: "AllowComplianceChangeEvents",
      action: "lambda:InvokeFunction",
      functionName: this.function.functionName,
      principal: "events.amazonaws.com",
      // The rule's ARN alone binds the grant to this account and rule. EventBridge sends no
      // aws:SourceAccount when it invokes a function, so a source_account here would deny every event.
      sourceArn: this.eventRule.arn,
    });

    if (props.failedRuns) {
      new LambdaPermission(this, "failed-run-permission", {
        statementId: "AllowFailedRunEvents",
        action: "lambda:InvokeFunction",
        functionName: this.function.functionName,
        principal: "events.amazonaws.com",
        // As below: EventBridge sends no aws:SourceAccount, so the rule's ARN alone scopes the grant.
        sourceArn: props.failedRuns.rule.arn,
      });
    }

    // A scope of its own: addDeadLetteredTarget names its queue and target with fixed ids.
    const running = new Construct(this, "instance-running");
    this.instanceRunningRule = new CloudwatchEventRule(running, "rule", {
      name: names.instanceRunningRuleName,
      description: `EC2 instances entering running, checked against ${props.ruleName} (a restart changes no compliance).`,
      eventPattern: JSON.stringify(instanceRunningEventPattern()),
    });
    this.runningDeliveryFailureQueue = addDeadLetteredTarget(running, {
      rule: this.instanceRunningRule,
      queueName: names.runningDeliveryFailuresQueueName,
      target: { targetId: "remediate", arn: this.function.arn, dependsOn: [props.remediationConfiguration] },
    });
    new LambdaPermission(running, "invoke-permission", {
      statementId: "AllowInstanceRunningEvents",
      action: "lambda:InvokeFunction",
      functionName: this.function.functionName,
      principal: "events.amazonaws.com",
      // As above: EventBridge sends no aws:SourceAccount, so the rule's ARN alone scopes the grant.
      sourceArn: this.instanceRunningRule.arn,
    });
  }
}
