import { CloudwatchEventRule } from "@cdktf/provider-aws/lib/cloudwatch-event-rule";
import { CloudwatchEventTarget } from "@cdktf/provider-aws/lib/cloudwatch-event-target";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { ConfigConfigRule } from "@cdktf/provider-aws/lib/config-config-rule";
import { ConfigConfigurationRecorder } from "@cdktf/provider-aws/lib/config-configuration-recorder";
import { ConfigConfigurationRecorderStatus } from "@cdktf/provider-aws/lib/config-configuration-recorder-status";
import { ConfigDeliveryChannel } from "@cdktf/provider-aws/lib/config-delivery-channel";
import { ConfigRemediationConfiguration } from "@cdktf/provider-aws/lib/config-remediation-configuration";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketLifecycleConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration";
import { S3BucketOwnershipControls } from "@cdktf/provider-aws/lib/s3-bucket-ownership-controls";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { Testing } from "cdktf";
import { parseConfig } from "../../app/config/load";
import type { RemediationMode } from "../../app/config/schema";
import type { LambdaBundle } from "../../app/lambda-bundle";
import { FAILED_REMEDIATION_RULE_NAME, failedRemediationEventPattern } from "../../lib/alarms";
import { COMPLIANCE_HISTORY_RECORDED_CONTINUOUSLY } from "../../lib/aws-facts";
import { HANDLER_ENVIRONMENT } from "../../lib/contract";
import { remediationEventPattern } from "../../lib/event-pattern";
import {
  ALL_MODES,
  ALL_RECORDERS,
  APPROVED_AMI,
  DOC_ACCOUNT,
  rawConfig,
  singleTargetConfig,
} from "../support/configs";
import { handlerBundle, onlyResource, parsedStack, resourceTypes, synthStack } from "../support/synth";

// cdktf's matchers (toHaveResourceWithProperties...) for this file alone, the one that uses them.
Testing.setupJest();

let bundle: LambdaBundle;
beforeAll(async () => {
  bundle = await handlerBundle();
});

const RECORDING_TYPES = [
  "aws_s3_bucket",
  "aws_s3_bucket_public_access_block",
  "aws_s3_bucket_ownership_controls",
  "aws_s3_bucket_server_side_encryption_configuration",
  "aws_s3_bucket_versioning",
  "aws_s3_bucket_lifecycle_configuration",
  "aws_s3_bucket_policy",
  "aws_config_configuration_recorder",
  "aws_config_delivery_channel",
  "aws_config_configuration_recorder_status",
];
/** The function and what only it needs; automatic mode has event rules too (for failed executions). */
const EVENT_DRIVEN_TYPES = [
  "aws_lambda_function",
  "aws_lambda_permission",
  "aws_lambda_function_event_invoke_config",
];
/** Every mode that remediates notifies through a topic when a stop fails in SSM. */
const NOTIFYING_TYPES = ["aws_sns_topic", "aws_cloudwatch_event_rule", "aws_cloudwatch_event_target"];

