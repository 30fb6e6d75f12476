import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { App, TerraformStack, Testing } from "cdktf";
import type { Construct } from "constructs";
import { AmiGuardStack, PIPELINE_CONSTRUCT_ID } from "../../app/ami-guard-stack";
import { parseConfig } from "../../app/config/load";
import {
  ADDRESS_PRESERVING_ID,
  AmiGuard,
  type AmiGuardProps,
  DEFAULT_RULE_NAME,
  defaultRuleName,
  InstanceScope,
  Recording,
  RemediationMode,
} from "../../lib/ami-guard";
import type { FunctionCode } from "../../lib/function-code";
import { referenceProblems } from "../../tools/permissions/authorization-reference";
import { emptyFunctionZip, type SynthesizedJson } from "./support";

let functionCode: FunctionCode;
beforeAll(() => {
  functionCode = emptyFunctionZip();
});

const ACCOUNT = "111122223333";
const REGION = "eu-central-1";

function props(overrides: Partial<AmiGuardProps> = {}): AmiGuardProps {
  return {
    accountId: ACCOUNT,
    region: REGION,
    approvedAmiIds: ["ami-0abcdef1234567890"],
    remediation: RemediationMode.eventDriven({ functionCode }),
    recording: Recording.create(),
    ...overrides,
  };
}

function synth(build: (scope: Construct) => void): SynthesizedJson & Record<string, unknown> {
  return JSON.parse(Testing.synthScope(build));
}

function resources(stack: SynthesizedJson, type: string): [string, Record<string, unknown>][] {
  return Object.entries(stack.resource?.[type] ?? {});
}

function teamOf(team: "web" | "data", overrides: Partial<AmiGuardProps> = {}): AmiGuardProps {
  return props({ namePrefix: team, instanceScope: InstanceScope.tagged("team", team), ...overrides });
}

