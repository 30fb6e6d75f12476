import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import type { AmiGuardConfig } from "../../app/config";
import { loadConfig } from "../../app/config/load";
import { REMEDIATION_MODES, type RemediationMode } from "../../app/config/schema";
import { type DrillRun, drillConfiguration, drillPlans } from "../../tools/drill/drill-configuration";
import { drillStack, type StackDrillReport } from "../../tools/drill/drill-stack";
import { DRILL_INSTANCE_ID, readSampleEventTemplate, SampleEventError } from "../../tools/drill/sample-event";
import { STOP_EC2_INSTANCE_DECLARATION } from "../../tools/drill/stop-instance-document";
import { AwsLoopback } from "../../tools/loopback/aws-loopback";
import {
  type EveryModeFixture,
  everyModeConfig,
  everyModeFixture,
  plannedCaseOf,
  stackOf as stackOfCase,
} from "../terraform/every-mode-fixture";
import {
  change,
  configured,
  configuredAt,
  copyOf,
  dropParameter,
  editEnvironment,
  editPattern,
  type Plan,
  planned,
  plannedSchedule,
  removeResource,
  removeSchedule,
  renameParameter,
  renameVariable,
} from "./plan-mutations";

const REPO_ROOT = path.resolve(__dirname, "..", "..");
const RULE = "approved-amis-by-id";

const accountOf = (mode: RemediationMode) => plannedCaseOf(mode).accountId;
const regionOf = (mode: RemediationMode) => plannedCaseOf(mode).region;
const stackOf = (mode: RemediationMode) => stackOfCase(plannedCaseOf(mode));
const EVENT_DRIVEN_ACCOUNT = accountOf("event-driven");
const EVENT_DRIVEN_REGION = regionOf("event-driven");

interface Drilled {
  readonly root: string;
  readonly run: DrillRun;
  readonly lines: readonly string[];
}

async function drillInScratch(config: AmiGuardConfig, prefix: string, concurrency: number): Promise<Drilled> {
  const root = mkdtempSync(path.join(tmpdir(), `ami-guard-drill-${prefix}-`));
  const lines: string[] = [];
  const run = await drillConfiguration({
    config,
    synthDir: path.join(root, "cdktf.out"),
    scratchDir: path.join(root, "scratch"),
    plansDir: path.join(root, "plans"),
    concurrency,
    onLine: (line) => lines.push(line),
  });
  return { root, run, lines };
}

let defaultDrill: Drilled;
let everyModeDrill: Drilled;
let everyModePlans: EveryModeFixture;
let aws: AwsLoopback;
let template: string;

beforeAll(async () => {
  template = readSampleEventTemplate();
  // The one drill end to end (synthesis, plan, drill) runs on the shipped configuration; the every-mode
  // plans are made once per test run and shared with every-mode.test.ts, and every break below edits a copy.
  const [drilledDefault, fixture] = await Promise.all([
    drillInScratch(loadConfig({}, REPO_ROOT), "default", 1),
    everyModeFixture(),
  ]);
  defaultDrill = drilledDefault;
  everyModePlans = fixture;
  const lines: string[] = [];
  const run = await drillPlans({
    config: everyModeConfig(),
    results: fixture.run.results,
    scratchDir: path.join(fixture.workspace.root, "scratch"),
    eventTemplate: template,
    say: (line) => lines.push(line),
  });
  everyModeDrill = { root: fixture.workspace.root, run, lines };
  aws = await AwsLoopback.start();
}, 300_000);

afterAll(async () => {
  await aws?.stop();
  if (defaultDrill) rmSync(defaultDrill.root, { recursive: true, force: true });
});

function reportOf(mode: RemediationMode): StackDrillReport {
  const report = everyModeDrill.run.reports.find((candidate) => candidate.stackName === stackOf(mode));
  if (!report) throw new Error(`no report for ${stackOf(mode)}:\n${everyModeDrill.lines.join("\n")}`);
  return report;
}

