import { ConfigRemediationConfiguration } from "@cdktf/provider-aws/lib/config-remediation-configuration";
import { Construct } from "constructs";
import { ServiceRole } from "./iam";
import { DEFAULT_NAME_PREFIX, resourceNames } from "./names";
import { type AwsRegion, partitionOf } from "./regions";

/** The AWS-owned SSM Automation runbook that stops instances. */
export const STOP_INSTANCE_DOCUMENT = "AWS-StopEC2Instance";

/** How Config retries a remediation it starts itself. */
export interface AutomaticRetrySettings {
  /** How many times Config tries a failed remediation (1-25). */
  readonly maximumAutomaticAttempts: number;
  /** How long Config waits for those attempts, in seconds (1-2,678,000). */
  readonly retryAttemptSeconds: number;
}

export interface StopInstanceRemediationProps {
  readonly ruleName: string;
  readonly accountId: string;
  readonly region: AwsRegion;
  /**
   * Prefix of the automation role's name ({@link resourceNames}).
   * @default "ami-guard"
   */
  readonly namePrefix?: string;
  /**
   * Config starts remediation itself, with retries; otherwise it waits for an operator or the function.
   * @default - remediation waits to be started
   */
  readonly automatic?: AutomaticRetrySettings | undefined;
}

/**
 * Binds the rule to `AWS-StopEC2Instance`, run as a role that may stop this account's instances in this
 * region and read instance status, and nothing more.
 */
export class StopInstanceRemediation extends Construct {
  readonly configuration: ConfigRemediationConfiguration;
  readonly automationRole: ServiceRole;

  constructor(scope: Construct, id: string, props: StopInstanceRemediationProps) {
    super(scope, id);
    const partition = partitionOf(props.region);
    this.automationRole = new ServiceRole(this, "automation-role", {
      roleName: resourceNames(props.namePrefix ?? DEFAULT_NAME_PREFIX, props.region).automationRoleName,
      description: `Assumed by SSM Automation (${STOP_INSTANCE_DOCUMENT}) to stop instances that run unapproved AMIs.`,
      service: "ssm.amazonaws.com",
      accountId: props.accountId,
      statements: [
        {
          sid: "StopInstances",
          effect: "Allow",
          actions: ["ec2:StopInstances"],
          resources: [`arn:${partition}:ec2:${props.region}:${props.accountId}:instance/*`],
        },
        {
          // The runbook polls until the instance is stopped; DescribeInstanceStatus has no resource type.
          sid: "WaitForStop",
          effect: "Allow",
          actions: ["ec2:DescribeInstanceStatus"],
          resources: ["*"],
        },
      ],
    });

    const automatic = props.automatic;
    this.configuration = new ConfigRemediationConfiguration(this, "configuration", {
      configRuleName: props.ruleName,
      targetType: "SSM_DOCUMENT",
      targetId: STOP_INSTANCE_DOCUMENT,
      resourceType: "AWS::EC2::Instance",
      // Name order: the provider keeps parameters as a set sorted by name, so any other order is a perpetual diff.
      parameter: [
        { name: "AutomationAssumeRole", staticValue: this.automationRole.role.arn },
        { name: "InstanceId", resourceValue: "RESOURCE_ID" },
      ],
      automatic: automatic !== undefined,
      ...(automatic
        ? {
            maximumAutomaticAttempts: automatic.maximumAutomaticAttempts,
            retryAttemptSeconds: automatic.retryAttemptSeconds,
          }
        : {}),
    });
  }
}
