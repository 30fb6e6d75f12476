import { mkdtempSync, readdirSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { parseConfig } from "../../app/config/load";
import { synthesizeAtomically } from "../../app/synth";
import { organizationExample } from "../../scripts/organization-example";
import { ORGANIZATION_STACKS } from "../support/configs";

const repoRoot = path.resolve(__dirname, "..", "..");

/**
 * Synthesis in real worker threads. Each thread loads tsx, cdktf and the provider classes afresh, by design
 * (a thread per batch, so a batch's construct tree is freed with its isolate): a few seconds of CPU on an
 * idle machine, many times that with eight suites competing for two cores, which is why jest.tiers.js lists
 * this file. How many threads a synthesis starts is tested in synth-at-scale.test.ts. The limit is for a
 * hang, not for speed.
 */
const THREADED_SYNTHESIS_WORST_CASE_MS = 600_000;

function scratch(prefix: string): string {
  return mkdtempSync(path.join(tmpdir(), `ami-guard-${prefix}-`));
}

/** Every file below `folder`, by relative path, with its bytes. */
function filesUnder(folder: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (const entry of readdirSync(folder, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    files.set(path.relative(folder, file), readFileSync(file));
  }
  return files;
}

/**
 * One account in four regions (event-driven, each stack shipping the function's zip), plus the aggregator
 * and prevention stacks: six stacks, small enough to synthesize three times in one test.
 */
function mixedOrganization() {
  const raw = organizationExample(1);
  return parseConfig({
    ...raw,
    ...ORGANIZATION_STACKS,
  });
}

describe("synthesis in worker threads", () => {
  it(
    "writes byte for byte what one thread writes, manifest included, in the configuration's order",
    async () => {
      const config = mixedOrganization();
      const oneThread = await synthesizeAtomically(config, path.join(scratch("one"), "cdktf.out"), repoRoot, {
        workers: 0,
      });
      // Three batches of two stacks over two threads: batches may finish out of order.
      const threaded = await synthesizeAtomically(
        config,
        path.join(scratch("threads"), "cdktf.out"),
        repoRoot,
        { workers: 2, stacksPerBatch: 2 },
      );
      expect({ workers: threaded.workers, batches: threaded.batches }).toEqual({ workers: 2, batches: 3 });
      expect(oneThread.workers).toBe(0);
      expect(threaded.stackNames).toEqual(oneThread.stackNames);
      expect(threaded.stackNames).toHaveLength(6);
      const expected = filesUnder(oneThread.outdir);
      const actual = filesUnder(threaded.outdir);
      expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
      const differing = [...expected].filter(([file, bytes]) => !actual.get(file)?.equals(bytes));
      expect(differing.map(([file]) => file)).toEqual([]);
      expect(statSync(path.join(threaded.outdir, "manifest.json")).isFile()).toBe(true);
    },
    THREADED_SYNTHESIS_WORST_CASE_MS,
  );

  it(
    "leaves neither output nor a partial folder behind when one batch fails",
    async () => {
      // Given an earlier synthesis in the output folder
      const parent = scratch("threads-atomic");
      const outdir = path.join(parent, "cdktf.out");
      const config = mixedOrganization();
      // (in this thread: threads are for what follows, and each costs a fresh load of cdktf)
      await synthesizeAtomically(config, outdir, repoRoot, { workers: 0 });
      // When a stack in the second of three batches cannot be built
      const broken = { ...config, targets: [...config.targets] };
      const last = broken.targets.length - 1;
      Object.assign(broken.targets, { [last]: { ...broken.targets[last], region: undefined } });
      await expect(
        synthesizeAtomically(broken, outdir, repoRoot, { workers: 2, stacksPerBatch: 2 }),
      ).rejects.toThrow();
      // Then nothing is left to plan: no stale output, no partial folder, no batch folder
      expect(readdirSync(parent)).toEqual([]);
    },
    THREADED_SYNTHESIS_WORST_CASE_MS,
  );
});
