import type { RemediationMode } from "../../../app/config/schema";
import { DrillBreak, EC2_INSTANCE, type Say } from "../drill-break";
import { describeStandIn, isObject, type PlannedResource, type PlanView, type StandIn } from "../plan-view";
import { STOP_EC2_INSTANCE_DECLARATION } from "../stop-instance-document";

interface PassedParameter {
  readonly name: string;
  /** The kinds of value given: resource_value, static_value, static_values. */
  readonly kinds: readonly string[];
  readonly resourceValue?: string;
  readonly staticValue?: StandIn;
}

const VALUE_KINDS = ["resource_value", "static_value", "static_values"] as const;

function isGiven(value: unknown): boolean {
  return Array.isArray(value) ? value.length > 0 : value !== null && value !== undefined;
}

/**
 * The parameters as planned. An optional-and-computed attribute (`static_values`) is unknown in every
 * block, so an unknown value counts as given only where the configuration sets it.
 */
function passedParameters(view: PlanView, configuration: PlannedResource): PassedParameter[] {
  const planned = Array.isArray(configuration.values.parameter) ? configuration.values.parameter : [];
  const unknown = Array.isArray(configuration.afterUnknown.parameter)
    ? configuration.afterUnknown.parameter
    : [];
  const written = (
    Array.isArray(configuration.expressions.parameter) ? configuration.expressions.parameter : []
  ).filter(isObject);
  return planned.filter(isObject).map((parameter, index) => {
    const name = String(parameter.name);
    const block = written.find(
      (candidate) => isObject(candidate.name) && candidate.name.constant_value === name,
    );
    const unknownHere = isObject(unknown[index]) ? (unknown[index] as Record<string, unknown>) : {};
    const kinds = VALUE_KINDS.filter(
      (kind) =>
        isGiven(parameter[kind]) || (unknownHere[kind] === true && block !== undefined && kind in block),
    );
    let staticValue: StandIn | undefined;
    if (typeof parameter.static_value === "string") staticValue = { value: parameter.static_value };
    else if (kinds.includes("static_value")) {
      try {
        staticValue = view.resolveExpression(
          block?.static_value,
          `${configuration.address} parameter ${name}`,
        );
      } catch (error) {
        throw new DrillBreak("remediation-parameters", `✗ ${(error as Error).message}`);
      }
    }
    return {
      name,
      kinds,
      ...(typeof parameter.resource_value === "string" ? { resourceValue: parameter.resource_value } : {}),
      ...(staticValue ? { staticValue } : {}),
    };
  });
}

export function checkRemediation(view: PlanView, rule: string, mode: RemediationMode, say: Say): void {
  const all = view.resourcesOf("aws_config_remediation_configuration");
  const configuration = all.find((candidate) => candidate.values.config_rule_name === rule);
  if (!configuration) {
    throw new DrillBreak(
      "remediation-configuration",
      all.length > 0
        ? `✗ the remediation configuration is for rule ${all.map((c) => JSON.stringify(c.values.config_rule_name)).join(", ")}, not the Config rule "${rule}": nothing would be remediated`
        : `✗ no remediation configuration for rule ${rule}: mode ${mode} needs one`,
    );
  }
  const document = STOP_EC2_INSTANCE_DECLARATION;
  const { target_type: targetType, target_id: targetId, resource_type: resourceType } = configuration.values;
  if (targetType !== "SSM_DOCUMENT" || targetId !== document.document) {
    throw new DrillBreak(
      "remediation-configuration",
      `✗ the remediation runs ${targetType} ${targetId}; the drill knows the parameters of the SSM document ${document.document} only`,
    );
  }
  if (typeof resourceType === "string" && resourceType !== EC2_INSTANCE) {
    throw new DrillBreak(
      "remediation-configuration",
      `✗ the remediation configuration is for ${resourceType}, not ${EC2_INSTANCE}`,
    );
  }
  const automatic = configuration.values.automatic === true;
  if (automatic !== (mode === "automatic")) {
    throw new DrillBreak(
      "remediation-configuration",
      `✗ the remediation configuration has automatic=${automatic}, but mode ${mode} ${mode === "automatic" ? "needs Config to start it" : "starts it by hand or from the function"}`,
    );
  }
  say(
    `✓ remediation configuration: rule ${rule} → SSM document ${document.document}, automatic=${automatic}`,
  );
  checkParameters(passedParameters(view, configuration), automatic, say);
}

function checkParameters(passed: readonly PassedParameter[], automatic: boolean, say: Say): void {
  const document = STOP_EC2_INSTANCE_DECLARATION;
  const declared = new Map(document.parameters.map((parameter) => [parameter.name, parameter]));
  const fail = (message: string): never => {
    throw new DrillBreak("remediation-parameters", `✗ ${message}`);
  };
  for (const parameter of passed) {
    if (!declared.has(parameter.name)) {
      fail(
        `remediation parameter ${parameter.name} is not declared by ${document.document} (it declares ${[...declared.keys()].join(", ")}; ${document.source.url})`,
      );
    }
    if (parameter.kinds.length !== 1) {
      fail(
        `remediation parameter ${parameter.name} has ${parameter.kinds.length} kinds of value (${parameter.kinds.join(", ") || "none"}); give exactly one`,
      );
    }
  }
  const byName = new Map(passed.map((parameter) => [parameter.name, parameter]));
  for (const required of document.parameters.filter((parameter) => parameter.required)) {
    if (!byName.has(required.name)) {
      fail(
        `${document.document} requires ${required.name} (${required.type}), which the remediation configuration does not pass`,
      );
    }
  }
  const instance = byName.get("InstanceId");
  if (instance?.resourceValue !== "RESOURCE_ID") {
    fail(
      `remediation parameter InstanceId must come from resource_value RESOURCE_ID (the NON_COMPLIANT instance), not ${instance?.kinds.join(", ")}`,
    );
  }
  const role = byName.get("AutomationAssumeRole");
  if (automatic && !role) {
    fail(
      `automatic remediation needs AutomationAssumeRole: Config starts the automation with no caller whose permissions it could use`,
    );
  }
  if (role && !/^arn:aws[\w-]*:iam::\d{12}:role\/.+/.test(role.staticValue?.value ?? "")) {
    fail(
      `remediation parameter AutomationAssumeRole must be a static IAM role ARN, not ${JSON.stringify(role.staticValue?.value ?? role.kinds)}`,
    );
  }
  const roleText = role?.staticValue
    ? `, AutomationAssumeRole ← ${role.staticValue.value}${describeStandIn(role.staticValue)}`
    : "";
  say(
    `✓ remediation parameters match what ${document.document} declares: InstanceId ← RESOURCE_ID${roleText}`,
  );
}
