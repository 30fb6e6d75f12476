import { spawnSync } from "node:child_process";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..", "..");
const { SLOW_SUITES } = require(path.join(ROOT, "jest.tiers.js")) as {
  SLOW_SUITES: readonly { path: string; reason: string }[];
};

/** The suites a jest configuration runs, as jest itself lists them in a process of its own. */
function listTests(config: string): string[] {
  const result = spawnSync(
    process.execPath,
    [require.resolve("jest/bin/jest"), "-c", config, "--listTests"],
    { cwd: ROOT, encoding: "utf8" },
  );
  if (result.status !== 0) throw new Error(`jest --listTests -c ${config} failed:\n${result.stderr}`);
  return result.stdout
    .split("\n")
    .filter((line) => line.endsWith(".test.ts"))
    .map((file) => path.relative(ROOT, file))
    .sort();
}

describe("the two tiers", () => {
  it("npm test runs every suite; the fast tier all but the listed slow ones", () => {
    const everything = listTests("jest.config.js");
    const fast = listTests("jest.fast.config.js");
    const slow = everything.filter((file) => SLOW_SUITES.some((suite) => file.startsWith(suite.path)));
    expect(slow.length).toBeGreaterThan(0);
    expect(fast).toEqual(everything.filter((file) => !slow.includes(file)));
    expect(require(path.join(ROOT, "package.json")).scripts.test).toBe(
      "npm run typecheck && npm run lint && jest",
    );
  });
});
