import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import fc from "fast-check";
import { parseConfig } from "../../app/config/load";
import { synthesizeAtomically } from "../../app/synth";
import { terraformTimeout } from "../support/timeouts";
import { rawFrom, validHostileConfig } from "./hostile-configs";
import { terraformValidate } from "./terraform-validate";

describe("hostile strings in valid configurations", () => {
  // One sample (one stack) per test, so each carries one validation's worst case, not three in one limit.
  it.each(fc.sample(validHostileConfig, { numRuns: 3, seed: 7 }).map((input, index) => [index + 1, input]))(
    "sample %i synthesizes and passes terraform validate",
    async (_sample, input) => {
      const outdir = path.join(mkdtempSync(path.join(tmpdir(), "ami-guard-hostile-")), "cdktf.out");
      const result = await synthesizeAtomically(parseConfig(rawFrom(input)), outdir);
      for (const stackName of result.stackNames) {
        const validation = await terraformValidate(path.join(outdir, "stacks", stackName));
        expect({ input, stackName, ...validation }).toEqual({
          input,
          stackName,
          valid: true,
          output: expect.any(String),
        });
      }
    },
    terraformTimeout(1),
  );
});
