import { readFileSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { runSimulation } from "@cloud-copilot/iam-simulate";
import type { AwsRegion } from "../../lib/regions";
import { behaviourProblems, serviceBehaviours } from "../../lib/service-behaviour";
import { referenceProblems } from "../../tools/permissions/authorization-reference";
import {
  type PermissionPath,
  permissionPaths,
  undecidablePaths,
  unexpectedOutcomes,
} from "../../tools/permissions/paths";
import {
  resourcePolicyOf,
  type StackPolicies,
  stackPolicies,
  type TerraformJson,
} from "../../tools/permissions/terraform-policies";
import {
  ACCOUNT,
  everyStack,
  handlerBundleForTests,
  STACK_CASE_LABELS,
  type StackCase,
} from "../policy/stacks";

let cases: StackCase[];
let bundleDir: string;
beforeAll(async () => {
  const bundle = await handlerBundleForTests();
  bundleDir = path.dirname(bundle.zipPath);
  cases = everyStack(bundle);
});
afterAll(() => rmSync(bundleDir, { recursive: true, force: true }));

const policiesOf = (stack: TerraformJson, region: string): StackPolicies =>
  stackPolicies(stack, { accountId: ACCOUNT, region: region as AwsRegion });
const pathsOf = (stack: TerraformJson, region: string): PermissionPath[] =>
  permissionPaths(stack, policiesOf(stack, region));
const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

/** Paths per stack, runtime (allowed) and abuse (denied): docs/permissions.md lists these. */
function pathCounts(all: StackCase[]): { label: string; allowed: number; denied: number }[] {
  return all.map(({ label, stack, region }) => {
    const paths = pathsOf(stack, region);
    return {
      label,
      allowed: paths.filter((p) => p.expect === "Allowed").length,
      denied: paths.filter((p) => p.expect === "Denied").length,
    };
  });
}

describe("the service behaviour table", () => {
  it("gives every row AWS documentation and a value for every key it marks sent", () => {
    // Given the table, When it is loaded, Then it loads without problems
    expect(serviceBehaviours().length).toBeGreaterThan(10);
  });

  it("refuses a row without a source, or a sent key without a value", () => {
    const bad = {
      id: "bad",
      caller: "events.amazonaws.com",
      call: "",
      actions: [],
      keys: { "aws:SourceArn": { sent: "yes" as const } },
      sources: [],
      note: "",
    };
    expect(behaviourProblems(bad)).toEqual([
      "bad: no documentation source",
      "bad: aws:SourceArn is sent without a known value kind",
    ]);
  });
});

describe("every mode's runtime paths are allowed and its abuse paths denied by the IAM engine", () => {
  it("finds paths in every stack that deploys anything", () => {
    const counts = pathCounts(cases);
    for (const { label, allowed, denied } of counts.filter((c) => c.label !== "audit/existing")) {
      expect({ label, some: allowed > 0 && denied > 0 }).toEqual({ label, some: true });
    }
  });

  it.each(STACK_CASE_LABELS)("%s: the engine decides every path as expected", async (label) => {
    const c = cases.find((candidate) => candidate.label === label) as StackCase;
    expect(await unexpectedOutcomes(pathsOf(c.stack, c.region), ACCOUNT)).toEqual([]);
  });

  it("reports the paths the engine cannot decide: CloudWatch Logs' encryption-context key only", async () => {
    const c = cases.find((candidate) => candidate.label === "event-driven/create") as StackCase;
    const undecidable = await undecidablePaths(pathsOf(c.stack, c.region), ACCOUNT);
    expect(undecidable.length).toBeGreaterThan(0);
    for (const line of undecidable)
      expect(line).toMatch(/^CloudWatch Logs uses the key .*kms:EncryptionContext:aws:logs:arn$/);
  });
});

describe("every policy against the Service Authorization Reference", () => {
  it("names only existing actions, resources of their types and condition keys they support", async () => {
    const problems: string[] = [];
    for (const { label, stack, region } of cases) {
      const policies = policiesOf(stack, region);
      for (const role of policies.roles) {
        problems.push(...(await referenceProblems(`${label} ${role.address} trust`, role.trust, "trust")));
        for (const inline of role.inline)
          problems.push(...(await referenceProblems(`${label} ${role.address}`, inline, "identity")));
      }
      for (const policy of policies.resourcePolicies) {
        const kind = policy.address.startsWith("aws_kms_key") ? "key" : "resource";
        problems.push(...(await referenceProblems(`${label} ${policy.address}`, policy.document, kind)));
      }
    }
    expect(problems).toEqual([]);
  });

  it("catches a misspelt action, a resource of the wrong type and an unknown condition key", async () => {
    const problems = await referenceProblems(
      "bad",
      {
        Version: "2012-10-17",
        Statement: [
          { Sid: "A", Effect: "Allow", Action: "sns:Publsh", Resource: "*" },
          { Sid: "B", Effect: "Allow", Action: "sqs:SendMessage", Resource: "arn:aws:sns:eu-central-1:1:t" },
          { Sid: "C", Effect: "Allow", Action: "ec2:StopInstances", Resource: "*" },
          {
            Sid: "D",
            Effect: "Allow",
            Action: "sns:Publish",
            Resource: "arn:aws:sns:eu-central-1:1:t",
            Condition: { StringEquals: { "sns:NoSuchKey": "x" } },
          },
        ],
      },
      "identity",
    );
    expect(problems).toEqual([
      "bad [A]: sns:Publsh is not in the Service Authorization Reference",
      "bad [B]: arn:aws:sns:eu-central-1:1:t matches no resource type of sqs:SendMessage",
      'bad [C]: ec2:StopInstances has resource types but is granted on "*"',
      "bad [D]: sns:NoSuchKey is neither global nor a condition key of sns:Publish",
    ]);
  });
});

describe("a mutated policy is caught", () => {
  const eventDriven = () => clone(cases.find((c) => c.label === "event-driven/create") as StackCase);

  it("dropping the function role's DeadLetter statement denies the on_failure destination", async () => {
    // Given the event-driven stack with the DeadLetter statement removed from the function's policy
    const c = eventDriven();
    const documents = c.stack.data.aws_iam_policy_document ?? {};
    const [name] = Object.keys(documents).filter((n) => n.includes("function-role_permissions"));
    const document = documents[name as string] as { statement: { sid?: string }[] };
    document.statement = document.statement.filter((s) => s.sid !== "DeadLetter");
    // When the engine evaluates its paths, Then the destination path is the one refused
    expect(await unexpectedOutcomes(pathsOf(c.stack, c.region), ACCOUNT)).toContain(
      "function's on_failure destination receives the event: expected Allowed, engine said ImplicitlyDenied",
    );
  });

  it("dropping the re-evaluation role's DeadLetterFailedCalls statement denies the schedules' dead-letter queues", async () => {
    // Given the event-driven stack with the statement removed from the Scheduler role's policy
    const c = eventDriven();
    const documents = c.stack.data.aws_iam_policy_document ?? {};
    const [name] = Object.keys(documents).filter((n) => n.includes("reevaluation_role_permissions"));
    const document = documents[name as string] as { statement: { sid?: string }[] };
    document.statement = document.statement.filter((s) => s.sid !== "DeadLetterFailedCalls");
    // When the engine evaluates its paths, Then both dead-letter paths are refused
    const refused = await unexpectedOutcomes(pathsOf(c.stack, c.region), ACCOUNT);
    expect([...refused].sort()).toEqual([
      "Scheduler dead-letters a failed re-evaluation to ami-guard-reevaluation-after-change-failures: expected Allowed, engine said ImplicitlyDenied",
      "Scheduler dead-letters a failed re-evaluation to ami-guard-reevaluation-failures: expected Allowed, engine said ImplicitlyDenied",
    ]);
  });

  it("a condition on aws:SourceAccount, which EventBridge does not send, denies the rule's invoke", async () => {
    const invoke = (sourceAccount: string | undefined) => {
      const c = eventDriven();
      for (const permission of Object.values(c.stack.resource.aws_lambda_permission ?? {})) {
        if (sourceAccount) permission.source_account = sourceAccount;
        else delete permission.source_account;
      }
      return unexpectedOutcomes(
        pathsOf(c.stack, c.region).filter((p) => p.id === "EventBridge invokes the function from its rule"),
        ACCOUNT,
      );
    };
    // Given the permission scoped by source_arn alone, Then EventBridge's invoke is allowed
    expect(await invoke(undefined)).toEqual([]);
    // Given source_account added to both permissions, Then the invoke from each rule is denied
    expect(await invoke(ACCOUNT)).toEqual([
      "EventBridge invokes the function from its rule: expected Allowed, engine said ImplicitlyDenied",
      "EventBridge invokes the function from its rule: expected Allowed, engine said ImplicitlyDenied",
    ]);
  });
});

describe("docs/permissions.md", () => {
  it("lists every service behaviour row with its sources and the paths checked per stack", () => {
    const file = path.join(__dirname, "..", "..", "docs", "permissions.md");
    const expected = renderPermissionsDoc(cases);
    // Like jest -u for snapshots: regenerate on request, never silently.
    if (process.env.AMI_GUARD_UPDATE_DOCS === "1") writeFileSync(file, expected);
    const document = readFileSync(file, "utf8");
    if (document !== expected) {
      throw new Error(
        "docs/permissions.md is out of date: run `AMI_GUARD_UPDATE_DOCS=1 npx jest __tests__/permissions` and commit it",
      );
    }
    expect(document).toBe(expected);
  });
});

function renderPermissionsDoc(all: StackCase[]): string {
  const rows = serviceBehaviours().map((row) => {
    const keys = Object.entries(row.keys)
      .map(
        ([key, b]) =>
          `\`${key}\` ${b.sent === "yes" ? "sent" : b.sent === "no" ? "not sent" : "silent (treated as not sent)"}`,
      )
      .join("; ");
    return `| ${row.call} | ${row.actions.map((a) => `\`${a}\``).join(", ")} | ${keys} | ${row.sources.map((s) => `<${s}>`).join(" ")} |`;
  });
  const counts = pathCounts(all).map(({ label, allowed, denied }) => `| ${label} | ${allowed} | ${denied} |`);
  return [
    "# Permissions",
    "",
    "The permissions suite (`__tests__/permissions/engine.test.ts`) renders every policy a stack deploys as AWS stores it and",
    "evaluates each runtime request with the cloud-copilot IAM engine, with exactly the condition keys the calling service",
    "sends according to AWS's documentation (`lib/service-condition-keys.json`). A key the documentation does",
    "not mention is treated as absent. This file is kept true by that test.",
    "",
    "## What each service sends",
    "",
    "| Call | Actions | Condition keys | Sources |",
    "| --- | --- | --- | --- |",
    ...rows,
    "",
    "## Paths checked per stack",
    "",
    "Allowed: runtime requests that must succeed. Denied: abuse requests (another account, another rule, another region, the",
    "function stopping instances itself, S3 without TLS) that must fail. Recount with",
    "`npx jest __tests__/permissions/engine.test.ts`.",
    "",
    "| Stack | Allowed | Denied |",
    "| --- | --- | --- |",
    ...counts,
    "",
  ].join("\n");
}

describe("the stack key's administrators", () => {
  it("may rotate the key on demand, which the key policy must grant for IAM policies to count", async () => {
    const c = cases.find((candidate) => candidate.label === "event-driven/create") as StackCase;
    const policies = policiesOf(c.stack, c.region);
    const [keyName] = Object.keys(c.stack.resource.aws_kms_key ?? {});
    const keyArn = policies.resolver.attribute("aws_kms_key", String(keyName), "arn");
    const keyPolicy = resourcePolicyOf(policies, keyArn);
    const admin = `arn:aws:iam::${ACCOUNT}:role/platform-admin`;
    const decide = async (resourcePolicy: typeof keyPolicy) => {
      const response = await runSimulation(
        {
          request: {
            principal: admin,
            action: "kms:RotateKeyOnDemand",
            resource: { resource: keyArn, accountId: ACCOUNT },
            contextVariables: { "aws:PrincipalAccount": ACCOUNT, "aws:SecureTransport": "true" },
          },
          identityPolicies: [
            {
              name: "admin",
              policy: {
                Version: "2012-10-17",
                Statement: [{ Effect: "Allow", Action: "kms:*", Resource: "*" }],
              },
            },
          ],
          serviceControlPolicies: [],
          resourceControlPolicies: [],
          resourcePolicy,
        },
        {},
      );
      return response.resultType === "error" ? JSON.stringify(response.errors) : response.overallResult;
    };
    // Given the key policy as deployed, Then an administrator of the account may rotate it on demand
    expect(await decide(keyPolicy)).toBe("Allowed");
    // Given the key policy without kms:RotateKeyOnDemand, Then no IAM policy can grant it
    const without = clone(keyPolicy) as NonNullable<typeof keyPolicy>;
    for (const statement of without.Statement) {
      if (Array.isArray(statement.Action))
        statement.Action = statement.Action.filter((action) => action !== "kms:RotateKeyOnDemand");
    }
    expect(await decide(without)).toBe("ImplicitlyDenied");
  });
});