describe("AmiGuardStack in every mode and recorder choice", () => {
  const cases = ALL_MODES.flatMap((mode) => ALL_RECORDERS.map((recorder) => [mode, recorder] as const));

  it.each(cases)("mode %s, recorder %s: deploys exactly the parts that mode needs", (mode, recorder) => {
    // Given one target in this mode and recorder choice
    // When its stack is synthesized
    const types = resourceTypes(parsedStack(singleTargetConfig(mode, recorder), bundle));
    // Then the rule is always there, and each optional part only where it belongs
    expect(types).toContain("aws_config_config_rule");
    for (const type of RECORDING_TYPES) {
      if (recorder === "create") expect(types).toContain(type);
      else expect(types).not.toContain(type);
    }
    if (mode === "audit") expect(types).not.toContain("aws_config_remediation_configuration");
    else expect(types).toContain("aws_config_remediation_configuration");
    for (const type of EVENT_DRIVEN_TYPES) {
      if (mode === "event-driven") expect(types).toContain(type);
      else expect(types).not.toContain(type);
    }
    for (const type of NOTIFYING_TYPES) {
      if (mode === "audit") expect(types).not.toContain(type);
      else expect(types).toContain(type);
    }
  });

  it.each(ALL_MODES.filter((mode) => mode !== "audit"))(
    "mode %s: a stop that fails later in SSM notifies the encrypted topic",
    (mode) => {
      // Given a target in a mode that starts remediations
      const stack = parsedStack(singleTargetConfig(mode), bundle);
      // Then a rule matches failed runs of the stop runbook and targets the topic
      const rules = Object.values(stack.resource?.aws_cloudwatch_event_rule ?? {});
      const failedRuns = rules.find((rule) => rule.name === FAILED_REMEDIATION_RULE_NAME);
      expect(failedRuns).toBeDefined();
      expect(JSON.parse(String(failedRuns?.event_pattern))).toEqual(failedRemediationEventPattern());
      const targets = Object.values(stack.resource?.aws_cloudwatch_event_target ?? {});
      expect(targets).toContainEqual(
        expect.objectContaining({ arn: expect.stringMatching(/^\$\{aws_sns_topic\..*\.arn\}$/) }),
      );
      // And the topic policy lets that rule publish, and the key lets EventBridge encrypt for it
      const documents = Object.entries(stack.data?.aws_iam_policy_document ?? {});
      const statementsOf = (prefix: string) => {
        const document = documents.find(([id]) => id.startsWith(prefix));
        if (!document) throw new Error(`no policy document ${prefix}`);
        return (document[1] as { statement: Record<string, unknown>[] }).statement;
      };
      expect(statementsOf("notifications_policy-document")).toContainEqual(
        expect.objectContaining({
          sid: "RulesPublish",
          condition: [
            expect.objectContaining({
              variable: "aws:SourceArn",
              values: [`arn:aws:events:eu-central-1:${DOC_ACCOUNT}:rule/${FAILED_REMEDIATION_RULE_NAME}`],
            }),
          ],
        }),
      );
      expect(statementsOf("encryption-key_policy")).toContainEqual(
        expect.objectContaining({ sid: "EventBridgePublish" }),
      );
    },
  );

  it.each(ALL_MODES.filter((mode) => mode !== "audit"))(
    "mode %s: each e-mail subscription's pending confirmation is an output",
    (mode) => {
      const config = parseConfig(
        rawConfig({ remediation: { mode }, notifications: { emails: ["ops@example.com"] } }),
      );
      const stack = parsedStack(config, bundle);
      expect(stack.output?.email_subscriptions_pending_confirmation?.value).toEqual({
        "ops@example.com": expect.stringMatching(
          /^\$\{aws_sns_topic_subscription\..*\.pending_confirmation\}$/,
        ),
      });
    },
  );

  it.each(cases)(
    "mode %s, recorder %s: the rule is the managed APPROVED_AMIS_BY_ID on EC2 instances",
    (mode, recorder) => {
      const synthesized = synthStack(singleTargetConfig(mode, recorder), bundle);
      expect(synthesized).toHaveResourceWithProperties(ConfigConfigRule, {
        name: "approved-amis-by-id",
        source: { owner: "AWS", source_identifier: "APPROVED_AMIS_BY_ID" },
        input_parameters: JSON.stringify({ amiIds: APPROVED_AMI }),
        scope: { compliance_resource_types: ["AWS::EC2::Instance"] },
      });
    },
  );

  it("names the stack after its account and region and refuses other accounts", () => {
    const stack = parsedStack(singleTargetConfig("audit"), bundle);
    expect(stack.provider?.aws).toEqual([
      expect.objectContaining({
        region: "eu-central-1",
        allowed_account_ids: [DOC_ACCOUNT],
        default_tags: [{ tags: { "ami-guard:stack": "ami-guard-111122223333-eu-central-1" } }],
      }),
    ]);
  });

  it("assumes the configured role in the target's own account", () => {
    const config = parseConfig(
      rawConfig({
        targets: [{ accountId: DOC_ACCOUNT, region: "cn-north-1", assumeRoleName: "deploy/ami-guard" }],
      }),
    );
    const stack = parsedStack(config, bundle);
    expect(stack.provider?.aws?.[0]?.assume_role).toEqual([
      { role_arn: "arn:aws-cn:iam::111122223333:role/deploy/ami-guard", session_name: "ami-guard" },
    ]);
  });

  it("passes configured tags to every resource through default_tags", () => {
    const config = parseConfig(rawConfig({ tags: { team: "platform", "cost-center": "42" } }));
    expect(parsedStack(config, bundle).provider?.aws?.[0]?.default_tags).toEqual([
      {
        tags: {
          team: "platform",
          "cost-center": "42",
          "ami-guard:stack": "ami-guard-111122223333-eu-central-1",
        },
      },
    ]);
  });
});