function planOf(mode: RemediationMode): Plan {
  const result = everyModePlans.run.results.find((candidate) => candidate.stackName === stackOf(mode));
  if (!result?.ok) throw new Error(`no plan for ${stackOf(mode)}`);
  return JSON.parse(readFileSync(result.files.json, "utf8")) as Plan;
}

/** Drills one stack of the every-mode configuration from an edited copy of its plan. */
function drillEdited(mode: RemediationMode, edit: (plan: Plan) => Plan): Promise<StackDrillReport> {
  return drillStack({
    stackName: stackOf(mode),
    target: { accountId: accountOf(mode), region: regionOf(mode), mode },
    plan: edit(copyOf(planOf(mode))),
    planDir: path.join(everyModeDrill.root, "scratch", "stacks", stackOf(mode)),
    eventTemplate: template,
    aws,
  });
}

describe("npm run drill on the default configuration", () => {
  it("walks the whole path of its one event-driven stack without a break", () => {
    expect(defaultDrill.run.firstBreak).toBeUndefined();
    expect(defaultDrill.run.reports.map((report) => [report.mode, report.broken])).toEqual([
      ["event-driven", undefined],
    ]);
    expect(defaultDrill.lines).toContainEqual(
      expect.stringContaining(
        `✓ StartRemediationExecution names rule ${RULE} and instance ${DRILL_INSTANCE_ID}`,
      ),
    );
  });
});

describe("npm run drill on a configuration with every mode", () => {
  it("drills the four stacks with no break", () => {
    expect(everyModeDrill.run.firstBreak).toBeUndefined();
    expect(everyModeDrill.run.reports.map((report) => report.stackName).sort()).toEqual(
      REMEDIATION_MODES.map(stackOf).sort(),
    );
  });

  it("audit: checks the rule and says there is nothing else to drill", () => {
    const account = accountOf("audit");
    expect(reportOf("audit").steps).toEqual([
      `✓ Config rule ${RULE} (APPROVED_AMIS_BY_ID) evaluates AWS::EC2::Instance`,
      `✓ recurring schedule ami-guard-reevaluation (rate(24 hours)) calls arn:aws:scheduler:::aws-sdk:config:startConfigRulesEvaluation for rule ${RULE}, as role ami-guard-reevaluation-${regionOf("audit")}, which scheduler.amazonaws.com may assume for account ${account} and which may config:StartConfigRulesEvaluation on the rule's ARN`,
      `✓ after a list change schedule ami-guard-reevaluation-after-change (at(\${formatdate("YYYY-MM-DD'T'hh:mm:ss", timeadd(timestamp(), "5m"))})) calls arn:aws:scheduler:::aws-sdk:config:startConfigRulesEvaluation for rule ${RULE}, as role ami-guard-reevaluation-${regionOf("audit")}, which scheduler.amazonaws.com may assume for account ${account} and which may config:StartConfigRulesEvaluation on the rule's ARN`,
      "· audit mode: the rule only reports compliance; no remediation, event rule or function to drill",
    ]);
  });

  it.each(["manual", "automatic"] as const)(
    "%s: checks the remediation parameters, and runs no function",
    (mode) => {
      const steps = reportOf(mode).steps;
      expect(steps).toContain(
        `✓ remediation configuration: rule ${RULE} → SSM document AWS-StopEC2Instance, automatic=${mode === "automatic"}`,
      );
      expect(steps.at(-1)).toContain(
        `InstanceId ← RESOURCE_ID, AutomationAssumeRole ← arn:aws:iam::${accountOf(mode)}:role/ami-guard-remediation-${regionOf(mode)} (stand-in for aws_iam_role.`,
      );
      expect(steps.join("\n")).not.toContain("StartRemediationExecution");
    },
  );

  it("event-driven: walks event, pattern, target, permission, environment, zip, run, request and parameters in order", () => {
    const steps = reportOf("event-driven").steps;
    const order = [
      "✓ Config rule",
      "✓ event rule ami-guard-non-compliant-instance's pattern matches the recorded NON_COMPLIANT event",
      "pattern ignores the COMPLIANT variant",
      "pattern ignores the NOT_APPLICABLE variant",
      "pattern ignores the other-rule variant",
      "pattern ignores the other-detail-type variant",
      `target "remediate" invokes function ami-guard-remediate, arn:aws:lambda:${EVENT_DRIVEN_REGION}:${EVENT_DRIVEN_ACCOUNT}:function:ami-guard-remediate (stand-in`,
      "✓ aws_lambda_permission lets events.amazonaws.com invoke ami-guard-remediate from rule ami-guard-non-compliant-instance",
      `✓ event rule ami-guard-instance-running lets EC2's running-state event for ${DRILL_INSTANCE_ID} through`,
      '✓ event rule ami-guard-instance-running\'s target "remediate" invokes function ami-guard-remediate',
      "✓ aws_lambda_permission lets events.amazonaws.com invoke ami-guard-remediate from rule ami-guard-instance-running",
      "✓ the function's environment sets every variable the handler reads",
      "is the one the plan deploys (SHA-256 = source_code_hash)",
      "✓ the function ran from its zip",
      `✓ the function read instance ${DRILL_INSTANCE_ID} first`,
      `✓ StartRemediationExecution names rule ${RULE} and instance ${DRILL_INSTANCE_ID}`,
      "automatic=false",
      "✓ remediation parameters match what AWS-StopEC2Instance declares",
    ];
    const positions = order.map((fragment) => steps.findIndex((step) => step.includes(fragment)));
    expect(positions.every((position) => position >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    // Values unknown until apply are stood in for, and the step says so.
    expect(steps).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `^· AMI_GUARD_TOPIC_ARN=arn:aws:sns:${EVENT_DRIVEN_REGION}:${EVENT_DRIVEN_ACCOUNT}:ami-guard-notifications \\(stand-in for aws_sns_topic\\.\\S+\\.arn, unknown until apply\\)$`,
        ),
      ),
    );
  });

  it("prints the path stack by stack, indented under each stack's name", () => {
    for (const mode of REMEDIATION_MODES) {
      expect(everyModeDrill.lines).toContain(`${stackOf(mode)}:`);
    }
    expect(everyModeDrill.lines.filter((line) => line.startsWith("  ✓")).length).toBeGreaterThan(20);
  });
});

