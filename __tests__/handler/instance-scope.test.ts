import { readFileSync } from "node:fs";
import { decide, decideForInstance } from "../../handler/decision";
import { readSettings } from "../../handler/settings";
import { FAILED_AUTOMATION_STATUSES } from "../../lib/alarms";
import { AUTOMATION_STATUS_CHANGE_EVENT, HANDLER_ENVIRONMENT } from "../../lib/contract";
import { STOP_INSTANCE_DOCUMENT } from "../../lib/remediation";
import { SAMPLE_AUTOMATION_FAILED_EVENT_PATH } from "../../tools/drill/sample-event";
import { ACCOUNT, REGION, settings, UNAPPROVED_AMI } from "./fixtures";

const EXECUTION = "333ba70b-2333-48db-b17e-a5e69c6f4d1c";
const NOW = new Date("2026-12-01T00:00:00Z");

function failedRunEvent(): Record<string, unknown> & { detail: Record<string, unknown> } {
  return JSON.parse(
    readFileSync(SAMPLE_AUTOMATION_FAILED_EVENT_PATH, "utf8")
      .replaceAll("{{ACCOUNT}}", ACCOUNT)
      .replaceAll("{{REGION}}", REGION)
      .replaceAll("{{EXECUTION}}", EXECUTION),
  );
}

describe("the instance scope, checked again by the function", () => {
  const scoped = settings({ scopeTag: { key: "team", value: "web" } });
  const running = (tags: Record<string, string>) => ({ state: "running", tags, imageId: UNAPPROVED_AMI });

  it("refuses an instance without the scope's tag, or with another value", () => {
    expect(decideForInstance(running({}), scoped, NOW)).toEqual({
      action: "out-of-scope",
      detail: 'tag team is absent, not "web"',
    });
    expect(decideForInstance(running({ team: "data" }), scoped, NOW)).toEqual({
      action: "out-of-scope",
      detail: 'tag team is "data", not "web"',
    });
  });

  it("acts on its own instances, and on every instance when it has no scope", () => {
    expect(decideForInstance(running({ team: "web" }), scoped, NOW).action).toBe("remediate");
    expect(decideForInstance(running({ team: "data" }), settings(), NOW).action).toBe("remediate");
  });

  it("reads the scope and automation role from the environment, and refuses half a scope", () => {
    const base = {
      [HANDLER_ENVIRONMENT.ruleName]: "web-approved-amis",
      [HANDLER_ENVIRONMENT.accountId]: ACCOUNT,
      [HANDLER_ENVIRONMENT.region]: REGION,
      [HANDLER_ENVIRONMENT.dryRun]: "false",
      [HANDLER_ENVIRONMENT.exemptionTagKey]: "ami-guard:exempt",
      [HANDLER_ENVIRONMENT.topicArn]: `arn:aws:sns:${REGION}:${ACCOUNT}:web-notifications`,
      [HANDLER_ENVIRONMENT.approvedAmiIds]: "ami-0abcdef1234567890",
    };
    const role = `arn:aws:iam::${ACCOUNT}:role/web-remediation-${REGION}`;
    expect(
      readSettings({
        ...base,
        AMI_GUARD_SCOPE_TAG_KEY: "team",
        AMI_GUARD_SCOPE_TAG_VALUE: "web",
        AMI_GUARD_AUTOMATION_ROLE_ARN: role,
      }),
    ).toMatchObject({ scopeTag: { key: "team", value: "web" }, automationRoleArn: role });
    expect(readSettings(base)).not.toHaveProperty("scopeTag");
    expect(() => readSettings({ ...base, AMI_GUARD_SCOPE_TAG_KEY: "team" })).toThrow(
      "AMI_GUARD_SCOPE_TAG_KEY and AMI_GUARD_SCOPE_TAG_VALUE must be set together",
    );
    expect(() => readSettings({ ...base, AMI_GUARD_AUTOMATION_ROLE_ARN: "web" })).toThrow(
      'AMI_GUARD_AUTOMATION_ROLE_ARN="web" is malformed',
    );
  });
});

describe("failed runs of the stop runbook", () => {
  it("are checked against SSM before anyone is told", () => {
    expect(decide(failedRunEvent(), settings())).toEqual({
      action: "check-failed-run",
      run: { eventId: "d290ece9-1088-4383-9df6-cd5b4ac42b99", executionId: EXECUTION, status: "Failed" },
    });
  });

  it("ignore other runbooks, runs that did not fail, other accounts and malformed ids", () => {
    const variant = (change: (event: ReturnType<typeof failedRunEvent>) => void) => {
      const event = failedRunEvent();
      change(event);
      return decide(event, settings());
    };
    expect(variant((e) => (e.detail.Definition = "AWS-RestartEC2Instance"))).toMatchObject({
      action: "ignore",
      reason: "not-a-failed-stop",
    });
    expect(variant((e) => (e.detail.Status = "Success"))).toMatchObject({ reason: "not-a-failed-stop" });
    expect(variant((e) => (e.account = "444455556666"))).toMatchObject({ reason: "other-account" });
    expect(variant((e) => (e.detail.ExecutionId = "../../x"))).toMatchObject({ reason: "malformed-event" });
  });

  it("agree with the runbook and statuses the failed-run rule matches", () => {
    expect(AUTOMATION_STATUS_CHANGE_EVENT.stopRunbook).toBe(STOP_INSTANCE_DOCUMENT);
    expect([...AUTOMATION_STATUS_CHANGE_EVENT.failedStatuses]).toEqual([...FAILED_AUTOMATION_STATUSES]);
  });
});
