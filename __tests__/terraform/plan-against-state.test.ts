import { readFileSync } from "node:fs";
import { classifyChanges } from "../../tools/terraform/plan-summary";
import {
  configOf,
  declaredAddresses,
  onlyNameOf,
  planWorkspace,
  savedApprovedAmisRule,
  savedHistoryBucket,
  saveLocalState,
  stackJson,
  succeeded,
  synthesizeInScratch,
  type Workspace,
} from "./support";

const ACCOUNT = "210987654321";
const REGION = "eu-west-1";

describe("the plan summary of a stack with existing resources", () => {
  let workspace: Workspace;
  let stackName: string;
  let ruleAddress: string;
  let bucketAddress: string;
  let markdown: string;
  let changes: ReturnType<typeof classifyChanges>;

  beforeAll(async () => {
    // Given an audit stack that creates its recorder, and a saved state in which an earlier apply left
    // the rule under another name (replace), the bucket with force_destroy on (update) and a queue the
    // configuration no longer declares (delete)
    workspace = await synthesizeInScratch(
      configOf({ remediation: { mode: "audit" }, targets: [{ accountId: ACCOUNT, region: REGION }] }),
      "plan-state",
    );
    stackName = workspace.synth.stackNames[0] as string;
    const stack = stackJson(workspace, stackName);
    const ruleName = onlyNameOf(stack, "aws_config_config_rule");
    const savedBucket = savedHistoryBucket(stack, true);
    ruleAddress = `aws_config_config_rule.${ruleName}`;
    bucketAddress = `aws_s3_bucket.${savedBucket.name}`;
    saveLocalState(workspace, stackName, [
      savedApprovedAmisRule(ruleName, "approved-amis-previous-name", ACCOUNT, REGION),
      savedBucket,
      {
        type: "aws_sqs_queue",
        name: "legacy",
        attributes: {
          id: `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/legacy`,
          name: "legacy",
          url: `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/legacy`,
        },
      },
    ]);

    // When the stack is planned offline against that state
    const run = await planWorkspace(workspace);
    const result = succeeded(run.results[0]);
    changes = classifyChanges(result.plan);
    markdown = readFileSync(result.files.markdown, "utf8");
  });

  it("plans a replacement, an update, a deletion and the remaining creations", () => {
    const kindOf = (address: string) => changes.find((change) => change.address === address)?.kind;
    expect(kindOf(ruleAddress)).toBe("replace");
    expect(kindOf(bucketAddress)).toBe("update");
    expect(kindOf("aws_sqs_queue.legacy")).toBe("delete");
    const created = changes.filter((change) => change.kind === "create").map((change) => change.address);
    const existing = new Set([ruleAddress, bucketAddress]);
    expect(created.sort()).toEqual(
      declaredAddresses(stackJson(workspace, stackName)).filter((a) => !existing.has(a)),
    );
  });

  it("calls out the replacement and the deletion before anything else, with the compliance history warning", () => {
    const beforeCounts = markdown.slice(0, markdown.indexOf("**Plan:"));
    expect(beforeCounts).toContain("> [!CAUTION]");
    expect(beforeCounts).toContain("Replacing a Config rule or recorder resets compliance history.");
    expect(beforeCounts).toContain(
      `**replace** \`${ruleAddress}\` (forced by \`name\`): the rule's compliance history is lost, and a new rule evaluates from nothing.`,
    );
    expect(beforeCounts).toContain("**delete** `aws_sqs_queue.legacy`");
    // An in-place update is no risk to call out
    expect(beforeCounts).not.toContain(bucketAddress);
  });

  it("counts as Terraform does and groups the resources by type", () => {
    const creations = changes.filter((change) => change.kind === "create").length;
    expect(markdown).toContain(`**Plan: ${creations + 1} to add, 1 to change, 2 to destroy.**`);
    expect(markdown).toContain("| Resource type | create | update | replace | delete |");
    expect(markdown).toContain("| `aws_config_config_rule` |  |  | 1 |  |");
    expect(markdown).toContain("| `aws_s3_bucket` |  | 1 |  |  |");
    // The stack's own two queues (the re-evaluation schedules' dead letters) are created beside the deletion.
    const queuesCreated = changes.filter(
      (change) => change.kind === "create" && change.address.startsWith("aws_sqs_queue."),
    ).length;
    expect(queuesCreated).toBe(2);
    expect(markdown).toContain(`| \`aws_sqs_queue\` | ${queuesCreated} |  |  | 1 |`);
    expect(markdown).toContain(`**\`aws_s3_bucket\`**\n\n- update \`${bucketAddress}\``);
  });
});
