import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { installTripwires, TRIPWIRE_EXIT_STATUS, trippedCommands } from "./tripwire";

const ROOT = path.resolve(__dirname, "..", "..");
const { SLOW_SUITES } = require(path.join(ROOT, "jest.tiers.js")) as {
  SLOW_SUITES: readonly { path: string; reason: string }[];
};

describe("the fast tier's tripwires", () => {
  function tripwired() {
    const env: NodeJS.ProcessEnv = { ...process.env };
    installTripwires(mkdtempSync(path.join(tmpdir(), "ami-guard-tripwire-")), env);
    return env;
  }

  it.each([
    ["terraform", ["init", "-backend=false"]],
    ["tofu", ["plan"]],
    ["moto_server", ["-p", "5000"]],
  ])("refuse %s %s, say where slow suites are listed, and log it", (binary, args) => {
    const env = tripwired();
    const result = spawnSync(binary, args, { env, encoding: "utf8" });
    expect(result.status).toBe(TRIPWIRE_EXIT_STATUS);
    expect(result.stderr).toContain(`the fast tier (npm run test:fast) runs no ${binary}`);
    expect(result.stderr).toContain("jest.tiers.js");
    expect(trippedCommands(env)).toEqual([
      expect.stringMatching(new RegExp(`^${binary} ${args.join(" ")} `)),
    ]);
  });

  it("let terraform fmt through to the real terraform, unlogged", () => {
    const env = tripwired();
    const result = spawnSync("terraform", ["fmt", "-"], { env, input: 'a   = "b"\n', encoding: "utf8" });
    if (result.status === 127 || /not found/.test(result.stderr))
      throw new Error(`the "terraform" binary must be on PATH for terraform fmt: ${result.stderr}`);
    expect({ status: result.status, stdout: result.stdout }).toEqual({ status: 0, stdout: 'a = "b"\n' });
    expect(trippedCommands(env)).toEqual([]);
  });
});

describe("the two tiers", () => {
  it("list only suites and folders that could exist, each with a reason", () => {
    for (const suite of SLOW_SUITES) {
      expect(suite.reason.length).toBeGreaterThan(10);
      expect(suite.path).toMatch(/^__tests__\/[\w-]+\/([\w.-]+\.test\.ts)?$/);
      // A listed file that is gone is a stale entry; a folder may be one the suite has yet to grow.
      if (suite.path.endsWith(".ts")) expect(existsSync(path.join(ROOT, suite.path))).toBe(true);
    }
  });
});
