import { ACTIONS_WITHOUT_RESOURCE_TYPES } from "../../lib/iam";
import {
  type AttachedPolicy,
  attachedPolicies,
  encryptionProblems,
  lambdaPermissionProblems,
  managedPolicyProblems,
  passRoleProblems,
  resourceStarProblems,
  serviceGrantProblems,
  trustProblems,
  UNBOUND_SERVICE_GRANTS,
  wildcardActionProblems,
} from "./iam-rules";
import {
  ACCOUNT,
  everyStack,
  handlerBundleForTests,
  ref,
  type StackCase,
  type SynthesizedStack,
} from "./stacks";

let cases: StackCase[];
beforeAll(async () => {
  cases = everyStack(await handlerBundleForTests());
});

const policiesOf = (stack: SynthesizedStack) => attachedPolicies(stack).policies;
const everyPolicy = () =>
  cases.flatMap(({ label, stack }) => policiesOf(stack).map((p) => ({ label, policy: p })));

describe("least privilege across every mode's synthesized stacks", () => {
  it("synthesizes all four modes with both recorder choices, and finds policies in each", () => {
    expect(cases.map((c) => c.label)).toEqual([
      "audit/create",
      "audit/existing",
      "manual/create",
      "manual/existing",
      "automatic/create",
      "automatic/existing",
      "event-driven/create",
      "event-driven/existing",
      "event-driven/create/cn-north-1",
    ]);
    // audit with an existing recorder deploys only the rule: no policies at all.
    for (const { label, stack } of cases.filter((c) => c.label !== "audit/existing")) {
      expect({ label, hasPolicies: policiesOf(stack).length > 0 }).toEqual({ label, hasPolicies: true });
    }
  });

  it("builds every policy with aws_iam_policy_document", () => {
    expect(cases.flatMap(({ stack }) => attachedPolicies(stack).problems)).toEqual([]);
  });

  it("allows no * or service:* action, and no NotAction or NotResource", () => {
    expect(everyPolicy().flatMap(({ policy }) => wildcardActionProblems(policy))).toEqual([]);
  });

  it('grants Resource "*" only for actions without a resource type', () => {
    expect(everyPolicy().flatMap(({ policy }) => resourceStarProblems(policy))).toEqual([]);
  });

  it('lists every action granted on "*" exactly once, with its Service Authorization Reference, and uses each', () => {
    const granted = new Set(
      everyPolicy()
        .filter(({ policy }) => policy.kind === "identity")
        .flatMap(({ policy }) => policy.statements.filter((s) => s.resources?.includes("*")))
        .flatMap((statement) => statement.actions ?? []),
    );
    expect([...granted].sort()).toEqual(Object.keys(ACTIONS_WITHOUT_RESOURCE_TYPES).sort());
    for (const reference of Object.values(ACTIONS_WITHOUT_RESOURCE_TYPES)) {
      expect(reference).toMatch(
        /^https:\/\/docs\.aws\.amazon\.com\/service-authorization\/latest\/reference\//,
      );
    }
  });

  it("binds every service-trusted role to this account", () => {
    const trusts = everyPolicy().filter(({ policy }) => policy.kind === "trust");
    expect(trusts.length).toBeGreaterThan(0);
    expect(trusts.flatMap(({ policy }) => trustProblems(policy, ACCOUNT))).toEqual([]);
  });

  it("binds every service granted by a resource or key policy, except the documented EventBridge key grant", () => {
    expect(everyPolicy().flatMap(({ policy }) => serviceGrantProblems(policy, ACCOUNT))).toEqual([]);
    const unboundSids = everyPolicy()
      .flatMap(({ policy }) => policy.statements)
      .map((s) => s.sid)
      .filter((sid): sid is string => sid !== undefined && sid in UNBOUND_SERVICE_GRANTS);
    // The exception is in use (automatic mode) rather than a stale escape hatch.
    expect(new Set(unboundSids)).toEqual(new Set(Object.keys(UNBOUND_SERVICE_GRANTS)));
  });

  it("conditions any iam:PassRole on iam:PassedToService", () => {
    expect(everyPolicy().flatMap(({ policy }) => passRoleProblems(policy))).toEqual([]);
  });

  it("attaches no managed policy but Config's documented role policy", () => {
    expect(cases.flatMap(({ stack }) => managedPolicyProblems(stack))).toEqual([]);
  });

  it("scopes each invoke permission by source_arn to one of the two rules, and sets no source_account", () => {
    const eventDriven = cases.filter((c) => c.mode === "event-driven");
    for (const { stack } of eventDriven) {
      expect(lambdaPermissionProblems(stack)).toEqual([]);
      const permissions = Object.values(stack.resource.aws_lambda_permission ?? {}) as Record<
        string,
        unknown
      >[];
      expect(permissions.map((permission) => permission.source_arn).sort()).toEqual([
        expect.stringMatching(/^\$\{aws_cloudwatch_event_rule\.event-driven_compliance-change_\w+\.arn\}$/),
        expect.stringMatching(
          /^\$\{aws_cloudwatch_event_rule\.event-driven_instance-running_rule_\w+\.arn\}$/,
        ),
      ]);
      for (const permission of permissions) expect(permission).not.toHaveProperty("source_account");
    }
  });

  it("encrypts the bucket, queues and topic, and bounds log retention", () => {
    expect(cases.flatMap(({ stack }) => encryptionProblems(stack))).toEqual([]);
  });
});

