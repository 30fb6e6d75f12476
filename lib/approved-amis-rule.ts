import { ConfigConfigRule } from "@cdktf/provider-aws/lib/config-config-rule";
import type { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";

/** The managed rule's identifier; the rule's *name* is ours to choose. */
const APPROVED_AMIS_RULE_IDENTIFIER = "APPROVED_AMIS_BY_ID";

import { ruleInputParameters } from "./approved-amis-parameters";
import { EC2_INSTANCE_RESOURCE_TYPE } from "./contract";
import type { RuleScopeBlock } from "./instance-scope";

export { ruleInputParameters } from "./approved-amis-parameters";

export interface ApprovedAmisRuleProps {
  readonly ruleName: string;
  /** Validated by the configuration: at most 21 ids and 1,024 characters once joined. */
  readonly approvedAmiIds: readonly string[];
  /**
   * What must exist before the rule: a rule cannot be created in a region without a recorder.
   * @default - nothing (the account's existing recorder)
   */
  readonly dependsOn?: ITerraformDependable[] | undefined;
  /**
   * The instances the rule evaluates (InstanceScope.ruleScope()).
   * @default - every AWS::EC2::Instance
   */
  readonly scope?: RuleScopeBlock;
}

/** AWS Config's managed rule that marks instances launched from an unlisted AMI NON_COMPLIANT. */
export class ApprovedAmisRule extends Construct {
  readonly rule: ConfigConfigRule;

  constructor(scope: Construct, id: string, props: ApprovedAmisRuleProps) {
    super(scope, id);
    this.rule = new ConfigConfigRule(this, "rule", {
      name: props.ruleName,
      description: "EC2 instances must run an AMI from the approved list kept by ami-guard.",
      source: { owner: "AWS", sourceIdentifier: APPROVED_AMIS_RULE_IDENTIFIER },
      inputParameters: ruleInputParameters(props.approvedAmiIds),
      scope: props.scope ? { ...props.scope } : { complianceResourceTypes: [EC2_INSTANCE_RESOURCE_TYPE] },
      ...(props.dependsOn ? { dependsOn: props.dependsOn } : {}),
    });
  }
}
