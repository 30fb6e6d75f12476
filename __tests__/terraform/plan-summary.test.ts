import { readFileSync, rmSync } from "node:fs";
import * as path from "node:path";
import { mapWithConcurrency } from "../../tools/terraform/concurrency";
import {
  allowedImagesWarnings,
  amiIdsOf,
  amiListChanges,
  classifyActions,
  classifyChanges,
  countChanges,
  type PlanJson,
  type PlanResourceChange,
  summarizePlan,
} from "../../tools/terraform/plan-summary";
import {
  APPROVED_AMI,
  configOf,
  onlyNameOf,
  planWorkspace,
  savedApprovedAmisRule,
  saveLocalState,
  stackJson,
  succeeded,
  synthesizeInScratch,
  type Workspace,
} from "./support";

function change(
  address: string,
  actions: string[],
  extra: Partial<PlanResourceChange> = {},
): PlanResourceChange {
  const [type = "", name = ""] = address.split(".");
  return { address, mode: "managed", type, name, change: { actions }, ...extra };
}

describe("classifyActions", () => {
  it.each([
    [["create"], "create"],
    [["update"], "update"],
    [["delete"], "delete"],
    [["delete", "create"], "replace"],
    [["create", "delete"], "replace"],
    [["forget"], "forget"],
  ])("reads %j as %s", (actions, kind) => {
    expect(classifyActions(actions)).toBe(kind);
  });

  it.each([[["no-op"]], [["read"]]])("does not count %j as a change", (actions) => {
    expect(classifyActions(actions)).toBeUndefined();
  });
});

describe("countChanges", () => {
  it("counts a replacement (either order) as one add and one destroy, as Terraform's Plan line does", () => {
    const changes = classifyChanges({
      resource_changes: [
        change("aws_sns_topic.a", ["create"]),
        change("aws_sns_topic.b", ["create", "delete"]),
        change("aws_sns_topic.c", ["delete", "create"]),
        change("aws_sns_topic.d", ["update"]),
        change("aws_sns_topic.e", ["no-op"]),
        { ...change("data.aws_region.r", ["read"]), mode: "data" },
      ],
    });
    expect(countChanges(changes)).toEqual({ add: 3, change: 1, destroy: 2 });
  });
});

describe("summarizePlan", () => {
  it("says there is nothing to do when the plan has no changes", () => {
    const markdown = summarizePlan("stack", { resource_changes: [change("aws_sns_topic.a", ["no-op"])] });
    expect(markdown).toContain("**No changes.**");
    expect(markdown).not.toContain("[!");
  });

  it("warns without the compliance-history sentence when nothing destructive touches AWS Config", () => {
    const markdown = summarizePlan("stack", {
      resource_changes: [
        change("aws_sns_topic.a", ["delete"], { action_reason: "delete_because_no_resource_config" }),
      ],
    });
    expect(markdown).toContain("> [!WARNING]\n> This plan deletes 1 resource.\n");
    expect(markdown).toContain("> - **delete** `aws_sns_topic.a` (no longer in the configuration)");
    expect(markdown).not.toContain("compliance history");
  });

  it("calls out a recorder replacement as losing history", () => {
    const markdown = summarizePlan("stack", {
      resource_changes: [
        change("aws_config_configuration_recorder.r", ["delete", "create"], {
          change: { actions: ["delete", "create"], replace_paths: [["name"]] },
        }),
        change("aws_config_config_rule.x", ["delete"]),
      ],
    });
    expect(markdown).toContain("> [!CAUTION]\n> This plan replaces 1 resource and deletes 1 resource.");
    expect(markdown).toMatch(
      /\*\*replace\*\* `aws_config_configuration_recorder\.r` \(forced by `name`\): the recorder's configuration history is lost/,
    );
    expect(markdown).toMatch(
      /\*\*delete\*\* `aws_config_config_rule\.x`: the rule's compliance history is lost/,
    );
  });
});

describe("mapWithConcurrency", () => {
  it("never runs more than the limit at once and keeps the input order", async () => {
    let running = 0;
    let peak = 0;
    const results = await mapWithConcurrency([5, 1, 4, 2, 3], 2, async (value) => {
      running += 1;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setTimeout(resolve, value));
      running -= 1;
      return value * 10;
    });
    expect(results).toEqual([50, 10, 40, 20, 30]);
    expect(peak).toBe(2);
  });

  it("refuses a limit below one", async () => {
    await expect(mapWithConcurrency([1], 0, async (value) => value)).rejects.toThrow(
      "concurrency must be a whole number ≥ 1, got 0",
    );
  });
});