describe("each least-privilege rule catches what it is for", () => {
  const identity = (statements: AttachedPolicy["statements"]): AttachedPolicy => ({
    where: "aws_iam_role_policy.bad.policy",
    kind: "identity",
    statements,
  });

  it("refuses a policy written as inline JSON", () => {
    const stack: SynthesizedStack = {
      resource: { aws_iam_role_policy: { bad: { policy: '{"Version":"2012-10-17","Statement":[]}' } } },
      data: {},
    };
    expect(attachedPolicies(stack).problems).toEqual([
      expect.stringContaining("aws_iam_role_policy.bad.policy"),
    ]);
  });

  it("refuses *, service:* and NotAction", () => {
    const policy = identity([
      { effect: "Allow", actions: ["*"], resources: ["arn:aws:s3:::b"] },
      { effect: "Allow", actions: ["s3:*"], resources: ["arn:aws:s3:::b"] },
      { effect: "Allow", not_actions: ["iam:CreateUser"], resources: ["arn:aws:s3:::b"] },
      { effect: "Deny", actions: ["s3:*"], resources: ["*"] },
    ]);
    expect(wildcardActionProblems(policy)).toHaveLength(3);
  });

  it('refuses "*" for an action that has a resource type, in identity and resource policies', () => {
    expect(resourceStarProblems(identity([{ actions: ["ec2:StopInstances"], resources: ["*"] }]))).toEqual([
      expect.stringContaining("ec2:StopInstances"),
    ]);
    expect(
      resourceStarProblems({
        where: "q",
        kind: "resource",
        statements: [{ actions: ["sqs:SendMessage"], resources: ["*"] }],
      }),
    ).toHaveLength(1);
    expect(
      resourceStarProblems(identity([{ actions: ["ec2:DescribeInstances"], resources: ["*"] }])),
    ).toEqual([]);
  });

  it("refuses a service trust without a source condition, or bound to another account", () => {
    const trust = (
      condition: NonNullable<AttachedPolicy["statements"][number]["condition"]>,
    ): AttachedPolicy => ({
      where: "aws_iam_role.bad.assume_role_policy",
      kind: "trust",
      statements: [
        {
          actions: ["sts:AssumeRole"],
          principals: [{ type: "Service", identifiers: ["ssm.amazonaws.com"] }],
          condition,
        },
      ],
    });
    expect(trustProblems(trust([]), ACCOUNT)).toHaveLength(1);
    expect(
      trustProblems(
        trust([{ test: "StringEquals", variable: "aws:SourceAccount", values: ["999999999999"] }]),
        ACCOUNT,
      ),
    ).toHaveLength(1);
    expect(
      trustProblems(
        trust([{ test: "StringEquals", variable: "aws:SourceAccount", values: [ACCOUNT] }]),
        ACCOUNT,
      ),
    ).toEqual([]);
  });

  it("refuses a condition on a key the trusted service is not documented to send (Lambda)", () => {
    const lambdaTrust = (
      condition: { test: string; variable: string; values: string[] }[],
    ): AttachedPolicy => ({
      where: "aws_iam_role.function.assume_role_policy",
      kind: "trust",
      statements: [
        {
          actions: ["sts:AssumeRole"],
          principals: [{ type: "Service", identifiers: ["lambda.amazonaws.com"] }],
          condition,
        },
      ],
    });
    expect(
      trustProblems(
        lambdaTrust([{ test: "StringEquals", variable: "aws:SourceAccount", values: [ACCOUNT] }]),
        ACCOUNT,
      ),
    ).toEqual([
      "aws_iam_role.function.assume_role_policy [no sid] conditions lambda.amazonaws.com's assumption on keys it is not documented to send",
    ]);
    expect(trustProblems(lambdaTrust([]), ACCOUNT)).toEqual([]);
  });

  it("refuses an unbound service grant in a resource policy", () => {
    const policy: AttachedPolicy = {
      where: "aws_sqs_queue_policy.bad.policy",
      kind: "resource",
      statements: [
        {
          sid: "Open",
          actions: ["sqs:SendMessage"],
          resources: [ref("aws_sqs_queue.q.arn")],
          principals: [{ type: "Service", identifiers: ["events.amazonaws.com"] }],
        },
      ],
    };
    expect(serviceGrantProblems(policy, ACCOUNT)).toHaveLength(1);
  });

  it("refuses iam:PassRole without iam:PassedToService", () => {
    expect(
      passRoleProblems(identity([{ actions: ["iam:PassRole"], resources: ["arn:aws:iam::1:role/r"] }])),
    ).toHaveLength(1);
    expect(
      passRoleProblems(
        identity([
          {
            actions: ["iam:PassRole"],
            resources: ["arn:aws:iam::1:role/r"],
            condition: [
              { test: "StringEquals", variable: "iam:PassedToService", values: ["ssm.amazonaws.com"] },
            ],
          },
        ]),
      ),
    ).toEqual([]);
  });

  it("refuses other managed policies, unscoped invoke permissions and unencrypted or forever-kept data", () => {
    const stack: SynthesizedStack = {
      resource: {
        aws_iam_role_policy_attachment: {
          admin: { policy_arn: "arn:aws:iam::aws:policy/AdministratorAccess" },
        },
        aws_lambda_permission: { open: { principal: "*" } },
        aws_s3_bucket: { b: {} },
        aws_sqs_queue: { q: {} },
        aws_sns_topic: { t: {} },
        aws_cloudwatch_log_group: { l: {} },
      },
      data: {},
    };
    expect(managedPolicyProblems(stack)).toHaveLength(1);
    expect(lambdaPermissionProblems(stack)).toHaveLength(2);
    expect(encryptionProblems(stack)).toHaveLength(4);
  });
});
