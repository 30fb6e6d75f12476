import { readFileSync } from "node:fs";
import * as path from "node:path";
import { parseConfig } from "../../app/config/load";
import { SYNTH_WORKERS_VARIABLE, workerCount } from "../../app/synth";
import { listStacks } from "../../app/targets";
import { organizationExample } from "../../scripts/organization-example";

const repoRoot = path.resolve(__dirname, "..", "..");

describe("the organization example generator", () => {
  it("with 50 accounts is the checked-in 200-stack example", () => {
    const file = path.join(repoRoot, "examples", "organization-200-stacks.json");
    expect(organizationExample(50)).toEqual(JSON.parse(readFileSync(file, "utf8")));
  });

  it("with 500 accounts gives 2,000 valid stacks with distinct state keys", () => {
    const rows = listStacks(parseConfig(organizationExample(500)));
    expect(rows).toHaveLength(2000);
    expect(new Set(rows.map((row) => row.state)).size).toBe(2000);
  });
});

describe("the number of worker threads", () => {
  it("is none for a small organization and one per core for a large one", () => {
    expect(workerCount(1, undefined, {}, 2)).toBe(0);
    expect(workerCount(79, undefined, {}, 2)).toBe(0);
    expect(workerCount(80, undefined, {}, 2)).toBe(2);
    expect(workerCount(2000, undefined, {}, 2)).toBe(2);
    expect(workerCount(2000, undefined, {}, 8)).toBe(8);
  });

  it(`follows the option, then ${SYNTH_WORKERS_VARIABLE}, never above the number of stacks`, () => {
    expect(workerCount(2000, 0, { [SYNTH_WORKERS_VARIABLE]: "4" }, 2)).toBe(0);
    expect(workerCount(2000, undefined, { [SYNTH_WORKERS_VARIABLE]: "4" }, 2)).toBe(4);
    expect(workerCount(3, undefined, { [SYNTH_WORKERS_VARIABLE]: "4" }, 2)).toBe(3);
    expect(workerCount(3, undefined, { [SYNTH_WORKERS_VARIABLE]: "" }, 2)).toBe(0);
  });

  it("refuses a count that is not a whole number, naming the variable", () => {
    expect(() => workerCount(10, undefined, { [SYNTH_WORKERS_VARIABLE]: "two" }, 2)).toThrow(
      `${SYNTH_WORKERS_VARIABLE} (or the workers option) must be a whole number of threads, 0 for none; got "two"`,
    );
    expect(() => workerCount(10, -1, {}, 2)).toThrow("must be a whole number");
  });
});