describe("allowed AMIs in the plan summary", () => {
  const fixture = (): PlanJson =>
    JSON.parse(readFileSync(path.join(__dirname, "fixtures", "allowed-images-enabled.plan.json"), "utf8"));
  const policyChange = (plan: PlanJson) => plan.resource_changes?.[0] as PlanResourceChange;

  it("cautions when the policy moves from audit_mode to enabled and a provider is dropped", () => {
    // Given a plan that enables Allowed AMIs and drops 555566667777
    const markdown = summarizePlan("ami-guard-prevention-123456789012", fixture());
    // Then the caution comes first, naming the state, the remaining providers and the dropped one
    expect(markdown).toContain("> [!CAUTION]\n> This plan changes which AMIs the organization may launch.");
    expect(markdown).toMatch(
      /Allowed AMIs becomes \*\*enabled\*\* in `aws_organizations_policy\.[^`]+` \(was `audit_mode`\)/,
    );
    expect(markdown).toContain("(`444455556666`) will fail");
    expect(markdown).toContain("`555566667777` is no longer allowed, and launches from their AMIs will fail");
  });

  it("cautions when a policy is created directly in enabled", () => {
    const plan = fixture();
    const created = {
      ...policyChange(plan),
      change: { ...policyChange(plan).change, actions: ["create"], before: null },
    };
    expect(allowedImagesWarnings({ resource_changes: [created] })).toEqual([
      expect.stringMatching(/^Allowed AMIs becomes \*\*enabled\*\* in `[^`]+`: every launch/),
    ]);
  });

  it("stays quiet when the policy stays in audit_mode and only gains providers", () => {
    // Given the same update with the after side in audit_mode and one provider more
    const plan = fixture();
    const change = policyChange(plan);
    const content = JSON.parse(String(change.change.before?.content));
    content.ec2_attributes.allowed_images_settings.image_criteria.criteria_1.allowed_image_providers[
      "@@assign"
    ].push("amazon");
    const quiet = {
      ...change,
      change: { ...change.change, after: { ...change.change.after, content: JSON.stringify(content) } },
    };
    // Then nothing is flagged
    expect(allowedImagesWarnings({ resource_changes: [quiet] })).toEqual([]);
    expect(summarizePlan("stack", { resource_changes: [quiet] })).not.toContain("[!CAUTION]");
  });

  it("stays quiet on a policy that is already enabled and keeps its providers", () => {
    const plan = fixture();
    const change = policyChange(plan);
    const unchanged = { ...change, change: { ...change.change, before: change.change.after } };
    expect(allowedImagesWarnings({ resource_changes: [unchanged] })).toEqual([]);
  });
});

const ACCOUNT = "210987654321";
const REGION = "eu-west-1";
const KEPT_AMI = "ami-0aaaaaaaaaaaaaaaa";
const DROPPED_AMI = "ami-0bbbbbbbbbbbbbbbb";

function ruleChange(before: string | undefined, after: string): PlanResourceChange {
  return change("aws_config_config_rule.rule", ["update"], {
    change: {
      actions: ["update"],
      before: before === undefined ? null : { input_parameters: before },
      after: { input_parameters: after },
    },
  });
}

describe("amiListChanges", () => {
  it("reads the ids added to and removed from the rule's amiIds parameter", () => {
    const plan: PlanJson = {
      resource_changes: [
        ruleChange(`{"amiIds":"${KEPT_AMI},${DROPPED_AMI}"}`, `{"amiIds":"${KEPT_AMI},${APPROVED_AMI}"}`),
      ],
    };
    expect(amiListChanges(plan)).toEqual([
      { address: "aws_config_config_rule.rule", added: [APPROVED_AMI], removed: [DROPPED_AMI] },
    ]);
  });

  it("reports nothing for a rule whose list is the same, or that did not exist before", () => {
    const same = `{"amiIds":"${KEPT_AMI}"}`;
    expect(amiListChanges({ resource_changes: [ruleChange(same, same)] })).toEqual([]);
    expect(amiListChanges({ resource_changes: [ruleChange(undefined, same)] })).toEqual([]);
  });

  it("reads no ids from parameters that are not the managed rule's", () => {
    expect(amiIdsOf("not json")).toBeUndefined();
    expect(amiIdsOf('{"other":"x"}')).toBeUndefined();
    expect(amiIdsOf(undefined)).toBeUndefined();
    expect(amiIdsOf(`{"amiIds":"${KEPT_AMI}, ${APPROVED_AMI}"}`)).toEqual([KEPT_AMI, APPROVED_AMI]);
  });
});