describe("teams side by side: each pipeline takes only its own instances", () => {
  it("scopes the rule to the tag alone, and keeps every instance for a pipeline that is alone", () => {
    const stack = synth((scope) => {
      new AmiGuard(scope, "web", teamOf("web"));
      new AmiGuard(scope, "data", teamOf("data", { recording: Recording.existing() }));
    });
    const scopes = resources(stack, "aws_config_config_rule").map(([, rule]) => [rule.name, rule.scope]);
    expect(Object.fromEntries(scopes)).toEqual({
      "web-approved-amis": { tag_key: "team", tag_value: "web" },
      "data-approved-amis": { tag_key: "team", tag_value: "data" },
    });
    const alone = synth((scope) => new AmiGuard(scope, "guard", props()));
    expect(resources(alone, "aws_config_config_rule")[0]?.[1].scope).toEqual({
      compliance_resource_types: ["AWS::EC2::Instance"],
    });
  });

  it("tells the function its scope and its automation role, and sends it the failed runs to sort", () => {
    const stack = synth((scope) => new AmiGuard(scope, "web", teamOf("web")));
    const [, fn] = resources(stack, "aws_lambda_function")[0] ?? [];
    const variables = (fn?.environment as { variables?: Record<string, string> } | undefined)?.variables;
    expect(variables).toMatchObject({
      AMI_GUARD_SCOPE_TAG_KEY: "team",
      AMI_GUARD_SCOPE_TAG_VALUE: "web",
      AMI_GUARD_AUTOMATION_ROLE_ARN: expect.stringMatching(
        /^\$\{aws_iam_role\.web_remediation_automation-role/,
      ),
    });
    const failedRun = resources(stack, "aws_cloudwatch_event_target").find(([address]) =>
      address.startsWith("web_failed-remediation_target"),
    )?.[1];
    expect(failedRun?.arn).toMatch(/^\$\{aws_lambda_function\.web_event-driven_function_[0-9A-F]+\.arn\}$/);
    const permissions = resources(stack, "aws_lambda_permission").map(([, p]) => p.statement_id);
    expect(permissions).toContain("AllowFailedRunEvents");
    const policies = JSON.stringify(stack.data?.aws_iam_policy_document ?? {});
    expect(policies).toContain("ssm:GetAutomationExecution");
    expect(policies).toContain(`arn:aws:ssm:${REGION}:${ACCOUNT}:automation-execution/*`);
    // The topic no longer accepts the failed-run rule: only the function publishes those
    expect(policies).not.toContain(`:rule/web-failed-remediation`);
  });

  it("grants reading failed runs as the Service Authorization Reference defines the action", async () => {
    const stack = synth((scope) => new AmiGuard(scope, "web", teamOf("web")));
    const documents = Object.values(stack.data?.aws_iam_policy_document ?? {}) as {
      statement?: { sid?: string; actions?: string[]; resources?: string[] }[];
    }[];
    const statement = documents.flatMap((d) => d.statement ?? []).find((st) => st.sid === "ReadFailedRuns");
    expect(statement).toMatchObject({ actions: ["ssm:GetAutomationExecution"] });
    const policy = {
      Version: "2012-10-17" as const,
      Statement: [
        {
          Sid: "ReadFailedRuns",
          Effect: "Allow",
          Action: statement?.actions,
          Resource: statement?.resources,
        },
      ],
    };
    expect(await referenceProblems("web function role", policy, "identity")).toEqual([]);
  });

  it("keeps the app's wiring for a pipeline that takes every instance", () => {
    const stack = synth((scope) => new AmiGuard(scope, "guard", props()));
    const failedRun = resources(stack, "aws_cloudwatch_event_target").find(([address]) =>
      address.startsWith("guard_failed-remediation_target"),
    )?.[1];
    expect(failedRun?.arn).toMatch(/^\$\{aws_sns_topic\./);
    const [, fn] = resources(stack, "aws_lambda_function")[0] ?? [];
    expect(
      Object.keys((fn?.environment as { variables?: object } | undefined)?.variables ?? {}),
    ).not.toContain("AMI_GUARD_SCOPE_TAG_KEY");
  });

  it("refuses a tag scope where only the function could sort failed runs, naming the reason", () => {
    for (const remediation of [RemediationMode.manual(), RemediationMode.automatic()]) {
      expect(() => synth((scope) => new AmiGuard(scope, "web", teamOf("web", { remediation })))).toThrow(
        `instanceScope: a tag scope needs mode "event-driven" or "audit": SSM's failed-run event carries no parameters or role`,
      );
    }
    expect(() =>
      synth((scope) => new AmiGuard(scope, "web", teamOf("web", { remediation: RemediationMode.audit() }))),
    ).not.toThrow();
  });

  it("refuses scopes that could overlap in one stack: every instance, two keys, one value", () => {
    const where = "the AmiGuard at stack/web (same stack, so same account and region)";
    const second = (instanceScope: InstanceScope) =>
      synth((scope) => {
        new AmiGuard(scope, "web", teamOf("web"));
        new AmiGuard(scope, "data", teamOf("data", { instanceScope, recording: Recording.existing() }));
      });
    expect(() => second(InstanceScope.allInstances())).toThrow(
      `instanceScope: this pipeline takes every instance and ${where} takes instances tagged team=web, so one would evaluate and stop the other's instances`,
    );
    expect(() => second(InstanceScope.tagged("owner", "data"))).toThrow(
      `instanceScope: tag key "owner" differs from "team" of ${where}`,
    );
    expect(() => second(InstanceScope.tagged("team", "web"))).toThrow(
      `instanceScope: ${where} already takes instances tagged team=web`,
    );
    expect(() => second(InstanceScope.tagged("team", "data"))).not.toThrow();
  });

  it("lets an audit pipeline watch every instance beside the teams, since it stops nothing", () => {
    const unclaimed = (remediation: RemediationMode) =>
      synth((scope) => {
        new AmiGuard(scope, "web", teamOf("web"));
        new AmiGuard(
          scope,
          "unclaimed",
          props({ namePrefix: "unclaimed", remediation, recording: Recording.existing() }),
        );
      });
    expect(resources(unclaimed(RemediationMode.audit()), "aws_config_config_rule")).toHaveLength(2);
    expect(() => unclaimed(RemediationMode.manual())).toThrow(
      "instanceScope: this pipeline takes every instance and the AmiGuard at stack/web",
    );
  });

  it("checks the tag itself", () => {
    expect(() =>
      synth(
        (scope) => new AmiGuard(scope, "web", props({ instanceScope: InstanceScope.tagged("aws:team", "") })),
      ),
    ).toThrow(
      [
        "AmiGuard stack/web: 2 problems in its props:",
        '  - instanceScope: the tag key must not start with "aws:", which AWS reserves',
        "  - instanceScope: the tag value must have 1 to 256 characters (https://docs.aws.amazon.com/config/latest/APIReference/API_Scope.html)",
      ].join("\n"),
    );
    expect(() =>
      synth(
        (scope) =>
          new AmiGuard(
            scope,
            "web",
            props({ instanceScope: { tag: { key: "team" } } as unknown as InstanceScope }),
          ),
      ),
    ).toThrow("instanceScope: must be InstanceScope.allInstances() or InstanceScope.tagged(key, value)");
  });
});

describe("one recorder per region, shared without hand-written dependencies", () => {
  const dependsOnOf = (stack: SynthesizedJson, ruleName: string) =>
    resources(stack, "aws_config_config_rule").find(([, rule]) => rule.name === ruleName)?.[1].depends_on;

  it("waits for the recorder another pipeline of the stack creates, whichever is built first", () => {
    const after = synth((scope) => {
      new AmiGuard(scope, "web", teamOf("web"));
      new AmiGuard(scope, "data", teamOf("data", { recording: Recording.existing() }));
    });
    const before = synth((scope) => {
      new AmiGuard(scope, "data", teamOf("data", { recording: Recording.existing() }));
      new AmiGuard(scope, "web", teamOf("web"));
    });
    for (const stack of [after, before]) {
      expect(dependsOnOf(stack, "data-approved-amis")).toEqual([
        expect.stringMatching(/^aws_config_configuration_recorder_status\.web_recording_recorder-status_/),
      ]);
    }
  });

  it("takes the recorder of a named pipeline with Recording.shared, and refuses one that creates none", () => {
    const stack = synth((scope) => {
      const web = new AmiGuard(scope, "web", teamOf("web"));
      new AmiGuard(scope, "data", teamOf("data", { recording: Recording.shared(web) }));
    });
    expect(dependsOnOf(stack, "data-approved-amis")).toEqual([
      expect.stringMatching(/^aws_config_configuration_recorder_status\.web_recording_recorder-status_/),
    ]);
    expect(() =>
      synth((scope) => {
        const web = new AmiGuard(scope, "web", teamOf("web", { recording: Recording.existing() }));
        new AmiGuard(scope, "data", teamOf("data", { recording: Recording.shared(web) }));
      }),
    ).toThrow("recording.sharedWith: must be an AmiGuard that creates its recorder (Recording.create())");
  });
});

describe("every prop validated in the one error", () => {
  it("judges collisions per stack, whatever the account and region values say", () => {
    const where = "the AmiGuard at stack/a (same stack, so same account and region)";
    // Given an account only known at apply time
    expect(() =>
      synth((scope) => {
        const me = new DataAwsCallerIdentity(scope, "me");
        new AmiGuard(scope, "a", props({ accountId: me.accountId }));
        new AmiGuard(scope, "b", props({ accountId: me.accountId, recording: Recording.existing() }));
      }),
    ).toThrow(`namePrefix: "ami-guard" is already used by ${where}`);
    // Given a region the props name differently, in one stack with no provider to check it against
    expect(() =>
      synth((scope) => {
        new AmiGuard(scope, "a", props());
        new AmiGuard(scope, "b", props({ region: "eu-west-1", recording: Recording.existing() }));
      }),
    ).toThrow(`ruleName: "approved-amis-by-id" is already the Config rule of ${where}`);
  });

  it("takes account and region from the stack's provider, and refuses ones that disagree with it", () => {
    let guard: AmiGuard | undefined;
    synth((scope) => {
      new AwsProvider(scope, "aws", { region: "eu-west-1", allowedAccountIds: ["444455556666"] });
      const { accountId: _a, region: _r, ...rest } = props();
      guard = new AmiGuard(scope, "guard", rest);
    });
    expect(guard?.region).toBe("eu-west-1");
    expect(guard?.accountId).toBe("444455556666");
    expect(() =>
      synth((scope) => {
        new AwsProvider(scope, "aws", { region: "eu-west-1", allowedAccountIds: ["444455556666"] });
        new AmiGuard(scope, "guard", props());
      }),
    ).toThrow(
      [
        "AmiGuard stack/guard: 2 problems in its props:",
        '  - region: "eu-central-1" differs from the stack\'s AWS provider region "eu-west-1", where every resource is created; leave region out to take the provider\'s',
        '  - accountId: "111122223333" is not among the stack\'s AWS provider allowed_account_ids (444455556666)',
      ].join("\n"),
    );
    expect(() =>
      synth((scope) => {
        const { accountId: _a, region: _r, ...rest } = props();
        new AmiGuard(scope, "guard", rest);
      }),
    ).toThrow(
      [
        "AmiGuard stack/guard: 2 problems in its props:",
        "  - accountId: is required when the stack's AWS provider does not name exactly one allowed account",
        "  - region: is required when the stack's AWS provider has no literal region",
      ].join("\n"),
    );
  });

  it("lists the interval, the aggregator and a missing function with the other problems", () => {
    expect(() =>
      synth(
        (scope) =>
          new AmiGuard(
            scope,
            "guard",
            props({
              approvedAmiIds: [],
              reevaluationIntervalHours: 0,
              aggregationAuthorization: { accountId: "4444", region: "cn-north-1" },
              remediation: { mode: "event-driven" } as unknown as RemediationMode,
            }),
          ),
      ),
    ).toThrow(
      [
        "AmiGuard stack/guard: 5 problems in its props:",
        "  - approvedAmiIds: must list at least one approved AMI id",
        "  - remediation.functionCode: is required in mode event-driven: the remediation handler's zip (functionCodeFromZip)",
        "  - reevaluationIntervalHours: must be at least 1",
        '  - aggregationAuthorization.accountId: must be a 12-digit AWS account id, got "4444"',
        '  - aggregationAuthorization.region: "cn-north-1" is in partition aws-cn, this pipeline\'s "eu-central-1" in aws; an aggregator collects only within its partition',
      ].join("\n"),
    );
    expect(() =>
      synth(
        (scope) =>
          new AmiGuard(
            scope,
            "guard",
            props({
              aggregationAuthorization: { accountId: "444455556666", region: "mars-1" as "us-east-1" },
            }),
          ),
      ),
    ).toThrow('aggregationAuthorization.region: unknown AWS region "mars-1"');
  });

  it("leaves nothing behind when it refuses, so the same id can be built again", () => {
    const stack = synth((scope) => {
      expect(() => new AmiGuard(scope, "guard", props({ approvedAmiIds: [] }))).toThrow(
        "approvedAmiIds: must list at least one approved AMI id",
      );
      expect(scope.node.tryFindChild("guard")).toBeUndefined();
      new AmiGuard(scope, "guard", props());
    });
    expect(resources(stack, "aws_config_config_rule")).toHaveLength(1);
  });
});

describe("names and addresses a team can keep", () => {
  it("derives the rule name from the prefix, keeping the app's rule for the default prefix", () => {
    expect(defaultRuleName("ami-guard")).toBe(DEFAULT_RULE_NAME);
    expect(DEFAULT_RULE_NAME).toBe("approved-amis-by-id");
    expect(defaultRuleName("web")).toBe("web-approved-amis");
    const names = (build: (scope: Construct) => void) =>
      resources(synth(build), "aws_config_config_rule").map(([, rule]) => rule.name);
    expect(names((scope) => new AmiGuard(scope, "guard", props()))).toEqual(["approved-amis-by-id"]);
    expect(names((scope) => new AmiGuard(scope, "web", teamOf("web")))).toEqual(["web-approved-amis"]);
  });

  it("keeps the shipped app's rule name and addresses: the library's defaults are the app's", () => {
    // Given the app's stack from the shipped configuration's defaults, and the library with its defaults
    const config = parseConfig({
      approvedAmiIds: ["ami-0abcdef1234567890"],
      targets: [{ accountId: ACCOUNT, region: REGION, mode: "audit" }],
    });
    const app = Testing.app();
    const appStack = new AmiGuardStack(app, { config, target: config.targets[0] as never });
    const fromApp = JSON.parse(Testing.synth(appStack)) as SynthesizedJson;
    const libStack = new TerraformStack(Testing.app(), "lib");
    new AwsProvider(libStack, "aws", { region: REGION, allowedAccountIds: [ACCOUNT] });
    new AmiGuard(libStack, AmiGuard.ADDRESS_PRESERVING_ID, {
      approvedAmiIds: ["ami-0abcdef1234567890"],
      remediation: RemediationMode.audit(),
      recording: Recording.create(),
    });
    const fromLibrary = JSON.parse(Testing.synth(libStack)) as SynthesizedJson;
    // Then the rule keeps its name, and every address of the app's pipeline is the library's too
    expect(resources(fromApp, "aws_config_config_rule").map(([, r]) => r.name)).toEqual([
      "approved-amis-by-id",
    ]);
    const addresses = (stack: SynthesizedJson) =>
      Object.entries(stack.resource ?? {}).flatMap(([type, byName]) =>
        Object.keys(byName).map((n) => `${type}.${n}`),
      );
    expect(addresses(fromLibrary).sort()).toEqual(addresses(fromApp).sort());
    expect(ADDRESS_PRESERVING_ID).toBe(PIPELINE_CONSTRUCT_ID);
  });

  it("moves every resource from the addresses of another id", () => {
    const stack = new TerraformStack(new App({ outdir: Testing.app().outdir }), "moving");
    const guard = new AmiGuard(stack, "web", props({ remediation: RemediationMode.manual() })).movedFrom(
      ADDRESS_PRESERVING_ID,
    );
    const json = JSON.parse(Testing.synth(stack)) as {
      moved?: { from: string; to: string }[];
    } & SynthesizedJson;
    const moved = json.moved ?? [];
    const declared = Object.entries(json.resource ?? {}).flatMap(([type, byName]) =>
      Object.keys(byName).map((n) => `${type}.${n}`),
    );
    expect(moved.map((block) => block.to).sort()).toEqual(declared.sort());
    const rule = moved.find((block) => block.to.startsWith("aws_config_config_rule."));
    expect(rule).toEqual({
      from: expect.stringMatching(/^aws_config_config_rule\.approved-amis_rule_[0-9A-F]{8}$/),
      to: expect.stringMatching(/^aws_config_config_rule\.web_approved-amis_rule_[0-9A-F]{8}$/),
    });
    expect(guard.node.id).toBe("web");
  });
});
