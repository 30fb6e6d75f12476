import { parseArgs } from "node:util";
import { ConfigError, loadConfig } from "../app/config/load";
import { outdirFromEnvironment } from "../app/synth";
import { drillConfiguration } from "../tools/drill/drill-configuration";
import { SampleEventError } from "../tools/drill/sample-event";
import { DEFAULT_PLANS_DIR, DEFAULT_SCRATCH_DIR } from "../tools/terraform/plan-stacks";
import { TerraformToolingError } from "../tools/terraform/terraform-cli";

const USAGE = "npm run drill [-- --concurrency N] [--plans-dir DIR] [--scratch-dir DIR]";

async function main(): Promise<void> {
  let values: ReturnType<typeof parseArgs>["values"];
  try {
    ({ values } = parseArgs({
      args: process.argv.slice(2),
      options: {
        concurrency: { type: "string" },
        "plans-dir": { type: "string" },
        "scratch-dir": { type: "string" },
      },
      strict: true,
    }));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\nusage: ${USAGE}\n`);
    process.exitCode = 1;
    return;
  }
  const concurrency = values.concurrency === undefined ? undefined : Number(values.concurrency);
  if (concurrency !== undefined && (!Number.isInteger(concurrency) || concurrency < 1)) {
    process.stderr.write(
      `--concurrency must be a whole number ≥ 1, got "${values.concurrency}"\nusage: ${USAGE}\n`,
    );
    process.exitCode = 1;
    return;
  }
  try {
    const run = await drillConfiguration({
      config: loadConfig(),
      synthDir: outdirFromEnvironment(),
      plansDir: String(values["plans-dir"] ?? DEFAULT_PLANS_DIR),
      scratchDir: String(values["scratch-dir"] ?? DEFAULT_SCRATCH_DIR),
      ...(concurrency === undefined ? {} : { concurrency }),
      onLine: (line) => process.stdout.write(`${line}\n`),
    });
    if (run.firstBreak) {
      if (run.skipped.length > 0)
        process.stdout.write(`Not drilled after the break: ${run.skipped.join(", ")}\n`);
      process.stderr.write(`Drill broken at ${run.firstBreak}\n`);
      process.exitCode = 1;
      return;
    }
    process.stdout.write(`Drill passed: ${run.reports.length} stack(s), every link holds.\n`);
  } catch (error) {
    if (
      error instanceof ConfigError ||
      error instanceof SampleEventError ||
      error instanceof TerraformToolingError
    ) {
      process.stderr.write(`${error.message}\nNothing was drilled.\n`);
      process.exitCode = 1;
      return;
    }
    throw error;
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `ami-guard drill failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
});
