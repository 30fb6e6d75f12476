import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { LocalBackend, S3Backend, type TerraformElement, TerraformOutput, TerraformStack } from "cdktf";
import type { Construct, Node } from "constructs";
import {
  ADDRESS_PRESERVING_ID,
  AmiGuard,
  Recording,
  type RemediationMode as Remediation,
  RemediationMode,
} from "../lib/ami-guard";
import { partitionOf } from "../lib/regions";
import { terraformLiteral, terraformLiteralMap } from "../lib/terraform-literal";
import { APPROVED_AMIS_NOT_KEPT_OUTPUT } from "./approved-amis";
import type { AmiGuardConfig, BackendConfig, Target } from "./config";
import type { LambdaBundle } from "./lambda-bundle";
import { stackNameFor, stateKeyFor } from "./stack-names";

export { stackNameFor, stateKeyFor } from "./stack-names";

interface AmiGuardStackProps {
  readonly config: AmiGuardConfig;
  readonly target: Target;
  /** The bundled handler; required when the target's mode is event-driven. */
  readonly bundle?: LambdaBundle;
  /**
   * With the local backend, where the state file lives, relative to the stack's synthesized folder (where
   * Terraform runs). It must lie outside the synthesized output, which every synthesis replaces.
   * @default "terraform.<stack>.tfstate", inside the stack's folder
   */
  readonly localStatePath?: string;
}

/** The tag every resource of a stack carries (provider default_tags), naming the stack that owns it. */
export const STACK_TAG_KEY = "ami-guard:stack";

/** The IAM role Terraform assumes in the target account, or undefined for the caller's own credentials. */
export function assumeRoleArnFor(
  target: Pick<Target, "accountId" | "region" | "assumeRoleName">,
): string | undefined {
  return target.assumeRoleName
    ? `arn:${partitionOf(target.region)}:iam::${target.accountId}:role/${target.assumeRoleName}`
    : undefined;
}

/**
 * The construct id of the stack's one pipeline. cdktf leaves an id of "Default" out of every Terraform
 * address, so the pipeline's resources keep the addresses they had before the construct existed: a changed
 * address would replace the resource, and a replaced Config rule loses its compliance history.
 */
export const PIPELINE_CONSTRUCT_ID = ADDRESS_PRESERVING_ID;

/** The remediation settings of a target, from the file's shared settings and the target's own. */
export function remediationFor(config: AmiGuardConfig, target: Target, bundle?: LambdaBundle): Remediation {
  switch (target.mode) {
    case "audit":
      return RemediationMode.audit();
    case "manual":
      return RemediationMode.manual();
    case "automatic":
      return RemediationMode.automatic(config.automatic);
    case "event-driven":
      if (!bundle) throw new Error(`${stackNameFor(target)}: mode "event-driven" needs the bundled handler`);
      return RemediationMode.eventDriven({
        functionCode: bundle,
        dryRun: target.dryRun,
        exemptionTagKey: config.exemptionTagKey,
        ...(config.reservedConcurrentExecutions === undefined
          ? {}
          : { reservedConcurrentExecutions: config.reservedConcurrentExecutions }),
      });
  }
}

/** `{ Default: { remediation: { automation_role_arn: "automation_role_arn" } } }` to its leaves. */
export function flattenOutputIds(tree: unknown): Record<string, string> {
  if (typeof tree !== "object" || tree === null) return {};
  return Object.fromEntries(
    Object.entries(tree).flatMap(([key, value]) =>
      typeof value === "string" ? [[key, value]] : Object.entries(flattenOutputIds(value)),
    ),
  );
}

/** The compliance pipeline of one account and region: the configuration file mapped onto one AmiGuard. */
export class AmiGuardStack extends TerraformStack {
  readonly pipeline: AmiGuard;

  constructor(scope: Construct, props: AmiGuardStackProps) {
    const { config, target } = props;
    super(scope, stackNameFor(target));

    new AwsProvider(this, "aws", {
      region: target.region,
      // Terraform refuses to touch any other account, whatever credentials the runner has.
      allowedAccountIds: [target.accountId],
      ...(target.assumeRoleName
        ? { assumeRole: [{ roleArn: assumeRoleArnFor(target), sessionName: "ami-guard" }] }
        : {}),
      // The schema admits only AWS's tag characters; escaping anyway means a "${" can never become an expression.
      defaultTags: [{ tags: { ...terraformLiteralMap(config.tags), [STACK_TAG_KEY]: stackNameFor(target) } }],
    });
    this.configureBackend(config.backend, target, props.localStatePath);

    const pipeline = new AmiGuard(this, PIPELINE_CONSTRUCT_ID, {
      accountId: target.accountId,
      region: target.region,
      ruleName: config.ruleName,
      ...(target.namePrefix === undefined ? {} : { namePrefix: target.namePrefix }),
      approvedAmiIds: target.approvedAmiIds,
      reevaluationIntervalHours: config.reevaluationIntervalHours,
      remediation: remediationFor(config, target, props.bundle),
      recording: target.recorder === "create" ? Recording.create() : Recording.existing(),
      notificationEmails: config.notificationEmails,
      ...(config.aggregator ? { aggregationAuthorization: config.aggregator } : {}),
    });
    this.pipeline = pipeline;
    this.addOutputs(pipeline, target);
  }