interface ListPlan {
  readonly workspace: Workspace;
  readonly ruleAddress: string;
  readonly scheduleAddress: string;
  readonly markdown: string;
  readonly changes: ReturnType<typeof classifyChanges>;
}

/** What the last apply left, for the saved state: the rule's name and list, and what else it holds. */
interface LastApply {
  readonly ruleName?: string;
  readonly previous: readonly string[];
  /** The role and the after-change schedule's settings, as this code creates them. @default - neither */
  readonly settings?: { readonly maximumRetryAttempts: number };
}

/**
 * An automatic stack approving KEPT and APPROVED, planned offline against a saved state in which the last
 * apply left the rule approving `previous`, with its after-change schedule.
 */
function planListChange(prefix: string, previous: readonly string[]): Promise<ListPlan> {
  return planAgainst(prefix, { previous });
}

/** Plans one stack against `last`; see planLifetimes. */
async function planAgainst(prefix: string, last: LastApply): Promise<ListPlan> {
  const [plan] = await planLifetimes(prefix, [last]);
  if (!plan) throw new Error("no plan");
  return plan;
}

/**
 * One workspace, one automatic stack per saved state (one account each, so Terraform's init is shared),
 * each planned offline against what its last apply left.
 * @param configuredRuleName the configuration's rule name @default "approved-amis-by-id"
 */
async function planLifetimes(
  prefix: string,
  lasts: readonly LastApply[],
  configuredRuleName?: string,
): Promise<ListPlan[]> {
  const accounts = lasts.map((_, index) => (index === 0 ? ACCOUNT : String(index + 1).repeat(12)));
  const workspace = await synthesizeInScratch(
    configOf({
      ...(configuredRuleName ? { ruleName: configuredRuleName } : {}),
      approvedAmiIds: [KEPT_AMI, APPROVED_AMI],
      remediation: { mode: "automatic" },
      targets: accounts.map((accountId) => ({ accountId, region: REGION, recorder: "existing" })),
    }),
    prefix,
  );
  const stacks = lasts.map((last, index) => {
    const account = accounts[index] as string;
    const stackName = workspace.synth.stackNames.find((name) => name.includes(account)) as string;
    return { stackName, ...saveLastApply(workspace, stackName, account, last) };
  });
  const run = await planWorkspace(workspace);
  return stacks.map(({ stackName, ruleAddress, scheduleAddress }) => {
    const result = succeeded(run.results.find((candidate) => candidate.stackName === stackName));
    return {
      workspace,
      ruleAddress,
      scheduleAddress,
      markdown: readFileSync(result.files.markdown, "utf8"),
      changes: classifyChanges(result.plan),
    };
  });
}

