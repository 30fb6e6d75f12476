import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { App, TerraformStack } from "cdktf";
import { buildLambdaBundle } from "../../app/lambda-bundle";
import { AmiGuard, InstanceScope, Recording, RemediationMode } from "../../lib/ami-guard";
import { resourceNames } from "../../lib/names";
import { matchesEventPattern } from "../../tools/drill/event-pattern-matcher";
import { SAMPLE_AUTOMATION_FAILED_EVENT_PATH } from "../../tools/drill/sample-event";
import { AwsLoopback, ec2Instances, ssmFailedStopExecution } from "../../tools/loopback/aws-loopback";
import { invokeUnpacked, type UnpackedFunction, unpackZip } from "../../tools/loopback/deployed-function";
import { ACCOUNT, REGION, sampleEvent, sampleRunningEvent, UNAPPROVED_AMI } from "./fixtures";

/**
 * Two teams' pipelines in one stack, as synthesized: each function unpacked and run as deployed against the
 * loopback, and every event routed as EventBridge would route it, by the synthesized rules' patterns and
 * targets. Team data's instance must never be stopped by team web, and a failed stop of web's pages web
 * alone. Mutations of the same deployment (the scope removed, failed runs sent straight to the topics)
 * must be caught by the same checks, so the checks can fail.
 */

const TEAMS = ["web", "data"] as const;
type Team = (typeof TEAMS)[number];
const DATA_INSTANCE = "i-0da7a0da7a0da7a0d";
const EXECUTION = "333ba70b-2333-48db-b17e-a5e69c6f4d1c";

interface SynthesizedStack {
  resource: Record<string, Record<string, Record<string, unknown>>>;
}

/** Where a rule delivers: a team's function (invoked) or a team's topic (a page, unsorted). */
type Delivery = { readonly team: Team; readonly to: "function" | "topic" };

interface Deployment {
  readonly functions: Record<Team, UnpackedFunction>;
  readonly routes: readonly { readonly pattern: unknown; readonly delivery: Delivery }[];
  /** Each rule's scope as synthesized. */
  readonly ruleScopes: Record<Team, unknown>;
}

const topicArnOf = (team: Team) =>
  `arn:aws:sns:${REGION}:${ACCOUNT}:${resourceNames(team, REGION).topicName}`;
const automationRoleOf = (team: Team) =>
  `arn:aws:iam::${ACCOUNT}:role/${resourceNames(team, REGION).automationRoleName}`;
const ruleNameOf = (team: Team) => `${team}-approved-amis`;

let workDir: string;
let stack: SynthesizedStack;
let stackDir: string;
let aws: AwsLoopback;

function referenced(value: unknown): { type: string; address: string } | undefined {
  const match = /^\$\{(aws_[a-z_]+)\.([^.}]+)\.[a-z_]+\}$/.exec(String(value));
  return match ? { type: match[1] as string, address: match[2] as string } : undefined;
}

function teamOfAddress(address: string): Team {
  const team = TEAMS.find((candidate) => address.startsWith(`${candidate}_`));
  if (!team) throw new Error(`${address} belongs to no team`);
  return team;
}