describe("breaking the re-evaluation wiring makes the drill fail at that link", () => {
  const UNIVERSAL = "arn:aws:scheduler:::aws-sdk:config:startConfigRulesEvaluation";

  it("the recurring schedule removed", async () => {
    const report = await drillEdited("audit", (plan) => removeSchedule(plan, "ami-guard-reevaluation"));
    expect(report.broken).toEqual({
      link: "reevaluation",
      message: `✗ no recurring schedule calls ${UNIVERSAL}: instances would not be re-evaluated on a schedule`,
    });
  });

  it("the after-change schedule pointed at another API", async () => {
    const report = await drillEdited("audit", (plan) => {
      plannedSchedule(plan, "ami-guard-reevaluation-after-change").values.target[0].arn =
        "arn:aws:scheduler:::aws-sdk:config:startRemediationExecution";
      return plan;
    });
    expect(report.broken).toEqual({
      link: "reevaluation",
      message: `✗ no after a list change schedule calls ${UNIVERSAL}: instances would not be re-evaluated after the list changes`,
    });
  });

  it("a schedule asking for another rule", async () => {
    const report = await drillEdited("manual", (plan) => {
      plannedSchedule(plan, "ami-guard-reevaluation").values.target[0].input = JSON.stringify({
        ConfigRuleNames: ["someone-elses-rule"],
      });
      return plan;
    });
    expect(report.broken).toEqual({
      link: "reevaluation",
      message: `✗ schedule ami-guard-reevaluation asks to evaluate ["someone-elses-rule"], not the stack's rule "${RULE}"`,
    });
  });

  it("a schedule run as the remediation role, which may not start evaluations", async () => {
    const report = await drillEdited("automatic", (plan) => {
      const remediationRole = plan.planned_values.root_module.resources.find(
        (r: { type: string; values: { name?: string } }) =>
          r.type === "aws_iam_role" && r.values.name?.startsWith("ami-guard-remediation-"),
      );
      const schedule = plannedSchedule(plan, "ami-guard-reevaluation");
      const target = configuredAt(plan, schedule.address).expressions.target[0];
      target.role_arn = {
        constant_value: `\${${remediationRole.address}.arn}`,
        references: [`${remediationRole.address}.arn`, remediationRole.address],
      };
      return plan;
    });
    expect(report.broken?.link).toBe("reevaluation");
    expect(report.broken?.message).toContain(
      `✗ schedule ami-guard-reevaluation's role ami-guard-remediation-${regionOf("automatic")} does not trust scheduler.amazonaws.com`,
    );
  });

  it("the role's permission moved off the rule's ARN", async () => {
    const report = await drillEdited("audit", (plan) => {
      const document = plan.configuration.root_module.resources.find((r: { address: string }) =>
        r.address.startsWith("data.aws_iam_policy_document.reevaluation_role_permissions"),
      );
      document.expressions.statement[0].resources = { constant_value: ["*"] };
      return plan;
    });
    expect(report.broken).toEqual({
      link: "reevaluation",
      message: expect.stringMatching(
        /^✗ schedule ami-guard-reevaluation's role ami-guard-reevaluation-us-east-1 has no policy allowing config:StartConfigRulesEvaluation on rule approved-amis-by-id \(aws_config_config_rule\.\S+\.arn\): the call would be refused$/,
      ),
    });
  });
});

