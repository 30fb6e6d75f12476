import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import type { RemediationMode } from "../../app/config";
import { EVENTBRIDGE_INVOKES_LAMBDA_WITHOUT_SOURCE_ACCOUNT } from "../../lib/aws-facts";
import { HANDLER_ENVIRONMENT } from "../../lib/contract";
import type { AwsLoopback } from "../loopback/aws-loopback";
import { invokeUnpacked, jsonLogLines, unpackZip } from "../loopback/deployed-function";
import { matchesEventPattern, UnsupportedPatternError } from "./event-pattern-matcher";
import { describeMismatch, firstPatternMismatch } from "./pattern-mismatch";
import {
  type DrillPlanJson,
  describeStandIn,
  isObject,
  type PlannedResource,
  PlanView,
  type StandIn,
} from "./plan-view";
import { checkReevaluation, ReevaluationBreak } from "./reevaluation";
import { DRILL_INSTANCE_ID, type DrillEvent, fillSampleEvent, IGNORED_VARIANTS } from "./sample-event";
import { STOP_EC2_INSTANCE_DECLARATION } from "./stop-instance-document";

/** The links of the path, in the order the drill walks them; a break names the one that failed. */
export const DRILL_LINKS = [
  "plan",
  "config-rule",
  "reevaluation",
  "event-pattern",
  "event-target",
  "invoke-permission",
  "function-environment",
  "function-code",
  "function-run",
  "remediation-request",
  "remediation-configuration",
  "remediation-parameters",
] as const;
export type DrillLink = (typeof DRILL_LINKS)[number];

export class DrillBreak extends Error {
  constructor(
    readonly link: DrillLink,
    message: string,
  ) {
    super(message);
    this.name = "DrillBreak";
  }
}

export interface StackDrillInput {
  readonly stackName: string;
  /** What the configuration deploys the stack for; the plan is checked against it. */
  readonly target: { readonly accountId: string; readonly region: string; readonly mode: RemediationMode };
  /** `terraform show -json` of the stack's offline plan. */
  readonly plan: DrillPlanJson;
  /** The folder the plan was made in: the plan's relative file names (the Lambda zip) resolve against it. */
  readonly planDir: string;
  /** The recorded event's text, placeholders unfilled. */
  readonly eventTemplate: string;
  /** The loopback AWS endpoint the function runs against (event-driven stacks only). */
  readonly aws?: AwsLoopback;
  /** Called with each step's line as it passes (`✓ …`) or is noted (`· …`). @default - nothing */
  readonly onStep?: (line: string) => void;
}

export interface StackDrillReport {
  readonly stackName: string;
  readonly mode: RemediationMode;
  /** Each passed or noted step, in order. */
  readonly steps: readonly string[];
  /** The first link that broke; undefined when the whole path holds. */
  readonly broken?: { readonly link: DrillLink; readonly message: string };
}

export const CONFIG_RULE_IDENTIFIER = "APPROVED_AMIS_BY_ID";
const EC2_INSTANCE = "AWS::EC2::Instance";
const EVENTS_PRINCIPAL = "events.amazonaws.com";

/** Walks the stack's path from its plan and reports each step; stops at the first link that breaks. */
export async function drillStack(input: StackDrillInput): Promise<StackDrillReport> {
  const steps: string[] = [];
  const say = (line: string) => {
    steps.push(line);
    input.onStep?.(line);
  };
  const report = { stackName: input.stackName, mode: input.target.mode };
  try {
    await walk(input, say);
    return { ...report, steps };
  } catch (error) {
    if (error instanceof DrillBreak)
      return { ...report, steps, broken: { link: error.link, message: error.message } };
    throw error;
  }
}

