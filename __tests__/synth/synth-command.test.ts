import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { rawConfig } from "../support/configs";
import { configFile, scratch } from "./support";

const repoRoot = path.resolve(__dirname, "..", "..");
const tsx = path.join(repoRoot, "node_modules", ".bin", "tsx");

describe("the app (main.ts)", () => {
  it("in its own process, refuses a bad configuration with every problem, exit 1, and removes stale output", () => {
    // Given a folder holding an earlier, valid synthesis
    const outdir = path.join(scratch("out"), "cdktf.out");
    mkdirSync(path.join(outdir, "stacks", "ami-guard-111122223333-eu-central-1"), { recursive: true });
    writeFileSync(path.join(outdir, "manifest.json"), "{}");
    // When `npm run synth`'s command runs on a configuration with three problems (one real process: the
    // exit code a CI step sees)
    const config = rawConfig({
      approvedAmiIds: ["ami-nothex!"],
      targets: [{ accountId: "12", region: "eu-central-1", mode: "x" }],
    });
    const result = spawnSync(tsx, [path.join(repoRoot, "main.ts")], {
      cwd: repoRoot,
      env: { ...process.env, AMI_GUARD_CONFIG: configFile(config), CDKTF_OUTDIR: outdir },
      encoding: "utf8",
    });
    // Then it names each by field, exits non-zero and leaves no output to be planned by mistake
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("3 problems in the ami-guard configuration");
    expect(result.stderr).toContain("approvedAmiIds[0]: must be");
    expect(result.stderr).toContain("targets[0].accountId: must be a 12-digit AWS account id");
    expect(result.stderr).toContain(
      'targets[0].mode: must be one of "audit", "manual", "automatic", "event-driven"',
    );
    expect(result.stderr).toContain("Nothing was synthesized.");
    expect(existsSync(outdir)).toBe(false);
  });
});
