import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { buildLambdaBundle } from "../../app/lambda-bundle";

function scratch(prefix: string): string {
  return mkdtempSync(path.join(tmpdir(), `ami-guard-${prefix}-`));
}

/** A two-file handler, so a change to an imported file (not only the entry) can be shown. */
function handlerSources(): { entry: string; imported: string } {
  const folder = scratch("cached-handler");
  const entry = path.join(folder, "index.ts");
  const imported = path.join(folder, "answer.ts");
  writeFileSync(entry, 'import { answer } from "./answer";\nexport const handler = async () => answer;\n');
  writeFileSync(imported, 'export const answer = "first";\n');
  return { entry, imported };
}

describe("the bundle cache", () => {
  it("serves an unchanged handler from the cache, byte for byte what a fresh build gives", async () => {
    const { entry } = handlerSources();
    const cacheDir = scratch("cache");
    const cold = await buildLambdaBundle({ entry, outdir: scratch("zip"), cacheDir });
    const warm = await buildLambdaBundle({ entry, outdir: scratch("zip"), cacheDir });
    const uncached = await buildLambdaBundle({ entry, outdir: scratch("zip"), cacheDir: false });
    expect([cold.fromCache, warm.fromCache, uncached.fromCache]).toEqual([false, true, false]);
    expect(readFileSync(warm.zipPath).equals(readFileSync(uncached.zipPath))).toBe(true);
    expect(warm.sourceCodeHash).toBe(uncached.sourceCodeHash);
  });

  it("rebuilds when a file the handler imports changes", async () => {
    const { entry, imported } = handlerSources();
    const cacheDir = scratch("cache");
    const before = await buildLambdaBundle({ entry, outdir: scratch("zip"), cacheDir });
    writeFileSync(imported, 'export const answer = "second";\n');
    const after = await buildLambdaBundle({ entry, outdir: scratch("zip"), cacheDir });
    expect(after.fromCache).toBe(false);
    expect(after.sourceCodeHash).not.toBe(before.sourceCodeHash);
    const fresh = await buildLambdaBundle({ entry, outdir: scratch("zip"), cacheDir: false });
    expect(after.sourceCodeHash).toBe(fresh.sourceCodeHash);
  });

  it("treats a damaged entry as a miss and repairs it", async () => {
    const { entry } = handlerSources();
    const cacheDir = scratch("cache");
    await buildLambdaBundle({ entry, outdir: scratch("zip"), cacheDir });
    for (const file of readdirSync(cacheDir).filter((name) => name.endsWith(".json"))) {
      writeFileSync(path.join(cacheDir, file), "{ not json");
    }
    const rebuilt = await buildLambdaBundle({ entry, outdir: scratch("zip"), cacheDir });
    const again = await buildLambdaBundle({ entry, outdir: scratch("zip"), cacheDir });
    expect([rebuilt.fromCache, again.fromCache]).toEqual([false, true]);
  });
});