describe("ConfigRecording (recorder create)", () => {
  let synthesized: string;
  beforeAll(() => {
    synthesized = synthStack(singleTargetConfig("audit", "create"), bundle);
  });

  it("records only EC2 instances and their compliance history, continuously, as Config's own role", () => {
    expect(synthesized).toHaveResourceWithProperties(ConfigConfigurationRecorder, {
      name: "ami-guard",
      recording_group: {
        all_supported: false,
        include_global_resource_types: false,
        // Without the second, Config keeps no compliance history (COMPLIANCE_HISTORY_RESOURCE_TYPE).
        resource_types: ["AWS::EC2::Instance", "AWS::Config::ResourceCompliance"],
      },
      // Continuous for the rule's sake, and the only frequency Config allows for compliance history.
      recording_mode: { recording_frequency: COMPLIANCE_HISTORY_RECORDED_CONTINUOUSLY.value },
    });
    expect(synthesized).toHaveResourceWithProperties(IamRolePolicyAttachment, {
      policy_arn: "arn:aws:iam::aws:policy/service-role/AWS_ConfigRole",
    });
  });

  it("switches the recorder on only after the delivery channel, which waits for the recorder, bucket policy and Config role's permissions", () => {
    const stack = parsedStack(singleTargetConfig("audit", "create"), bundle);
    const channel = onlyResource(stack, "aws_config_delivery_channel");
    expect(channel.depends_on).toEqual([
      expect.stringMatching(/^aws_config_configuration_recorder\./),
      expect.stringMatching(/^aws_s3_bucket_policy\./),
      expect.stringMatching(/^aws_iam_role_policy\.recording_config-role_policy/),
      expect.stringMatching(/^aws_iam_role_policy_attachment\.recording_config-role_managed-policy-0/),
    ]);
    const status = onlyResource(stack, "aws_config_configuration_recorder_status");
    expect(status).toMatchObject({
      is_enabled: true,
      depends_on: [expect.stringMatching(/^aws_config_delivery_channel\./)],
    });
    expect(synthesized).toHaveResourceWithProperties(ConfigConfigurationRecorderStatus, { is_enabled: true });
    expect(synthesized).toHaveResourceWithProperties(ConfigDeliveryChannel, {
      name: "ami-guard",
      s3_bucket_name: expect.stringMatching(/^\$\{aws_s3_bucket\..*\.bucket\}$/),
    });
  });

  it("creates the rule only once the recorder is running", () => {
    const rule = onlyResource(
      parsedStack(singleTargetConfig("audit", "create"), bundle),
      "aws_config_config_rule",
    );
    expect(rule.depends_on).toEqual([expect.stringMatching(/^aws_config_configuration_recorder_status\./)]);
  });

  it("hardens the delivery bucket: private, owner-enforced, encrypted, versioned, expiring", () => {
    expect(synthesized).toHaveResourceWithProperties(S3Bucket, {
      bucket_prefix: "ami-guard-config-",
      force_destroy: false,
    });
    // A fixed name in S3's global namespace could be taken first by anyone.
    const bucket = onlyResource(parsedStack(singleTargetConfig("audit", "create"), bundle), "aws_s3_bucket");
    expect(bucket).not.toHaveProperty("bucket");
    expect(synthesized).toHaveResourceWithProperties(S3BucketPublicAccessBlock, {
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
    expect(synthesized).toHaveResourceWithProperties(S3BucketOwnershipControls, {
      rule: { object_ownership: "BucketOwnerEnforced" },
    });
    expect(synthesized).toHaveResourceWithProperties(S3BucketServerSideEncryptionConfigurationA, {});
    expect(synthesized).toHaveResourceWithProperties(S3BucketVersioningA, {
      versioning_configuration: { status: "Enabled" },
    });
    expect(synthesized).toHaveResourceWithProperties(S3BucketLifecycleConfiguration, {
      rule: [
        expect.objectContaining({
          status: "Enabled",
          noncurrent_version_expiration: [{ noncurrent_days: 90 }],
        }),
        // Delete markers left by expiring current versions are removed by a rule of their own.
        expect.objectContaining({ status: "Enabled", expiration: [{ expired_object_delete_marker: true }] }),
      ],
    });
  });

  it("grants Config exactly the bucket access it documents, each statement bound to this account", () => {
    const stack = parsedStack(singleTargetConfig("audit", "create"), bundle);
    const document = Object.entries(stack.data?.aws_iam_policy_document ?? {}).find(([id]) =>
      id.startsWith("recording_bucket-policy-document"),
    )?.[1] as { statement: Array<Record<string, unknown>> };
    const bySid = Object.fromEntries(document.statement.map((statement) => [statement.sid, statement]));
    const sourceAccount = { test: "StringEquals", variable: "AWS:SourceAccount", values: [DOC_ACCOUNT] };
    expect(bySid.AWSConfigBucketPermissionsCheck).toMatchObject({
      actions: ["s3:GetBucketAcl"],
      condition: [sourceAccount],
    });
    expect(bySid.AWSConfigBucketExistenceCheck).toMatchObject({
      actions: ["s3:ListBucket"],
      condition: [sourceAccount],
    });
    expect(bySid.AWSConfigBucketDelivery).toMatchObject({
      actions: ["s3:PutObject"],
      resources: [expect.stringMatching(/\/AWSLogs\/111122223333\/Config\/\*$/)],
      condition: [
        sourceAccount,
        { test: "StringEquals", variable: "s3:x-amz-acl", values: ["bucket-owner-full-control"] },
      ],
    });
    expect(bySid.DenyInsecureTransport).toMatchObject({
      effect: "Deny",
      condition: [{ test: "Bool", variable: "aws:SecureTransport", values: ["false"] }],
    });
  });
});

describe("StopInstanceRemediation", () => {
  it.each<RemediationMode>(["manual", "event-driven"])(
    "mode %s: waits to be started, stops the resource id with the automation role",
    (mode) => {
      const synthesized = synthStack(singleTargetConfig(mode), bundle);
      expect(synthesized).toHaveResourceWithProperties(ConfigRemediationConfiguration, {
        config_rule_name: expect.stringMatching(/^\$\{aws_config_config_rule\..*\.name\}$/),
        target_type: "SSM_DOCUMENT",
        target_id: "AWS-StopEC2Instance",
        resource_type: "AWS::EC2::Instance",
        automatic: false,
        parameter: [
          {
            name: "AutomationAssumeRole",
            static_value: expect.stringMatching(/^\$\{aws_iam_role\..*\.arn\}$/),
          },
          { name: "InstanceId", resource_value: "RESOURCE_ID" },
        ],
      });
      const remediation = onlyResource(
        parsedStack(singleTargetConfig(mode), bundle),
        "aws_config_remediation_configuration",
      );
      expect(remediation).not.toHaveProperty("maximum_automatic_attempts");
    },
  );

  it("mode automatic: Config remediates itself with the configured retries", () => {
    const config = parseConfig(
      rawConfig({
        remediation: { mode: "automatic", maximumAutomaticAttempts: 3, retryAttemptSeconds: 300 },
      }),
    );
    expect(synthStack(config, bundle)).toHaveResourceWithProperties(ConfigRemediationConfiguration, {
      automatic: true,
      maximum_automatic_attempts: 3,
      retry_attempt_seconds: 300,
    });
  });

  it("runs as a role only SSM in this account may assume, allowed to stop this region's instances", () => {
    const stack = parsedStack(singleTargetConfig("manual"), bundle);
    expect(synthStack(singleTargetConfig("manual"), bundle)).toHaveResourceWithProperties(IamRole, {
      name: "ami-guard-remediation-eu-central-1",
    });
    const documents = stack.data?.aws_iam_policy_document ?? {};
    const trust =
      documents[
        Object.keys(documents).find((id) => id.startsWith("remediation_automation-role_trust")) ?? ""
      ];
    expect(trust).toMatchObject({
      statement: [
        {
          actions: ["sts:AssumeRole"],
          principals: [{ type: "Service", identifiers: ["ssm.amazonaws.com"] }],
          condition: [{ test: "StringEquals", variable: "aws:SourceAccount", values: [DOC_ACCOUNT] }],
        },
      ],
    });
    const permissions = documents[
      Object.keys(documents).find((id) => id.startsWith("remediation_automation-role_permissions")) ?? ""
    ] as { statement: Array<{ actions: string[]; resources: string[] }> };
    expect(permissions.statement.map((s) => [s.actions, s.resources])).toEqual([
      [["ec2:StopInstances"], ["arn:aws:ec2:eu-central-1:111122223333:instance/*"]],
      [["ec2:DescribeInstanceStatus"], ["*"]],
    ]);
  });
});

describe("EventDrivenRemediation", () => {
  let synthesized: string;
  beforeAll(() => {
    synthesized = synthStack(singleTargetConfig("event-driven"), bundle);
  });

  it("routes only NON_COMPLIANT EC2 evaluations of this rule to the function", () => {
    expect(synthesized).toHaveResourceWithProperties(CloudwatchEventRule, {
      event_pattern: JSON.stringify(remediationEventPattern("approved-amis-by-id")),
    });
    expect(remediationEventPattern("approved-amis-by-id")).toEqual({
      source: ["aws.config"],
      "detail-type": ["Config Rules Compliance Change"],
      detail: {
        messageType: ["ComplianceChangeNotification"],
        configRuleName: ["approved-amis-by-id"],
        resourceType: ["AWS::EC2::Instance"],
        newEvaluationResult: { complianceType: ["NON_COMPLIANT"] },
      },
    });
    expect(synthesized).toHaveResourceWithProperties(CloudwatchEventTarget, {
      arn: expect.stringMatching(/^\$\{aws_lambda_function\..*\.arn\}$/),
    });
  });

  it("lets only this rule invoke the function", () => {
    expect(synthesized).toHaveResourceWithProperties(LambdaPermission, {
      action: "lambda:InvokeFunction",
      principal: "events.amazonaws.com",
      source_arn: expect.stringMatching(/^\$\{aws_cloudwatch_event_rule\..*\.arn\}$/),
    });
    // EventBridge sends no source account when it invokes a function: a source_account would refuse every event.
    const stack = parsedStack(singleTargetConfig("event-driven"), bundle);
    const permissions = Object.values(stack.resource?.aws_lambda_permission ?? {}) as Record<
      string,
      unknown
    >[];
    expect(permissions).toHaveLength(2);
    for (const permission of permissions) expect(permission).not.toHaveProperty("source_account");
  });

  it("sends every instance entering running to the function, dead-lettered to a queue of its own with an alarm", () => {
    // Given the event-driven stack
    const stack = parsedStack(singleTargetConfig("event-driven"), bundle);
    const rules = stack.resource?.aws_cloudwatch_event_rule ?? {};
    const [ruleId, rule] = Object.entries(rules).find(([id]) => id.includes("instance-running")) as [
      string,
      Record<string, unknown>,
    ];
    // Then the rule matches EC2's running-state event and nothing else
    expect(rule.name).toBe("ami-guard-instance-running");
    expect(JSON.parse(String(rule.event_pattern))).toEqual({
      source: ["aws.ec2"],
      "detail-type": ["EC2 Instance State-change Notification"],
      detail: { state: ["running"] },
    });
    // And it targets the function, with bounded retries into its own dead-letter queue
    const target = Object.values(stack.resource?.aws_cloudwatch_event_target ?? {}).find(
      (block) => (block as Record<string, unknown>).rule === `\${aws_cloudwatch_event_rule.${ruleId}.name}`,
    ) as Record<string, unknown>;
    const [functionId] = Object.keys(stack.resource?.aws_lambda_function ?? {});
    const queues = stack.resource?.aws_sqs_queue ?? {};
    const [queueId] = Object.entries(queues).find(
      ([, queue]) => (queue as Record<string, unknown>).name === "ami-guard-running-delivery-failures",
    ) as [string, unknown];
    expect(target).toMatchObject({
      arn: `\${aws_lambda_function.${functionId}.arn}`,
      dead_letter_config: { arn: `\${aws_sqs_queue.${queueId}.arn}` },
    });
    // And only that rule may invoke the function through its permission
    expect(
      Object.values(stack.resource?.aws_lambda_permission ?? {}).filter(
        (permission) =>
          (permission as Record<string, unknown>).source_arn ===
          `\${aws_cloudwatch_event_rule.${ruleId}.arn}`,
      ),
    ).toHaveLength(1);
    // And an alarm watches the queue
    expect(
      Object.values(stack.resource?.aws_cloudwatch_metric_alarm ?? {}).filter(
        (alarm) =>
          JSON.stringify((alarm as Record<string, unknown>).dimensions) ===
          JSON.stringify({ QueueName: `\${aws_sqs_queue.${queueId}.name}` }),
      ),
    ).toHaveLength(1);
  });

  it("reserves no concurrency unless configured, since a reservation fails the apply on small accounts", () => {
    const unreserved = onlyResource(
      parsedStack(singleTargetConfig("event-driven"), bundle),
      "aws_lambda_function",
    );
    expect(unreserved).not.toHaveProperty("reserved_concurrent_executions");
    const reserved = onlyResource(
      parsedStack(parseConfig(rawConfig({ remediation: { reservedConcurrentExecutions: 3 } })), bundle),
      "aws_lambda_function",
    );
    expect(reserved.reserved_concurrent_executions).toBe(3);
  });

  it("deploys the bundled handler on nodejs22.x with the environment the handler reads", () => {
    expect(synthesized).toHaveResourceWithProperties(LambdaFunction, {
      function_name: "ami-guard-remediate",
      runtime: "nodejs22.x",
      handler: "index.handler",
      source_code_hash: bundle.sourceCodeHash,
      environment: {
        variables: expect.objectContaining({
          [HANDLER_ENVIRONMENT.ruleName]: "approved-amis-by-id",
          [HANDLER_ENVIRONMENT.accountId]: DOC_ACCOUNT,
          [HANDLER_ENVIRONMENT.region]: "eu-central-1",
          [HANDLER_ENVIRONMENT.dryRun]: "false",
          [HANDLER_ENVIRONMENT.exemptionTagKey]: "ami-guard:exempt",
          [HANDLER_ENVIRONMENT.topicArn]: expect.stringMatching(/^\$\{aws_sns_topic\..*\.arn\}$/),
        }),
      },
    });
  });

  it("sets every variable the handler's contract names, and dry-run per target", () => {
    const config = parseConfig(
      rawConfig({ targets: [{ accountId: DOC_ACCOUNT, region: "eu-west-1", dryRun: true }] }),
    );
    const fn = onlyResource(parsedStack(config, bundle), "aws_lambda_function") as {
      environment: { variables: Record<string, string> };
    };
    for (const name of Object.values(HANDLER_ENVIRONMENT))
      expect(fn.environment.variables).toHaveProperty(name);
    expect(fn.environment.variables[HANDLER_ENVIRONMENT.dryRun]).toBe("true");
  });

  it("keeps the function's logs for a year and notifies through an encrypted topic", () => {
    expect(synthesized).toHaveResourceWithProperties(CloudwatchLogGroup, {
      name: "/aws/lambda/ami-guard-remediate",
      retention_in_days: 365,
    });
    expect(synthesized).toHaveResourceWithProperties(SnsTopic, { name: "ami-guard-notifications" });
  });
});