  /**
   * Each output is placed beside the part it describes, so the synthesized file keeps the order it had
   * before the pipeline became one construct (reviewers diff it); `allocateLogicalId` keeps their names.
   */
  private addOutputs(pipeline: AmiGuard, target: Target): void {
    const rule = pipeline.approvedAmisRule;
    new TerraformOutput(rule, "rule_name", {
      value: pipeline.rule.name,
      description: "The AWS Config rule.",
    });
    new TerraformOutput(rule, "rule_arn", { value: pipeline.rule.arn });
    new TerraformOutput(rule, "remediation_mode", { value: target.mode });
    if (target.approvedAmisNotKept && target.approvedAmisNotKept.length > 0) {
      new TerraformOutput(rule, APPROVED_AMIS_NOT_KEPT_OUTPUT, {
        value: target.approvedAmisNotKept,
        description:
          'Images of the golden-image files left out of the rule to fit its limits (retain: "newest"), newest first; the plan summary lists them.',
      });
    }
    if (pipeline.recording) {
      new TerraformOutput(rule, "config_bucket", {
        value: pipeline.recording.bucket.bucket,
        description: "Config's delivery bucket.",
      });
      new TerraformOutput(rule, "config_role_arn", { value: pipeline.recording.role.role.arn });
    }
    if (pipeline.remediation) {
      new TerraformOutput(pipeline.remediation, "automation_role_arn", {
        value: pipeline.remediation.automationRole.role.arn,
      });
    }
    const notifications = pipeline.notifications;
    if (notifications) {
      new TerraformOutput(notifications, "notification_topic_arn", { value: notifications.topic.arn });
      if (notifications.emailSubscriptions.length > 0) {
        new TerraformOutput(notifications, "email_subscriptions_pending_confirmation", {
          value: Object.fromEntries(
            notifications.emailSubscriptions.map(({ email, subscription }) => [
              email,
              subscription.pendingConfirmation,
            ]),
          ),
          description:
            "true for each address that has not yet followed the confirmation link SNS mailed it: it receives nothing until it does.",
        });
      }
    }
    const remediationFunction = pipeline.eventDriven;
    const last = pipeline.dashboard ?? pipeline.alarms;
    if (remediationFunction && last) {
      new TerraformOutput(last, "function_name", { value: remediationFunction.function.functionName });
      new TerraformOutput(last, "function_role_arn", { value: remediationFunction.role.role.arn });
      new TerraformOutput(last, "event_rule_arn", { value: remediationFunction.eventRule.arn });
      new TerraformOutput(last, "function_failure_queue_url", {
        value: remediationFunction.failureQueue.queue.url,
        description:
          "Events the function failed on; `npm run redrive` sends them back once the cause is fixed.",
      });
    }
  }

  /**
   * cdktf's preparing pass resolves every element of the stack once more, only to find references to
   * other stacks and wire outputs for them (`TerraformStack.prepareStack`). A stack of this app builds
   * everything it references itself, so the pass finds nothing, and it was a third of the time of a
   * synthesis at 2,000 stacks (docs/synthesis-at-scale.md). The backend it would add is always
   * configured above. __tests__/synth/preparing-pass.test.ts synthesizes every mode with cdktf's pass
   * and without it and requires the same bytes, so a reference to another stack cannot slip in unwired.
   */
  override prepareStack(): void {}

  /**
   * The CLI reads outputs from this metadata (`cdktf output`, `cdktf deploy --outputs-file`), nested by
   * construct path: flattened, each output stays at the stack's top level, where deployments look for it.
   */
  override toTerraform(): Record<string, unknown> {
    const terraform = super.toTerraform() as Record<string, unknown> & {
      "//"?: { outputs?: Record<string, unknown> };
    };
    const outputs = terraform["//"]?.outputs;
    if (outputs?.[this.node.id] !== undefined)
      outputs[this.node.id] = flattenOutputIds(outputs[this.node.id]);
    return terraform;
  }

  /** An output is named by its own id, wherever it sits in the tree: `terraform output rule_name`. */
  protected override allocateLogicalId(element: TerraformElement | Node): string {
    if (TerraformOutput.isTerraformOutput(element)) {
      const id = element.node.id;
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(id)) throw new Error(`output id "${id}" is not a Terraform name`);
      return id;
    }
    return super.allocateLogicalId(element);
  }

  private configureBackend(backend: BackendConfig, target: Target, localStatePath?: string): void {
    if (backend.type === "local") {
      new LocalBackend(this, { path: localStatePath ?? `terraform.${stackNameFor(target)}.tfstate` });
      return;
    }
    const s3 = new S3Backend(this, {
      bucket: backend.bucket,
      key: stateKeyFor(backend.keyPrefix, target),
      region: backend.region,
      encrypt: true,
      ...(backend.locking === "dynamodb" && backend.dynamodbTable
        ? { dynamodbTable: terraformLiteral(backend.dynamodbTable) }
        : {}),
    });
    // cdktf 0.21 predates S3 native locking (Terraform 1.10), so the argument goes in as an override.
    if (backend.locking === "lockfile") s3.addOverride("use_lockfile", true);
  }
}
