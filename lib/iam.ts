import {
  DataAwsIamPolicyDocument,
  type DataAwsIamPolicyDocumentStatement,
} from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { Construct } from "constructs";
import { sendsOnAssumeRole } from "./service-behaviour";

export interface ServiceRoleProps {
  /** Role name; IAM names are global to the account, so it carries the region. */
  readonly roleName: string;
  readonly description: string;
  /** The service principal that assumes the role, such as `ssm.amazonaws.com`. */
  readonly service: string;
  /**
   * Only this account's use of the service may assume the role (confused-deputy protection), where the
   * service documents sending aws:SourceAccount; see {@link sendsOnAssumeRole}.
   */
  readonly accountId: string;
  /**
   * Narrows the trust further to the resources of the service that may assume the role (aws:SourceArn,
   * ArnLike), where the service documents that it sends the key.
   * @default - aws:SourceAccount alone
   */
  readonly sourceArn?: string;
  /** The role's only permissions, written inline so a reviewer reads them next to the role. */
  readonly statements: DataAwsIamPolicyDocumentStatement[];
  /** @default - no managed policies */
  readonly managedPolicyArns?: string[];
}

/**
 * A role one AWS service assumes on behalf of this account only, with an inline policy built by
 * `aws_iam_policy_document` (which normalizes the JSON, so plans show no whitespace-only diffs).
 */
export class ServiceRole extends Construct {
  readonly role: IamRole;
  /** The inline policy: resources that AWS checks against the role's permissions when created depend on it. */
  readonly policy: IamRolePolicy;
  /** The managed policies' attachments, which such resources depend on as well. */
  readonly managedPolicyAttachments: readonly IamRolePolicyAttachment[];

  constructor(scope: Construct, id: string, props: ServiceRoleProps) {
    super(scope, id);
    // Lambda documents no source keys when it assumes an execution role; there the role is bound to this
    // account by iam:PassRole instead, which no other account can be granted on it.
    const bindsSourceAccount = sendsOnAssumeRole(props.service, "aws:SourceAccount");
    if (props.sourceArn !== undefined && !sendsOnAssumeRole(props.service, "aws:SourceArn")) {
      throw new Error(
        `${props.roleName}: ${props.service} is not documented to send aws:SourceArn when it assumes a role; a condition on it would refuse every assumption`,
      );
    }
    const conditions = [
      ...(bindsSourceAccount
        ? [{ test: "StringEquals", variable: "aws:SourceAccount", values: [props.accountId] }]
        : []),
      ...(props.sourceArn ? [{ test: "ArnLike", variable: "aws:SourceArn", values: [props.sourceArn] }] : []),
    ];
    const trust = new DataAwsIamPolicyDocument(this, "trust", {
      statement: [
        {
          effect: "Allow",
          actions: ["sts:AssumeRole"],
          principals: [{ type: "Service", identifiers: [props.service] }],
          ...(conditions.length > 0 ? { condition: conditions } : {}),
        },
      ],
    });
    this.role = new IamRole(this, "role", {
      name: props.roleName,
      description: props.description,
      assumeRolePolicy: trust.json,
    });
    // Attachments rather than the role's deprecated managed_policy_arns argument.
    this.managedPolicyAttachments = (props.managedPolicyArns ?? []).map(
      (policyArn, index) =>
        new IamRolePolicyAttachment(this, `managed-policy-${index}`, { role: this.role.name, policyArn }),
    );
    const permissions = new DataAwsIamPolicyDocument(this, "permissions", { statement: props.statements });
    this.policy = new IamRolePolicy(this, "policy", {
      name: "permissions",
      role: this.role.id,
      policy: permissions.json,
    });
  }
}

/**
 * The only actions a policy of ours may grant on `Resource: "*"`: each has no resource type in the AWS
 * Service Authorization Reference (the "Resource types" column of its row is empty), so no ARN can scope
 * it. The policy tests refuse `"*"` for any other action, and refuse entries here that no policy uses.
 */
export const ACTIONS_WITHOUT_RESOURCE_TYPES: Readonly<Record<string, string>> = {
  "config:StartRemediationExecution":
    "https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsconfig.html#awsconfig-actions-as-permissions",
  "config:GetComplianceDetailsByResource":
    "https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsconfig.html#awsconfig-actions-as-permissions",
  "ec2:DescribeInstances":
    "https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html#amazonec2-actions-as-permissions",
  "ec2:DescribeInstanceStatus":
    "https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html#amazonec2-actions-as-permissions",
};
