import { readFileSync } from "node:fs";
import { buildLambdaBundle } from "../../app/lambda-bundle";
import { scratch } from "./support";

describe("the Lambda bundle", () => {
  it("is byte-identical across two builds of the same sources", async () => {
    // No cache: this is about esbuild and the zip writer being deterministic.
    const first = await buildLambdaBundle({ outdir: scratch("zip-a"), cacheDir: false });
    const second = await buildLambdaBundle({ outdir: scratch("zip-b"), cacheDir: false });
    expect(readFileSync(second.zipPath).equals(readFileSync(first.zipPath))).toBe(true);
    expect(second.sourceCodeHash).toBe(first.sourceCodeHash);
  });
});
