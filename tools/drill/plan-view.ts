import { partitionOf } from "../../lib/regions";

/**
 * The offline plan as the drill reads it: each managed resource's planned values, which of them stay
 * unknown until apply (`after_unknown`), and the expressions Terraform parsed (`configuration`), whose
 * references say what an unknown value will be. Nothing here reads the TypeScript that produced the plan.
 */

type Json = Record<string, unknown>;

/** The parts of `terraform show -json <plan>` the drill reads. */
export interface DrillPlanJson {
  readonly planned_values?: { readonly root_module?: { readonly resources?: readonly unknown[] } };
  readonly resource_changes?: readonly unknown[];
  readonly configuration?: {
    readonly provider_config?: Record<string, { readonly expressions?: Json }>;
    readonly root_module?: { readonly resources?: readonly unknown[] };
  };
}

export interface PlannedResource {
  /** `aws_lambda_function.event-driven_function_29F848C1` */
  readonly address: string;
  readonly type: string;
  /** Known planned values; an attribute unknown until apply is absent or null here. */
  readonly values: Json;
  /** Terraform's `after_unknown`: the same shape as values, `true` where a value is unknown. */
  readonly afterUnknown: Json;
  /** The parsed configuration of the resource: `{ attr: { constant_value?, references? } }`. */
  readonly expressions: Json;
}

/** Where the stack is deployed: fake ARNs are built in its account, region and partition. */
interface StackLocation {
  readonly accountId: string;
  readonly region: string;
}

/** A value the drill had to make up for something unknown until apply, said out loud in its step. */
export interface StandIn {
  readonly value: string;
  /** `aws_sns_topic.notifications_topic_9813ADB4.arn`, when the value stands in for a reference. */
  readonly standsInFor?: string;
}

export function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function objectsIn(value: unknown): Json[] {
  return Array.isArray(value) ? value.filter(isObject) : [];
}

export class PlanView {
  private readonly byAddress = new Map<string, PlannedResource>();

  constructor(
    readonly plan: DrillPlanJson,
    readonly location: StackLocation,
  ) {
    const changes = new Map(objectsIn(plan.resource_changes).map((c) => [String(c.address), c]));
    const configured = new Map(
      objectsIn(plan.configuration?.root_module?.resources).map((r) => [String(r.address), r]),
    );
    for (const resource of objectsIn(plan.planned_values?.root_module?.resources)) {
      if (resource.mode !== "managed") continue;
      const address = String(resource.address);
      const change = changes.get(address)?.change;
      this.byAddress.set(address, {
        address,
        type: String(resource.type),
        values: isObject(resource.values) ? resource.values : {},
        afterUnknown: isObject(change) && isObject(change.after_unknown) ? change.after_unknown : {},
        expressions: isObject(configured.get(address)?.expressions)
          ? (configured.get(address)?.expressions as Json)
          : {},
      });
    }
  }

  get partition(): string {
    return partitionOf(this.location.region as Parameters<typeof partitionOf>[0]);
  }

  resourcesOf(type: string): PlannedResource[] {
    return [...this.byAddress.values()].filter((resource) => resource.type === type);
  }

  resource(address: string): PlannedResource | undefined {
    return this.byAddress.get(address);
  }

  /** The region the provider is configured for, as the plan records it. */
  providerRegion(): string | undefined {
    const region = this.plan.configuration?.provider_config?.aws?.expressions?.region;
    return isObject(region) && typeof region.constant_value === "string" ? region.constant_value : undefined;
  }

  /**
   * A top-level string attribute: its planned value when known; otherwise a stand-in built from the
   * resource its expression references (an ARN known only after apply).
   */
  stringAttribute(resource: PlannedResource, attribute: string): StandIn | undefined {
    const known = resource.values[attribute];
    if (typeof known === "string") return { value: known };
    if (resource.afterUnknown[attribute] !== true) return undefined;
    return this.resolveExpression(resource.expressions[attribute], `${resource.address}.${attribute}`);
  }

