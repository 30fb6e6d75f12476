import { ConfigServiceClient, StartRemediationExecutionCommand } from "@aws-sdk/client-config-service";
import { HANDLER_ENVIRONMENT } from "./environment";

// Placeholder with the seed's behaviour: start remediation for a NON_COMPLIANT instance of our rule.
const client = new ConfigServiceClient({});

interface ComplianceEvent {
  detail?: {
    configRuleName?: string;
    resourceId?: string;
    resourceType?: string;
    newEvaluationResult?: { complianceType?: string };
  };
}

export async function handler(event: ComplianceEvent): Promise<void> {
  const detail = event.detail;
  const ruleName = process.env[HANDLER_ENVIRONMENT.ruleName];
  if (
    !detail ||
    detail.configRuleName !== ruleName ||
    detail.resourceType !== "AWS::EC2::Instance" ||
    detail.newEvaluationResult?.complianceType !== "NON_COMPLIANT" ||
    !detail.resourceId
  ) {
    console.log(
      JSON.stringify({
        level: "INFO",
        message: "ignored",
        reason: "not a NON_COMPLIANT instance of our rule",
      }),
    );
    return;
  }
  await client.send(
    new StartRemediationExecutionCommand({
      ConfigRuleName: ruleName,
      ResourceKeys: [{ resourceType: "AWS::EC2::Instance", resourceId: detail.resourceId }],
    }),
  );
}