async function walk(input: StackDrillInput, say: (line: string) => void): Promise<void> {
  const view = new PlanView(input.plan, input.target);
  const planRegion = view.providerRegion();
  if (planRegion !== input.target.region) {
    throw new DrillBreak(
      "plan",
      `✗ the plan's aws provider deploys to region ${planRegion ?? "(unknown)"}, but the stack's target is ${input.target.region}`,
    );
  }
  const rule = checkConfigRule(view, say);
  checkRuleReevaluation(view, rule, say);
  const mode = input.target.mode;
  if (mode === "audit") {
    say("· audit mode: the rule only reports compliance; no remediation, event rule or function to drill");
    return;
  }
  if (mode === "manual" || mode === "automatic") {
    checkRemediation(view, rule, mode, say);
    return;
  }
  const event = fillSampleEvent(input.eventTemplate, {
    account: input.target.accountId,
    region: input.target.region,
    rule,
    instance: DRILL_INSTANCE_ID,
  });
  say(
    `· the recorded event, filled in: account ${input.target.accountId}, region ${input.target.region}, rule ${rule}, instance ${DRILL_INSTANCE_ID}`,
  );
  const eventRule = checkPattern(view, rule, event, input.eventTemplate, say);
  const fn = checkTarget(view, eventRule, say);
  checkPermission(view, fn, eventRule, say);
  const variables = checkEnvironment(view, fn, say);
  if (!input.aws)
    throw new Error("an event-driven stack needs the loopback AWS endpoint to run its function");
  await runFunction({ view, fn, variables, event, rule, planDir: input.planDir, aws: input.aws }, say);
  checkRemediation(view, rule, mode, say);
}

// ---- the Config rule ---------------------------------------------------------------------------------

function checkConfigRule(view: PlanView, say: (line: string) => void): string {
  const rules = view
    .resourcesOf("aws_config_config_rule")
    .filter((rule) => firstObject(rule.values.source)?.source_identifier === CONFIG_RULE_IDENTIFIER);
  const [rule] = rules;
  if (!rule || rules.length !== 1) {
    throw new DrillBreak(
      "config-rule",
      `✗ the plan creates ${rules.length} Config rule(s) with the managed rule ${CONFIG_RULE_IDENTIFIER}, not exactly one`,
    );
  }
  const name = rule.values.name;
  if (typeof name !== "string")
    throw new DrillBreak("config-rule", `✗ the Config rule ${rule.address} has no known name`);
  const scope = firstObject(rule.values.scope)?.compliance_resource_types;
  if (!Array.isArray(scope) || !scope.includes(EC2_INSTANCE)) {
    throw new DrillBreak(
      "config-rule",
      `✗ Config rule ${name} is scoped to ${JSON.stringify(scope ?? [])}, not ${EC2_INSTANCE}: it would evaluate no instance`,
    );
  }
  say(`✓ Config rule ${name} (${CONFIG_RULE_IDENTIFIER}) evaluates ${EC2_INSTANCE}`);
  return name;
}

function checkRuleReevaluation(view: PlanView, ruleName: string, say: (line: string) => void): void {
  const rule = view
    .resourcesOf("aws_config_config_rule")
    .find((candidate) => candidate.values.name === ruleName) as PlannedResource;
  try {
    for (const line of checkReevaluation(view, { address: rule.address, name: ruleName })) say(line);
  } catch (error) {
    if (error instanceof ReevaluationBreak) throw new DrillBreak("reevaluation", error.message);
    throw error;
  }
}

// ---- EventBridge -------------------------------------------------------------------------------------

function busOf(resource: PlannedResource): string {
  const bus = resource.values.event_bus_name;
  return typeof bus === "string" ? bus : "default";
}

function parsePattern(resource: PlannedResource): unknown {
  try {
    return JSON.parse(String(resource.values.event_pattern));
  } catch (error) {
    throw new DrillBreak(
      "event-pattern",
      `✗ event rule ${resource.values.name}'s pattern is not JSON: ${(error as Error).message}`,
    );
  }
}

function matches(resource: PlannedResource, pattern: unknown, event: DrillEvent): boolean {
  try {
    return matchesEventPattern(pattern, event);
  } catch (error) {
    if (!(error instanceof UnsupportedPatternError)) throw error;
    throw new DrillBreak("event-pattern", `✗ event rule ${resource.values.name}: ${error.message}`);
  }
}

