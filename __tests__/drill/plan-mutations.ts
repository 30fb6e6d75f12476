/**
 * Breaks one link of a stack's plan JSON, as a wrong deployment would: every edit is made to a copy of
 * the plan, in each place Terraform records the value (planned values, after_unknown, configuration).
 */

// biome-ignore lint/suspicious/noExplicitAny: plan JSON is edited freely; the drill under test validates it
export type Plan = Record<string, any>;
// biome-ignore lint/suspicious/noExplicitAny: as above
type Resource = Record<string, any>;

export function copyOf(plan: Plan): Plan {
  return structuredClone(plan);
}

function plannedResources(plan: Plan): Resource[] {
  return plan.planned_values.root_module.resources;
}

/**
 * The one resource of a type; where a stack has several (event rules and targets: the compliance path and
 * the failed-stop notifications), the one in the event-driven path, which is what the drill walks.
 */
function only(resources: Resource[], type: string): Resource {
  const all = resources.filter((resource) => resource.type === type);
  const found =
    all.length > 1
      ? all.filter(
          (resource) =>
            /\.event-driven_/.test(resource.address) &&
            !/\.event-driven_instance-running_/.test(resource.address),
        )
      : all;
  if (found.length !== 1) throw new Error(`expected one ${type} in the plan, found ${found.length}`);
  return found[0] as Resource;
}

export function planned(plan: Plan, type: string): Resource {
  return only(plannedResources(plan), type);
}

export function change(plan: Plan, type: string): Resource {
  return only(plan.resource_changes, type);
}

export function configured(plan: Plan, type: string): Resource {
  return only(plan.configuration.root_module.resources, type);
}

export function removeResource(plan: Plan, type: string): Plan {
  const keep = (resource: Resource) => resource.type !== type;
  plan.planned_values.root_module.resources = plannedResources(plan).filter(keep);
  plan.resource_changes = plan.resource_changes.filter(keep);
  plan.configuration.root_module.resources = plan.configuration.root_module.resources.filter(keep);
  return plan;
}

export function editPattern(plan: Plan, edit: (pattern: Resource) => void): Plan {
  const rule = planned(plan, "aws_cloudwatch_event_rule");
  const pattern = JSON.parse(rule.values.event_pattern);
  edit(pattern);
  rule.values.event_pattern = JSON.stringify(pattern);
  return plan;
}

/** Edits the function's variables where the plan keeps them: known values, or the configuration's map. */
export function editEnvironment(plan: Plan, edit: (variables: Record<string, string>) => void): Plan {
  const known = planned(plan, "aws_lambda_function").values.environment?.[0]?.variables;
  if (known) edit(known);
  const written = configured(plan, "aws_lambda_function").expressions.environment[0].variables.constant_value;
  edit(written);
  return plan;
}

export function renameVariable(plan: Plan, from: string, to: string): Plan {
  return editEnvironment(plan, (variables) => {
    variables[to] = variables[from] as string;
    delete variables[from];
  });
}

export function dropParameter(plan: Plan, name: string): Plan {
  const values = planned(plan, "aws_config_remediation_configuration").values;
  const index = values.parameter.findIndex((parameter: Resource) => parameter.name === name);
  if (index < 0) throw new Error(`no remediation parameter ${name} to drop`);
  values.parameter.splice(index, 1);
  change(plan, "aws_config_remediation_configuration").change.after_unknown.parameter.splice(index, 1);
  const expressions = configured(plan, "aws_config_remediation_configuration").expressions;
  expressions.parameter = expressions.parameter.filter(
    (parameter: Resource) => parameter.name.constant_value !== name,
  );
  return plan;
}

export function renameParameter(plan: Plan, from: string, to: string): Plan {
  const values = planned(plan, "aws_config_remediation_configuration").values;
  for (const parameter of values.parameter) if (parameter.name === from) parameter.name = to;
  const expressions = configured(plan, "aws_config_remediation_configuration").expressions;
  for (const parameter of expressions.parameter) {
    if (parameter.name.constant_value === from) parameter.name.constant_value = to;
  }
  return plan;
}

/** The planned values of the schedule of this name. */
export function plannedSchedule(plan: Plan, name: string): Resource {
  const found = plannedResources(plan).find(
    (resource) => resource.type === "aws_scheduler_schedule" && resource.values.name === name,
  );
  if (!found) throw new Error(`no schedule ${name} in the plan`);
  return found;
}

/** Drops a schedule from everywhere the plan records it. */
export function removeSchedule(plan: Plan, name: string): Plan {
  const address = plannedSchedule(plan, name).address;
  const keep = (resource: Resource) => resource.address !== address;
  plan.planned_values.root_module.resources = plannedResources(plan).filter(keep);
  plan.resource_changes = plan.resource_changes.filter(keep);
  plan.configuration.root_module.resources = plan.configuration.root_module.resources.filter(keep);
  return plan;
}

/** The configuration of a data source or resource, by address. */
export function configuredAt(plan: Plan, address: string): Resource {
  const found = plan.configuration.root_module.resources.find(
    (resource: Resource) => resource.address === address,
  );
  if (!found) throw new Error(`no ${address} in the plan's configuration`);
  return found;
}