/** The deployment a synthesized stack describes: unpacked functions and EventBridge's routes. */
function deploymentOf(synthesized: SynthesizedStack): Deployment {
  const functions = {} as Record<Team, UnpackedFunction>;
  for (const [address, fn] of Object.entries(synthesized.resource.aws_lambda_function ?? {})) {
    const team = teamOfAddress(address);
    const variables: Record<string, string> = {};
    const given = (fn.environment as { variables: Record<string, string> }).variables;
    for (const [name, value] of Object.entries(given)) {
      if (!value.includes("${")) variables[name] = value;
      else if (name === "AMI_GUARD_TOPIC_ARN") variables[name] = topicArnOf(team);
      else if (name === "AMI_GUARD_AUTOMATION_ROLE_ARN") variables[name] = automationRoleOf(team);
      else throw new Error(`${name} is the Terraform reference ${value}; the test has no stand-in for it`);
    }
    const codeDir = path.join(workDir, `code-${team}-${Object.keys(functions).length}-${Math.random()}`);
    mkdirSync(codeDir);
    unpackZip(path.join(stackDir, String(fn.filename)), codeDir);
    functions[team] = { codeDir, handler: String(fn.handler), variables };
  }
  const patterns = new Map<string, unknown>(
    Object.entries(synthesized.resource.aws_cloudwatch_event_rule ?? {}).map(([address, rule]) => [
      address,
      JSON.parse(String(rule.event_pattern)),
    ]),
  );
  const routes = Object.values(synthesized.resource.aws_cloudwatch_event_target ?? {}).map((target) => {
    const rule = referenced(target.rule);
    const destination = referenced(target.arn);
    if (!rule || !destination) throw new Error(`unreadable target ${JSON.stringify(target)}`);
    const to = destination.type === "aws_lambda_function" ? "function" : "topic";
    return {
      pattern: patterns.get(rule.address),
      delivery: { team: teamOfAddress(destination.address), to } as Delivery,
    };
  });
  const ruleScopes = {} as Record<Team, unknown>;
  for (const [address, rule] of Object.entries(synthesized.resource.aws_config_config_rule ?? {}))
    ruleScopes[teamOfAddress(address)] = rule.scope;
  return { functions, routes, ruleScopes };
}

/** Delivers an event as EventBridge would: to every target whose rule's pattern matches it. */
async function route(deployment: Deployment, event: unknown): Promise<Delivery[]> {
  const deliveries = deployment.routes
    .filter((r) => matchesEventPattern(r.pattern, event))
    .map((r) => r.delivery);
  for (const delivery of deliveries) {
    if (delivery.to !== "function") continue;
    await invokeUnpacked(deployment.functions[delivery.team], event, {
      endpointUrl: aws.url,
      region: REGION,
    });
  }
  return deliveries;
}

/** Everything that shows one team's pipeline acting on, or paging for, the other's. */
async function isolationViolations(deployment: Deployment): Promise<string[]> {
  const violations: string[] = [];
  // Config evaluates a rule's scope only: web's rule must not take data's instances at all.
  if (JSON.stringify(deployment.ruleScopes.web) !== JSON.stringify({ tag_key: "team", tag_value: "web" }))
    violations.push(`web's rule evaluates ${JSON.stringify(deployment.ruleScopes.web)}`);

  // Team data's instance runs an AMI web's list does not approve, and Config (asked about web's rule) calls
  // it NON_COMPLIANT: only the scope stands between it and web's function.
  aws.clear();
  aws.setDefault(
    "DescribeInstances",
    ec2Instances([{ instanceId: DATA_INSTANCE, imageId: UNAPPROVED_AMI, tags: { team: "data" } }]),
  );
  aws.evaluatedRuleName = ruleNameOf("web");
  // The running-state rule of every pipeline sees every instance...
  await route(deployment, sampleRunningEvent({ instance: DATA_INSTANCE }));
  // ...and web's rule may still hold a result from before the instance was tagged for data.
  await route(deployment, sampleEvent({ rule: ruleNameOf("web"), instance: DATA_INSTANCE }));
  for (const start of aws.requestsFor("StartRemediationExecution")) {
    const body = start.json as { ConfigRuleName: string; ResourceKeys: { resourceId: string }[] };
    if (body.ConfigRuleName === ruleNameOf("web"))
      violations.push(`web started a stop of ${body.ResourceKeys.map((k) => k.resourceId).join(", ")}`);
  }

  // A stop web's remediation started fails in SSM: web is paged, data is not.
  aws.clear();
  aws.setDefault(
    "GetAutomationExecution",
    ssmFailedStopExecution(EXECUTION, {
      instanceId: "i-0eb0eb0eb0eb0eb0e",
      automationAssumeRole: automationRoleOf("web"),
    }),
  );
  const failed = JSON.parse(
    readFileSync(SAMPLE_AUTOMATION_FAILED_EVENT_PATH, "utf8")
      .replaceAll("{{ACCOUNT}}", ACCOUNT)
      .replaceAll("{{REGION}}", REGION)
      .replaceAll("{{EXECUTION}}", EXECUTION),
  );
  const deliveries = await route(deployment, failed);
  const paged = new Set<Team>([
    ...deliveries.filter((d) => d.to === "topic").map((d) => d.team),
    ...aws
      .requestsFor("Publish")
      .map((publish) => TEAMS.find((team) => publish.params?.TopicArn === topicArnOf(team)))
      .filter((team): team is Team => team !== undefined),
  ]);
  if (paged.has("data")) violations.push("data was paged for web's failed stop");
  if (!paged.has("web")) violations.push("web was not paged for its own failed stop");
  return violations;
}

