import * as path from "node:path";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { App, LocalBackend, TerraformStack } from "cdktf";
import { ADDRESS_PRESERVING_ID, AmiGuard, Recording, RemediationMode } from "../../lib/ami-guard";
import { classifyChanges } from "../../tools/terraform/plan-summary";
import {
  APPROVED_AMI,
  configOf,
  onlyNameOf,
  planWorkspace,
  type SavedResource,
  savedApprovedAmisRule,
  savedHistoryBucket,
  saveLocalState,
  scratchFolder,
  stackJson,
  succeeded,
  synthesizeInScratch,
  type Workspace,
} from "./support";

const ACCOUNT = "210987654321";
const REGION = "eu-west-1";
const LIBRARY_STACK = "platform";

/**
 * A team with a stack the app deployed adopts the library: its own stack, its own construct id, and
 * `movedFrom(ADDRESS_PRESERVING_ID)`. Planned offline against a state holding the app's resources at the
 * app's addresses (the stand-in for an earlier apply), nothing may be replaced or deleted: each resource is
 * moved to its new address. Without the moved blocks the same plan deletes and recreates them.
 */

/** The library stack a team writes; with `move`, the pipeline takes over the app's addresses. */
function libraryWorkspace(move: boolean): Workspace {
  const root = scratchFolder(move ? "moved" : "unmoved");
  const outdir = path.join(root, "cdktf.out");
  const app = new App({ outdir });
  const stack = new TerraformStack(app, LIBRARY_STACK);
  new AwsProvider(stack, "aws", { region: REGION, allowedAccountIds: [ACCOUNT] });
  new LocalBackend(stack, { path: `terraform.${LIBRARY_STACK}.tfstate` });
  const guard = new AmiGuard(stack, "platform-guard", {
    approvedAmiIds: [APPROVED_AMI],
    remediation: RemediationMode.audit(),
    recording: Recording.create(),
  });
  if (move) guard.movedFrom(ADDRESS_PRESERVING_ID);
  app.synth();
  return { root, synth: { outdir, stackNames: [LIBRARY_STACK] } };
}

async function planAgainstAppState(workspace: Workspace, saved: readonly SavedResource[]) {
  saveLocalState(workspace, LIBRARY_STACK, saved);
  const result = succeeded((await planWorkspace(workspace, { concurrency: 1 })).results[0]);
  return {
    changes: classifyChanges(result.plan),
    previous: new Map(
      (result.plan.resource_changes ?? []).flatMap((change) =>
        "previous_address" in change && typeof change.previous_address === "string"
          ? [[change.previous_address, change.address] as const]
          : [],
      ),
    ),
  };
}

let saved: SavedResource[];
let appAddresses: string[];
let moved: Awaited<ReturnType<typeof planAgainstAppState>>;
let unmoved: Awaited<ReturnType<typeof planAgainstAppState>>;

beforeAll(async () => {
  // Given the app's audit stack, the addresses its rule, bucket and recorder hold in a deployed state
  const appWorkspace = await synthesizeInScratch(
    configOf({ remediation: { mode: "audit" }, targets: [{ accountId: ACCOUNT, region: REGION }] }),
    "app-addresses",
  );
  const appStack = stackJson(appWorkspace, appWorkspace.synth.stackNames[0] as string);
  saved = [
    savedApprovedAmisRule(
      onlyNameOf(appStack, "aws_config_config_rule"),
      "approved-amis-by-id",
      ACCOUNT,
      REGION,
    ),
    savedHistoryBucket(appStack, false),
    {
      type: "aws_config_configuration_recorder",
      name: onlyNameOf(appStack, "aws_config_configuration_recorder"),
      attributes: {
        id: "ami-guard",
        name: "ami-guard",
        role_arn: `arn:aws:iam::${ACCOUNT}:role/ami-guard-config-${REGION}`,
      },
    },
  ];
  appAddresses = saved.map((resource) => `${resource.type}.${resource.name}`);
  // When the library stack is planned against that state, with movedFrom and without
  moved = await planAgainstAppState(libraryWorkspace(true), saved);
  unmoved = await planAgainstAppState(libraryWorkspace(false), saved);
  // Three offline plans on a shared machine: a bound against a hang, not a measure of speed.
}, 900_000);

describe("adopting the library from the app's stack", () => {
  it("moves the app's rule, bucket and recorder to the library's addresses, replacing and deleting nothing", () => {
    const { changes, previous } = moved;
    // Then nothing is replaced or deleted, and each saved resource is moved, not created
    const risky = (change: { kind: string }) => change.kind === "replace" || change.kind === "delete";
    expect(changes.filter(risky)).toEqual([]);
    for (const address of appAddresses) {
      const to = previous.get(address);
      expect(to).toMatch(/^aws_[a-z0-9_]+\.platform-guard_/);
      expect(changes.find((change) => change.address === to)?.kind ?? "no-op").not.toBe("create");
    }
  });

  it("would delete and recreate them without the moved blocks", () => {
    const { changes } = unmoved;
    const deleted = changes.filter((change) => change.kind === "delete").map((change) => change.address);
    expect(deleted.sort()).toEqual([...appAddresses].sort());
  });
});