/** Saves the state `last` describes beside one stack; the addresses of its rule and one-time schedule. */
function saveLastApply(
  workspace: Workspace,
  stackName: string,
  account: string,
  last: LastApply,
): { ruleAddress: string; scheduleAddress: string } {
  const previous = last.previous;
  const stack = stackJson(workspace, stackName);
  const ruleName = onlyNameOf(stack, "aws_config_config_rule");
  const rule = stack.resource?.aws_config_config_rule?.[ruleName] ?? {};
  const scheduleName = Object.keys(stack.resource?.aws_scheduler_schedule ?? {}).find((name) =>
    name.includes("after-change"),
  ) as string;
  const schedule = stack.resource?.aws_scheduler_schedule?.[scheduleName] ?? {};
  const savedRuleName = last.ruleName ?? String(rule.name);
  const roleArn = `arn:aws:iam::${account}:role/ami-guard-reevaluation-${REGION}`;
  const queueArn = `arn:aws:sqs:${REGION}:${account}:ami-guard-reevaluation-after-change-failures`;
  const input = JSON.stringify({ ConfigRuleNames: [savedRuleName] });
  const roleName = Object.keys(stack.resource?.aws_iam_role ?? {}).find((name) =>
    name.startsWith("reevaluation"),
  ) as string;
  const settingsName = onlyNameOf(stack, "terraform_data");
  const settings = stack.resource?.terraform_data?.[settingsName]?.triggers_replace as
    | Record<string, string>
    | undefined;
  // The schedules' dead-letter queues, as this code created them.
  const queues = Object.entries(stack.resource?.aws_sqs_queue ?? {})
    .filter(([, queue]) => String(queue.name).includes("reevaluation"))
    .map(([name, queue]) => ({
      type: "aws_sqs_queue",
      name,
      attributes: {
        id: `https://sqs.${REGION}.amazonaws.com/${account}/${queue.name}`,
        url: `https://sqs.${REGION}.amazonaws.com/${account}/${queue.name}`,
        arn: `arn:aws:sqs:${REGION}:${account}:${queue.name}`,
        name: queue.name,
        message_retention_seconds: queue.message_retention_seconds,
        sqs_managed_sse_enabled: true,
        fifo_queue: false,
        name_prefix: "",
        tags: {},
        tags_all: { "ami-guard:stack": stackName },
      },
    }));
  const extra = last.settings
    ? [
        ...queues,
        {
          type: "aws_iam_role",
          name: roleName,
          attributes: {
            id: `ami-guard-reevaluation-${REGION}`,
            name: `ami-guard-reevaluation-${REGION}`,
            arn: roleArn,
            assume_role_policy: stack.resource?.aws_iam_role?.[roleName]?.assume_role_policy,
            path: "/",
            name_prefix: "",
            max_session_duration: 3600,
            force_detach_policies: false,
            tags: {},
            tags_all: { "ami-guard:stack": stackName },
          },
        },
        {
          type: "terraform_data",
          name: settingsName,
          provider: 'provider["terraform.io/builtin/terraform"]',
          attributes: {
            id: "4a1b3c2d-0000-4000-8000-000000000001",
            input: null,
            output: null,
            triggers_replace: {
              value: {
                ...settings,
                dead_letter_arn: queueArn,
                input,
                retry_policy: JSON.stringify({
                  maximumRetryAttempts: last.settings.maximumRetryAttempts,
                  maximumEventAgeInSeconds: 3600,
                }),
              },
              type: ["object", Object.fromEntries(Object.keys(settings ?? {}).map((key) => [key, "string"]))],
            },
          },
        },
      ]
    : [];
  saveLocalState(workspace, stackName, [
    ...extra,
    savedApprovedAmisRule(ruleName, savedRuleName, account, REGION, {
      description: rule.description,
      input_parameters: JSON.stringify({ amiIds: previous.join(",") }),
      scope: [
        {
          compliance_resource_types: ["AWS::EC2::Instance"],
          compliance_resource_id: "",
          tag_key: "",
          tag_value: "",
        },
      ],
      tags_all: { "ami-guard:stack": stackName },
    }),
    {
      type: "aws_scheduler_schedule",
      name: scheduleName,
      attributes: {
        id: `default/${schedule.name}`,
        arn: `arn:aws:scheduler:${REGION}:${account}:schedule/default/${schedule.name}`,
        name: schedule.name,
        group_name: "default",
        description: schedule.description,
        schedule_expression: "at(2026-11-01T10:05:00)",
        schedule_expression_timezone: "UTC",
        state: "ENABLED",
        flexible_time_window: [{ mode: "OFF", maximum_window_in_minutes: 0 }],
        target: [
          {
            arn: "arn:aws:scheduler:::aws-sdk:config:startConfigRulesEvaluation",
            role_arn: roleArn,
            input,
            retry_policy: [
              {
                maximum_event_age_in_seconds: 3600,
                maximum_retry_attempts: last.settings?.maximumRetryAttempts ?? 10,
              },
            ],
            dead_letter_config: last.settings ? [{ arn: queueArn }] : [],
            ecs_parameters: [],
            eventbridge_parameters: [],
            kinesis_parameters: [],
            sagemaker_pipeline_parameters: [],
            sqs_parameters: [],
          },
        ],
      },
    },
  ]);
  return {
    ruleAddress: `aws_config_config_rule.${ruleName}`,
    scheduleAddress: `aws_scheduler_schedule.${scheduleName}`,
  };
}

describe("the plan summary of the approved list, from real plans against a saved state", () => {
  let changed: ListPlan;
  let unchanged: ListPlan;

  beforeAll(async () => {
    // Given a saved state whose rule approves KEPT and DROPPED, and one whose rule approves the same
    // ids as the configuration, each planned offline
    [changed, unchanged] = await Promise.all([
      planListChange("plan-list-change", [KEPT_AMI, DROPPED_AMI]),
      planListChange("plan-list-same", [KEPT_AMI, APPROVED_AMI]),
    ]);
  });

  afterAll(() => {
    for (const plan of [changed, unchanged]) {
      if (plan) rmSync(plan.workspace.root, { recursive: true, force: true });
    }
  });

  it("updates the rule in place and shows the ids added and removed", () => {
    expect(changed.changes.find((c) => c.address === changed.ruleAddress)?.kind).toBe("update");
    expect(changed.markdown).toContain(
      `#### Approved AMI list\n\n\`${changed.ruleAddress}\`: 1 added, 1 removed.\n\n- added \`${APPROVED_AMI}\`\n- **removed** \`${DROPPED_AMI}\``,
    );
    expect(changed.markdown).not.toContain(`added \`${KEPT_AMI}\``);
  });

  it("says what the removal means in the stack's mode", () => {
    expect(changed.markdown).toContain(
      '> Instances running a removed AMI become NON_COMPLIANT when the rule re-evaluates, 5 minutes after this apply, and Config then stops them (mode "automatic" remediates on its own evaluation).',
    );
  });

  it("replaces the one-time re-evaluation because the list changed, so it runs again after this apply", () => {
    expect(changed.changes.find((c) => c.address === changed.scheduleAddress)).toMatchObject({
      kind: "replace",
      reason: "replace_by_triggers",
    });
  });

  it("leaves the rule and the one-time schedule alone when the list is the same, and shows no list section", () => {
    // (The schedule's role ARN is unknown until the role is created, which this state does not hold.)
    const kindOf = (address: string) => unchanged.changes.find((c) => c.address === address)?.kind;
    expect(kindOf(unchanged.ruleAddress)).toBeUndefined();
    expect(kindOf(unchanged.scheduleAddress)).not.toBe("replace");
    expect(unchanged.markdown).not.toContain("Approved AMI list");
  });
});

