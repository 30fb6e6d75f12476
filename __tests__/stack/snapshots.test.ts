import type { LambdaBundle } from "../../app/lambda-bundle";
import { ALL_MODES, singleTargetConfig } from "../support/configs";
import { handlerBundle, reviewableHcl } from "../support/synth";

let bundle: LambdaBundle;
beforeAll(async () => {
  bundle = await handlerBundle();
});

// One reviewable snapshot per mode: a change to the infrastructure shows up as a Terraform diff in review.
// Hashes of the bundled handler are masked; the property tests pin what the snapshots do not explain.
describe("synthesized HCL per mode", () => {
  it.each(ALL_MODES)("mode %s with a recorder of its own", (mode) => {
    expect(reviewableHcl(singleTargetConfig(mode, "create"), bundle)).toMatchSnapshot();
  });

  it("mode audit with the account's existing recorder: the rule and its re-evaluation alone", () => {
    const hcl = reviewableHcl(singleTargetConfig("audit", "existing"), bundle);
    // The rule, the schedules' role and its policy, the recurring and the after-change schedule, the
    // after-change schedule's settings, each schedule's dead-letter queue and its alarm.
    expect(hcl.match(/^resource "/gm)).toHaveLength(10);
    expect(hcl).toMatchSnapshot();
  });

  it("masks the bundle's hashes and absolute paths", () => {
    const hcl = reviewableHcl(singleTargetConfig("event-driven", "create"), bundle);
    expect(hcl).toMatch(/source_code_hash\s+= "<source-code-hash>"/);
    expect(hcl).toMatch(
      /filename\s+= "assets\/event-driven_code_[0-9A-F]+\/<asset-hash>\/remediation-handler\.zip"/,
    );
    expect(hcl).not.toContain(bundle.sourceCodeHash);
    expect(hcl).not.toContain(process.cwd());
  });
});