beforeAll(async () => {
  workDir = mkdtempSync(path.join(tmpdir(), "ami-guard-teams-"));
  const functionCode = await buildLambdaBundle({ outdir: path.join(workDir, "bundle") });
  const outdir = path.join(workDir, "cdktf.out");
  const app = new App({ outdir });
  const teams = new TerraformStack(app, "teams");
  new AwsProvider(teams, "aws", { region: REGION, allowedAccountIds: [ACCOUNT] });
  for (const team of TEAMS) {
    new AmiGuard(teams, team, {
      namePrefix: team,
      instanceScope: InstanceScope.tagged("team", team),
      approvedAmiIds: [team === "web" ? "ami-0abcdef1234567890" : "ami-0fedcba9876543210"],
      remediation: RemediationMode.eventDriven({ functionCode }),
      recording: team === "web" ? Recording.create() : Recording.existing(),
    });
  }
  app.synth();
  stackDir = path.join(outdir, "stacks", "teams");
  stack = JSON.parse(readFileSync(path.join(stackDir, "cdk.tf.json"), "utf8"));
  aws = await AwsLoopback.start();
});

afterAll(async () => {
  await aws?.stop();
  rmSync(workDir, { recursive: true, force: true });
});

describe("two teams' pipelines in one stack, run as deployed through the loopback", () => {
  it("never lets web stop data's instance, and pages only web for web's failed stop", async () => {
    expect(await isolationViolations(deploymentOf(stack))).toEqual([]);
    // The last run read whose the failed run was before web's function paged web
    expect(aws.requestsFor("GetAutomationExecution").map((r) => r.json)).toEqual([
      { AutomationExecutionId: EXECUTION },
      { AutomationExecutionId: EXECUTION },
    ]);
  });

  it("would catch web stopping data's instance once the scope is removed", async () => {
    // Given the same deployment with the instance scope taken out of web's rule and function
    const mutated = structuredClone(stack);
    for (const [address, rule] of Object.entries(mutated.resource.aws_config_config_rule ?? {}))
      if (address.startsWith("web_")) rule.scope = { compliance_resource_types: ["AWS::EC2::Instance"] };
    for (const [address, fn] of Object.entries(mutated.resource.aws_lambda_function ?? {})) {
      if (!address.startsWith("web_")) continue;
      const variables = (fn.environment as { variables: Record<string, string> }).variables;
      delete variables.AMI_GUARD_SCOPE_TAG_KEY;
      delete variables.AMI_GUARD_SCOPE_TAG_VALUE;
    }
    // Then the same checks report it
    const violations = await isolationViolations(deploymentOf(mutated));
    expect(violations).toEqual([
      `web's rule evaluates {"compliance_resource_types":["AWS::EC2::Instance"]}`,
      `web started a stop of ${DATA_INSTANCE}`,
      `web started a stop of ${DATA_INSTANCE}`,
    ]);
  });

  it("would catch data being paged once failed runs go straight to the topics", async () => {
    // Given the wiring of a pipeline alone in its account: every failed run to the topic, unsorted
    const mutated = structuredClone(stack);
    for (const [address, target] of Object.entries(mutated.resource.aws_cloudwatch_event_target ?? {})) {
      if (!address.includes("_failed-remediation_")) continue;
      const team = teamOfAddress(address);
      target.arn = `\${aws_sns_topic.${team}_notifications_topic_0.arn}`;
    }
    expect(await isolationViolations(deploymentOf(mutated))).toEqual([
      "data was paged for web's failed stop",
    ]);
  });
});