  /** The reference an expression makes to `<type>.<name>.<attribute>`, when it is exactly one. */
  referenceOf(expression: unknown): string | undefined {
    if (!isObject(expression) || !Array.isArray(expression.references)) return undefined;
    return expression.references.find(
      (reference): reference is string => typeof reference === "string" && reference.split(".").length === 3,
    );
  }

  /** Resolves a configuration expression to a stand-in: a literal, or one reference with a fake value. */
  resolveExpression(expression: unknown, where: string): StandIn {
    if (isObject(expression) && typeof expression.constant_value === "string") {
      return this.resolveTemplate(expression.constant_value, where);
    }
    const reference = this.referenceOf(expression);
    if (!reference)
      throw new Error(`${where} is unknown until apply and references nothing the drill can stand in`);
    return { value: this.fakeValueOf(reference), standsInFor: reference };
  }

  /**
   * A string from the configuration: `${<type>.<name>.<attribute>}` alone is a reference the drill stands
   * in for; `$${` and `%%{` are Terraform's escapes for a literal `${` and `%{`; any other template is
   * refused rather than guessed at.
   */
  resolveTemplate(text: string, where: string): StandIn {
    const whole = /^\$\{([\w-]+\.[\w-]+\.[\w-]+)\}$/.exec(text);
    if (whole?.[1]) return { value: this.fakeValueOf(whole[1]), standsInFor: whole[1] };
    let template = false;
    // Alternation order matters: the escapes are tried before the openers they contain.
    const value = text.replace(/\$\$\{|%%\{|\$\{|%\{/g, (token) => {
      if (token === "$${") return "${";
      if (token === "%%{") return "%{";
      template = true;
      return token;
    });
    if (template) {
      throw new Error(`${where} is the template ${JSON.stringify(text)}, which the drill cannot evaluate`);
    }
    return { value };
  }

  /** A well-formed value for `<type>.<name>.<attribute>`, from the referenced resource's known values. */
  fakeValueOf(reference: string): string {
    const [type, name, attribute] = reference.split(".") as [string, string, string];
    const target = this.resource(`${type}.${name}`);
    if (!target) throw new Error(`${reference} refers to a resource the plan does not create`);
    const known = target.values[attribute];
    if (typeof known === "string") return known;
    if (attribute !== "arn") throw new Error(`${reference} is unknown until apply and is not an ARN`);
    const { accountId, region } = this.location;
    const p = this.partition;
    const named = (key: string): string => {
      const value = target.values[key];
      if (typeof value !== "string")
        throw new Error(`${target.address} has no known ${key} to build its ARN from`);
      return value;
    };
    switch (type) {
      case "aws_sns_topic":
        return `arn:${p}:sns:${region}:${accountId}:${named("name")}`;
      case "aws_sqs_queue":
        return `arn:${p}:sqs:${region}:${accountId}:${named("name")}`;
      case "aws_lambda_function":
        return `arn:${p}:lambda:${region}:${accountId}:function:${named("function_name")}`;
      case "aws_cloudwatch_event_rule": {
        const bus = target.values.event_bus_name;
        const prefix = typeof bus === "string" && bus !== "default" ? `${bus}/` : "";
        return `arn:${p}:events:${region}:${accountId}:rule/${prefix}${named("name")}`;
      }
      case "aws_iam_role": {
        const rolePath = typeof target.values.path === "string" ? target.values.path : "/";
        return `arn:${p}:iam::${accountId}:role${rolePath}${named("name")}`;
      }
      default:
        throw new Error(
          `${reference} is unknown until apply, and the drill has no stand-in for a ${type} ARN`,
        );
    }
  }
}

/** "(arn:…, a stand-in for aws_sns_topic.x.arn, unknown until apply)" or "" for a known value. */
export function describeStandIn(standIn: StandIn): string {
  return standIn.standsInFor ? ` (stand-in for ${standIn.standsInFor}, unknown until apply)` : "";
}
