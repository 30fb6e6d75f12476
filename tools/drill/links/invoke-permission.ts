import { EVENTBRIDGE_INVOKES_LAMBDA_WITHOUT_SOURCE_ACCOUNT } from "../../../lib/aws-facts";
import { DrillBreak, type Say } from "../drill-break";
import { describeStandIn, type PlannedResource, type PlanView } from "../plan-view";
import { functionArn, resolved } from "./event-target";

const EVENTS_PRINCIPAL = "events.amazonaws.com";

/** A permission that lets EventBridge invoke the function from the rule, and only from it. */
export function checkPermission(
  view: PlanView,
  fn: PlannedResource,
  eventRule: PlannedResource,
  say: Say,
): void {
  const fnName = fn.values.function_name;
  const fnArn = functionArn(view, fn);
  const ruleArn = view.fakeValueOf(`${eventRule.address}.arn`);
  const grants = view.resourcesOf("aws_lambda_permission").filter((permission) => {
    const name = resolved(view, permission, "function_name", "invoke-permission")?.value;
    return (
      (name === fnName || name === fnArn) &&
      permission.values.principal === EVENTS_PRINCIPAL &&
      (permission.values.action === "lambda:InvokeFunction" || permission.values.action === "lambda:*")
    );
  });
  if (grants.length === 0) {
    throw new DrillBreak(
      "invoke-permission",
      `✗ no aws_lambda_permission lets ${EVENTS_PRINCIPAL} invoke function ${fnName}: EventBridge's invocations from rule ${eventRule.values.name} would be refused`,
    );
  }
  const sources = grants.map((grant) => resolved(view, grant, "source_arn", "invoke-permission"));
  const index = sources.findIndex((source) => source?.value === ruleArn);
  const source = sources[index];
  if (!source) {
    throw new DrillBreak(
      "invoke-permission",
      `✗ the permission for ${EVENTS_PRINCIPAL} on function ${fnName} is limited to ${sources.map((s) => s?.value ?? "(any source)").join(", ")}, not rule ${eventRule.values.name} (${ruleArn})`,
    );
  }
  const sourceAccount = grants[index]?.values.source_account;
  if (
    sourceAccount !== undefined &&
    sourceAccount !== null &&
    EVENTBRIDGE_INVOKES_LAMBDA_WITHOUT_SOURCE_ACCOUNT.value
  ) {
    throw new DrillBreak(
      "invoke-permission",
      `✗ the permission for ${EVENTS_PRINCIPAL} on function ${fnName} sets source_account ${String(sourceAccount)}: EventBridge sends no source account when it invokes a function, so every event would be refused (${EVENTBRIDGE_INVOKES_LAMBDA_WITHOUT_SOURCE_ACCOUNT.source})`,
    );
  }
  say(
    `✓ aws_lambda_permission lets ${EVENTS_PRINCIPAL} invoke ${fnName} from rule ${eventRule.values.name}, ${source.value}${describeStandIn(source)}`,
  );
}