/** The event rule that lets the recorded event through, and lets none of its ignored variants through. */
function checkPattern(
  view: PlanView,
  ruleName: string,
  event: DrillEvent,
  template: string,
  say: (line: string) => void,
): PlannedResource {
  const candidates = view
    .resourcesOf("aws_cloudwatch_event_rule")
    .filter((resource) => typeof resource.values.event_pattern === "string");
  if (candidates.length === 0) {
    throw new DrillBreak(
      "event-pattern",
      "✗ the plan creates no EventBridge rule with an event pattern: compliance changes reach no function",
    );
  }
  const matching = candidates.filter((resource) => matches(resource, parsePattern(resource), event));
  const [eventRule] = matching;
  if (!eventRule) {
    const [first] = candidates as [PlannedResource];
    const mismatch = firstPatternMismatch(parsePattern(first), event);
    const name = first.values.name;
    if (mismatch?.field === "detail.configRuleName") {
      throw new DrillBreak(
        "event-pattern",
        `✗ event rule ${name}'s pattern names rule ${mismatch.expected.map((v) => JSON.stringify(v)).join(", ")} but the Config rule is "${ruleName}"`,
      );
    }
    throw new DrillBreak(
      "event-pattern",
      `✗ event rule ${name}'s pattern does not match the recorded NON_COMPLIANT event: ${mismatch ? describeMismatch(mismatch) : "no field explains it"}`,
    );
  }
  const name = eventRule.values.name;
  if (busOf(eventRule) !== "default") {
    throw new DrillBreak(
      "event-pattern",
      `✗ event rule ${name} listens on the event bus "${busOf(eventRule)}"; Config sends compliance changes to "default"`,
    );
  }
  say(`✓ event rule ${name}'s pattern matches the recorded NON_COMPLIANT event`);
  const pattern = parsePattern(eventRule);
  for (const variant of IGNORED_VARIANTS) {
    const ignored = variant.make(
      fillSampleEvent(template, {
        account: String(event.account),
        region: String(event.region),
        rule: ruleName,
        instance: DRILL_INSTANCE_ID,
      }),
    );
    if (matches(eventRule, pattern, ignored)) {
      throw new DrillBreak(
        "event-pattern",
        `✗ event rule ${name}'s pattern also matches the ${variant.label} variant: the function would be invoked for it`,
      );
    }
    say(`✓ event rule ${name}'s pattern ignores the ${variant.label} variant`);
  }
  return eventRule;
}

function functionArn(view: PlanView, fn: PlannedResource): string {
  return view.fakeValueOf(`${fn.address}.arn`);
}

function resolved(
  view: PlanView,
  resource: PlannedResource,
  attribute: string,
  link: DrillLink,
): StandIn | undefined {
  try {
    return view.stringAttribute(resource, attribute);
  } catch (error) {
    throw new DrillBreak(link, `✗ ${(error as Error).message}`);
  }
}

/** The function the rule's target invokes. */
function checkTarget(
  view: PlanView,
  eventRule: PlannedResource,
  say: (line: string) => void,
): PlannedResource {
  const ruleName = eventRule.values.name;
  const targets = view
    .resourcesOf("aws_cloudwatch_event_target")
    .filter((target) => target.values.rule === ruleName && busOf(target) === busOf(eventRule));
  if (targets.length === 0) {
    throw new DrillBreak(
      "event-target",
      `✗ event rule ${ruleName} has no target: the events it matches would go nowhere`,
    );
  }
  const functions = view.resourcesOf("aws_lambda_function");
  const sentTo: string[] = [];
  for (const target of targets) {
    const arn = resolved(view, target, "arn", "event-target");
    if (!arn) continue;
    sentTo.push(arn.value);
    const fn = functions.find((candidate) => functionArn(view, candidate) === arn.value);
    if (fn) {
      say(
        `✓ event rule ${ruleName}'s target "${target.values.target_id}" invokes function ${fn.values.function_name}, ${arn.value}${describeStandIn(arn)}`,
      );
      return fn;
    }
  }
  throw new DrillBreak(
    "event-target",
    `✗ event rule ${ruleName}'s target(s) send events to ${sentTo.join(", ") || "(no known ARN)"}, which is no function this stack creates (${functions.map((fn) => functionArn(view, fn)).join(", ") || "none"})`,
  );
}