describe("breaking one link makes the drill fail, naming that link", () => {
  it("the rule renamed in the event pattern", async () => {
    const report = await drillEdited("event-driven", (plan) =>
      editPattern(plan, (pattern) => {
        pattern.detail.configRuleName = ["renamed-rule"];
      }),
    );
    expect(report.broken).toEqual({
      link: "event-pattern",
      message: `✗ event rule ami-guard-non-compliant-instance's pattern names rule "renamed-rule" but the Config rule is "${RULE}"`,
    });
  });

  it("a pattern that also lets COMPLIANT results through", async () => {
    const report = await drillEdited("event-driven", (plan) =>
      editPattern(plan, (pattern) => {
        delete pattern.detail.newEvaluationResult;
      }),
    );
    expect(report.broken?.link).toBe("event-pattern");
    expect(report.broken?.message).toContain("also matches the COMPLIANT variant");
  });

  it("a pattern that needs another resource type", async () => {
    const report = await drillEdited("event-driven", (plan) =>
      editPattern(plan, (pattern) => {
        pattern.detail.resourceType = ["AWS::EC2::Volume"];
      }),
    );
    expect(report.broken).toEqual({
      link: "event-pattern",
      message:
        '✗ event rule ami-guard-non-compliant-instance\'s pattern does not match the recorded NON_COMPLIANT event: detail.resourceType must be one of ["AWS::EC2::Volume"], the event has "AWS::EC2::Instance"',
    });
  });

  it("the rule's target removed", async () => {
    const report = await drillEdited("event-driven", (plan) =>
      removeResource(plan, "aws_cloudwatch_event_target"),
    );
    expect(report.broken).toEqual({
      link: "event-target",
      message:
        "✗ event rule ami-guard-non-compliant-instance has no target: the events it matches would go nowhere",
    });
  });

  it("the target pointed at a function the stack does not create", async () => {
    const report = await drillEdited("event-driven", (plan) => {
      planned(plan, "aws_cloudwatch_event_target").values.arn =
        "arn:aws:lambda:us-east-1:111122223333:function:nothing";
      change(plan, "aws_cloudwatch_event_target").change.after_unknown.arn = false;
      return plan;
    });
    expect(report.broken?.link).toBe("event-target");
    expect(report.broken?.message).toContain(
      "send events to arn:aws:lambda:us-east-1:111122223333:function:nothing, which is no function this stack creates",
    );
  });

  it("the instance-running rule's pattern no longer matching EC2's running-state event", async () => {
    // Given the plan with the running-state rule listening for stopped instances instead
    const report = await drillEdited("event-driven", (plan) => {
      const rule = plan.planned_values.root_module.resources.find((resource: { address: string }) =>
        /\.event-driven_instance-running_rule_/.test(resource.address),
      );
      rule.values.event_pattern = JSON.stringify({
        source: ["aws.ec2"],
        "detail-type": ["EC2 Instance State-change Notification"],
        detail: { state: ["stopped"] },
      });
      return plan;
    });
    // Then the drill names the missing link
    expect(report.broken).toEqual({
      link: "instance-running",
      message:
        "✗ no EventBridge rule on the default bus matches EC2's running-state event: an unapproved instance started again after its stop would run unseen",
    });
  });

  it("the invoke permission dropped", async () => {
    const report = await drillEdited("event-driven", (plan) => removeResource(plan, "aws_lambda_permission"));
    expect(report.broken).toEqual({
      link: "invoke-permission",
      message:
        "✗ no aws_lambda_permission lets events.amazonaws.com invoke function ami-guard-remediate: EventBridge's invocations from rule ami-guard-non-compliant-instance would be refused",
    });
  });

  it("the permission limited to another rule", async () => {
    const report = await drillEdited("event-driven", (plan) => {
      const topicArn = `${planned(plan, "aws_sns_topic").address}.arn`;
      configured(plan, "aws_lambda_permission").expressions.source_arn = {
        constant_value: `\${${topicArn}}`,
        references: [topicArn],
      };
      return plan;
    });
    expect(report.broken?.link).toBe("invoke-permission");
    // The instance-running rule's own permission is listed too: it does not stand in for the compliance rule's.
    expect(report.broken?.message).toContain(
      `is limited to arn:aws:events:${EVENT_DRIVEN_REGION}:${EVENT_DRIVEN_ACCOUNT}:rule/ami-guard-instance-running, arn:aws:sns:${EVENT_DRIVEN_REGION}:${EVENT_DRIVEN_ACCOUNT}:ami-guard-notifications`,
    );
  });

  it.each([
    ["another account", "999988887777"],
    ["the stack's own account", EVENT_DRIVEN_ACCOUNT],
  ])("a permission that sets source_account (%s), which EventBridge never sends", async (_label, account) => {
    const report = await drillEdited("event-driven", (plan) => {
      planned(plan, "aws_lambda_permission").values.source_account = account;
      return plan;
    });
    expect(report.broken?.link).toBe("invoke-permission");
    expect(report.broken?.message).toContain(
      `✗ the permission for events.amazonaws.com on function ami-guard-remediate sets source_account ${account}: EventBridge sends no source account when it invokes a function`,
    );
  });

  it("a plan for another region than the stack's target", async () => {
    const report = await drillEdited("manual", (plan) => {
      plan.configuration.provider_config.aws.expressions.region.constant_value = "eu-west-1";
      return plan;
    });
    expect(report.broken).toEqual({
      link: "plan",
      message: `✗ the plan's aws provider deploys to region eu-west-1, but the stack's target is ${regionOf("manual")}`,
    });
  });

  it("an environment variable the handler reads renamed", async () => {
    const report = await drillEdited("event-driven", (plan) =>
      renameVariable(plan, "AMI_GUARD_RULE_NAME", "AMI_GUARD_RULE"),
    );
    expect(report.broken?.link).toBe("function-environment");
    expect(report.broken?.message).toMatch(
      /^✗ the function's environment does not set AMI_GUARD_RULE_NAME, which the handler reads \(handler\/environment\.ts\); it sets .*AMI_GUARD_RULE,/,
    );
  });

  it("the rule variable naming another rule: the function, run from its zip, ignores the event", async () => {
    const report = await drillEdited("event-driven", (plan) =>
      editEnvironment(plan, (variables) => {
        variables.AMI_GUARD_RULE_NAME = "someone-elses-rule";
      }),
    );
    expect(report.broken).toEqual({
      link: "function-run",
      message: `✗ the function ignored the recorded event (other-rule): configRuleName is "${RULE}", not "someone-elses-rule"`,
    });
  });

  it("a zip that is not the one the plan deploys", async () => {
    const report = await drillEdited("event-driven", (plan) => {
      planned(plan, "aws_lambda_function").values.source_code_hash = "bm90IHRoZSB6aXA=";
      return plan;
    });
    expect(report.broken?.link).toBe("function-code");
    expect(report.broken?.message).toContain("but the plan deploys source_code_hash bm90IHRoZSB6aXA=");
  });

  it.each(["manual", "automatic", "event-driven"] as const)(
    "%s: the InstanceId parameter dropped from the remediation configuration",
    async (mode) => {
      const report = await drillEdited(mode, (plan) => dropParameter(plan, "InstanceId"));
      expect(report.broken).toEqual({
        link: "remediation-parameters",
        message:
          "✗ AWS-StopEC2Instance requires InstanceId (StringList), which the remediation configuration does not pass",
      });
    },
  );

  it("automatic: the AutomationAssumeRole parameter dropped", async () => {
    const report = await drillEdited("automatic", (plan) => dropParameter(plan, "AutomationAssumeRole"));
    expect(report.broken?.link).toBe("remediation-parameters");
    expect(report.broken?.message).toContain("automatic remediation needs AutomationAssumeRole");
  });

  it("manual: a parameter AWS-StopEC2Instance does not declare", async () => {
    const report = await drillEdited("manual", (plan) =>
      renameParameter(plan, "AutomationAssumeRole", "AssumeRole"),
    );
    expect(report.broken?.link).toBe("remediation-parameters");
    expect(report.broken?.message).toContain(
      "remediation parameter AssumeRole is not declared by AWS-StopEC2Instance (it declares AutomationAssumeRole, InstanceId;",
    );
  });

  it("manual: the remediation configuration bound to another rule", async () => {
    const report = await drillEdited("manual", (plan) => {
      planned(plan, "aws_config_remediation_configuration").values.config_rule_name = "another-rule";
      return plan;
    });
    expect(report.broken).toEqual({
      link: "remediation-configuration",
      message: `✗ the remediation configuration is for rule "another-rule", not the Config rule "${RULE}": nothing would be remediated`,
    });
  });
});