describe("the one-time re-evaluation over the rule's lifetime, from real plans against a saved state", () => {
  const CURRENT = { maximumRetryAttempts: 185 };
  const RENAMED = "golden-amis-only";
  // Four stacks planned with Terraform in one hook: on a busy machine that takes minutes, never a verdict.
  const LIFETIME_PLANS_TIMEOUT_MS = 15 * 60 * 1000;
  let renamed: ListPlan;
  let retried: ListPlan;
  let steady: ListPlan;
  let upgrade: ListPlan;

  beforeAll(async () => {
    // Given a last apply by this code (role and settings saved) approving the configured list, and then:
    // the rule renamed; the retry settings changed since; nothing changed. And the state of a release
    // without the settings resource, whose schedule has no dead-letter queue and the old retries.
    const same = [KEPT_AMI, APPROVED_AMI];
    const current = { ruleName: RENAMED, previous: same };
    [renamed, retried, steady, upgrade] = (await planLifetimes(
      "plan-rule-lifetime",
      [
        { ruleName: "approved-amis-by-id", previous: same, settings: CURRENT },
        { ...current, settings: { maximumRetryAttempts: 10 } },
        { ...current, settings: CURRENT },
        current,
      ],
      RENAMED,
    )) as [ListPlan, ListPlan, ListPlan, ListPlan];
  }, LIFETIME_PLANS_TIMEOUT_MS);

  afterAll(() => {
    if (renamed) rmSync(renamed.workspace.root, { recursive: true, force: true });
  });

  const kindOf = (plan: ListPlan, address: string) => plan.changes.find((c) => c.address === address);

  it("replaces the one-time schedule when the rule is renamed, never updating its past at() in place", () => {
    expect(kindOf(renamed, renamed.ruleAddress)?.kind).toBe("replace");
    expect(kindOf(renamed, renamed.scheduleAddress)).toMatchObject({
      kind: "replace",
      reason: "replace_by_triggers",
    });
  });

  it("says in plain words what a rename does: the rule and its history go, the schedules follow", () => {
    expect(renamed.markdown).toContain(
      `> Renaming the Config rule \`approved-amis-by-id\` to \`golden-amis-only\` replaces it (\`${renamed.ruleAddress}\`): AWS Config deletes \`approved-amis-by-id\` with its compliance history, and \`golden-amis-only\` starts from nothing and evaluates every instance again.`,
    );
    expect(renamed.markdown).toContain(`\`${renamed.scheduleAddress}\` is replaced`);
    expect(renamed.markdown).toContain("the one-time schedule is replaced, never updated");
  });

  it("replaces the one-time schedule when its retry settings changed, rather than updating it", () => {
    expect(kindOf(retried, retried.ruleAddress)).toBeUndefined();
    expect(kindOf(retried, retried.scheduleAddress)).toMatchObject({
      kind: "replace",
      reason: "replace_by_triggers",
    });
  });

  it("replaces nothing, and leaves the one-time schedule alone, when nothing changed", () => {
    expect(steady.changes.filter((c) => c.kind === "replace").map((c) => c.address)).toEqual([]);
    expect(steady.changes.filter((c) => c.address === steady.scheduleAddress)).toEqual([]);
  });

  it("never updates the one-time schedule in place, even when a release changes its settings", () => {
    // ignore_changes = all leaves the schedule of the earlier release as it is
    expect(kindOf(upgrade, upgrade.scheduleAddress)?.kind).not.toBe("update");
  });
});