function checkPermission(
  view: PlanView,
  fn: PlannedResource,
  eventRule: PlannedResource,
  say: (line: string) => void,
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

// ---- the function ------------------------------------------------------------------------------------

/** The variables the plan gives the function: planned values when known, else its configuration. */
function resolveEnvironment(view: PlanView, fn: PlannedResource): Map<string, StandIn> {
  const known = firstObject(fn.values.environment)?.variables;
  if (isObject(known))
    return new Map(Object.entries(known).map(([name, value]) => [name, { value: String(value) }]));
  const unknown = firstObject(fn.afterUnknown.environment)?.variables;
  if (unknown !== true) return new Map();
  const expression = firstObject(fn.expressions.environment)?.variables;
  if (!isObject(expression) || !isObject(expression.constant_value)) {
    throw new DrillBreak(
      "function-environment",
      `✗ ${fn.address}'s environment is unknown until apply and its configuration gives no map to stand in from`,
    );
  }
  const variables = new Map<string, StandIn>();
  for (const [name, text] of Object.entries(expression.constant_value)) {
    try {
      variables.set(name, view.resolveTemplate(String(text), `${fn.address} variable ${name}`));
    } catch (error) {
      throw new DrillBreak("function-environment", `✗ ${(error as Error).message}`);
    }
  }
  return variables;
}

function checkEnvironment(
  view: PlanView,
  fn: PlannedResource,
  say: (line: string) => void,
): Record<string, string> {
  const variables = resolveEnvironment(view, fn);
  const names = [...variables.keys()].sort();
  const read = Object.values(HANDLER_ENVIRONMENT);
  const missing = read.filter((name) => !variables.has(name));
  if (missing.length > 0) {
    throw new DrillBreak(
      "function-environment",
      `✗ the function's environment does not set ${missing.join(", ")}, which the handler reads (handler/environment.ts); it sets ${names.join(", ") || "nothing"}`,
    );
  }
  say(`✓ the function's environment sets every variable the handler reads: ${read.join(", ")}`);
  for (const [name, standIn] of variables) {
    if (standIn.standsInFor) say(`· ${name}=${standIn.value}${describeStandIn(standIn)}`);
  }
  return Object.fromEntries([...variables].map(([name, standIn]) => [name, standIn.value]));
}

interface FunctionRun {
  readonly view: PlanView;
  readonly fn: PlannedResource;
  readonly variables: Record<string, string>;
  readonly event: DrillEvent;
  readonly rule: string;
  readonly planDir: string;
  readonly aws: AwsLoopback;
}

interface HandlerResult {
  readonly outcome?: string;
  readonly reason?: string;
  readonly instanceId?: string;
}

function zipOf(run: FunctionRun): string {
  const filename = run.fn.values.filename;
  if (typeof filename !== "string") {
    throw new DrillBreak(
      "function-code",
      `✗ function ${run.fn.values.function_name} has no local zip in the plan (filename)`,
    );
  }
  const zip = path.resolve(run.planDir, filename);
  if (!existsSync(zip)) {
    throw new DrillBreak(
      "function-code",
      `✗ the function's zip ${filename} is not in the planned folder ${run.planDir}`,
    );
  }
  const hash = createHash("sha256").update(readFileSync(zip)).digest("base64");
  const planned = run.fn.values.source_code_hash;
  if (typeof planned === "string" && planned !== hash) {
    throw new DrillBreak(
      "function-code",
      `✗ the function's zip ${filename} hashes to ${hash}, but the plan deploys source_code_hash ${planned}`,
    );
  }
  return zip;
}

async function runFunction(run: FunctionRun, say: (line: string) => void): Promise<void> {
  const zip = zipOf(run);
  say(`✓ the function's zip ${path.basename(zip)} is the one the plan deploys (SHA-256 = source_code_hash)`);
  const codeDir = mkdtempSync(path.join(tmpdir(), "ami-guard-drill-"));
  try {
    unpackZip(zip, codeDir);
    const handler = typeof run.fn.values.handler === "string" ? run.fn.values.handler : "index.handler";
    const region = run.view.location.region;
    run.aws.clear();
    run.aws.evaluatedRuleName = run.rule;
    const invocation = await invokeUnpacked<HandlerResult>(
      { codeDir, handler, variables: run.variables },
      run.event,
      { endpointUrl: run.aws.url, region },
    );
    if (!invocation.ok) {
      throw new DrillBreak(
        "function-run",
        `✗ the function failed on the recorded event: ${invocation.error?.name}: ${invocation.error?.message}`,
      );
    }
    say(
      `✓ the function ran from its zip (${handler}) in its own process with the plan's environment, against the loopback AWS endpoint`,
    );
    checkOutcome(run, invocation.result ?? {}, invocation.stdout, say);
  } finally {
    rmSync(codeDir, { recursive: true, force: true });
  }
}

function ignoredDetails(stdout: string): string {
  const line = jsonLogLines(stdout).find((entry) => entry.decision === "ignored");
  return Array.isArray(line?.details) ? `: ${line.details.join("; ")}` : "";
}

function checkOutcome(
  run: FunctionRun,
  result: HandlerResult,
  stdout: string,
  say: (line: string) => void,
): void {
  const described = run.aws.requestsFor("DescribeInstances");
  const starts = run.aws.requestsFor("StartRemediationExecution");
  if (result.outcome === "ignored") {
    throw new DrillBreak(
      "function-run",
      `✗ the function ignored the recorded event (${result.reason})${ignoredDetails(stdout)}`,
    );
  }
  if (described.length > 0) {
    say(`✓ the function read instance ${DRILL_INSTANCE_ID} first (DescribeInstances: running, untagged)`);
  }
  const dryRun = run.variables[HANDLER_ENVIRONMENT.dryRun] === "true";
  if (dryRun) {
    if (result.outcome !== "dry-run" || starts.length > 0) {
      throw new DrillBreak(
        "function-run",
        `✗ ${HANDLER_ENVIRONMENT.dryRun}=true, but the function's outcome was ${result.outcome} with ${starts.length} StartRemediationExecution request(s)`,
      );
    }
    say(
      `✓ dry run (${HANDLER_ENVIRONMENT.dryRun}=true): the function reported instance ${DRILL_INSTANCE_ID} and started nothing, as configured`,
    );
    return;
  }
  if (result.outcome !== "remediation-started") {
    throw new DrillBreak(
      "function-run",
      `✗ the function's outcome was ${result.outcome}${result.reason ? ` (${result.reason})` : ""}, not remediation-started`,
    );
  }
  const [start] = starts;
  if (!start || starts.length !== 1) {
    throw new DrillBreak(
      "remediation-request",
      `✗ the function reported a start but sent ${starts.length} StartRemediationExecution requests`,
    );
  }
  const body = isObject(start.json) ? start.json : {};
  const keys = Array.isArray(body.ResourceKeys) ? body.ResourceKeys : [];
  const [key] = keys;
  if (
    body.ConfigRuleName !== run.rule ||
    keys.length !== 1 ||
    !isObject(key) ||
    key.resourceType !== EC2_INSTANCE ||
    key.resourceId !== DRILL_INSTANCE_ID
  ) {
    throw new DrillBreak(
      "remediation-request",
      `✗ StartRemediationExecution names rule ${JSON.stringify(body.ConfigRuleName)} and resources ${JSON.stringify(keys)}, not rule "${run.rule}" and instance ${DRILL_INSTANCE_ID}`,
    );
  }
  const region = run.view.location.region;
  if (!start.headers.authorization?.includes(`/${region}/config/aws4_request`)) {
    throw new DrillBreak(
      "remediation-request",
      `✗ StartRemediationExecution was signed for another region than ${region}: ${start.headers.authorization}`,
    );
  }
  say(
    `✓ StartRemediationExecution names rule ${run.rule} and instance ${DRILL_INSTANCE_ID} (Config JSON 1.1, signed for ${region})`,
  );
}

// ---- the remediation configuration -------------------------------------------------------------------

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

function checkRemediation(
  view: PlanView,
  rule: string,
  mode: RemediationMode,
  say: (line: string) => void,
): void {
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

function checkParameters(
  passed: readonly PassedParameter[],
  automatic: boolean,
  say: (line: string) => void,
): void {
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

function firstObject(value: unknown): Record<string, unknown> | undefined {
  const [first] = Array.isArray(value) ? value : [];
  return isObject(first) ? first : undefined;
}