describe("a dry-run function", () => {
  it("is expected to start nothing, and the drill reports that instead of failing", async () => {
    const report = await drillEdited("event-driven", (plan) =>
      editEnvironment(plan, (variables) => {
        variables.AMI_GUARD_DRY_RUN = "true";
      }),
    );
    expect(report.broken).toBeUndefined();
    expect(report.steps).toContain(
      `✓ dry run (AMI_GUARD_DRY_RUN=true): the function reported instance ${DRILL_INSTANCE_ID} and started nothing, as configured`,
    );
    expect(aws.requestsFor("StartRemediationExecution")).toEqual([]);
    expect(aws.requestsFor("DescribeInstances")).toHaveLength(1);
  });
});

describe("the drill's inputs", () => {
  it("fails before planning anything when the recorded event is missing, naming its path", async () => {
    const missing = path.join(tmpdir(), "no-such-folder", "sample-compliance-change-event.json");
    const drilling = drillConfiguration({ config: everyModeConfig(), sampleEventPath: missing });
    await expect(drilling).rejects.toThrow(SampleEventError);
    await expect(drilling).rejects.toThrow(`expected ${missing}`);
  });

  it("keeps AWS-StopEC2Instance's parameters as data, with the page they come from", () => {
    expect(STOP_EC2_INSTANCE_DECLARATION.source.url).toBe(
      "https://docs.aws.amazon.com/systems-manager-automation-runbooks/latest/userguide/automation-aws-stopec2instance.html",
    );
    expect(
      STOP_EC2_INSTANCE_DECLARATION.parameters.map(({ name, type, required }) => [name, type, required]),
    ).toEqual([
      ["AutomationAssumeRole", "String", false],
      ["InstanceId", "StringList", true],
    ]);
  });
});
