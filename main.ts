import { rmSync } from "node:fs";
import { ConfigError, formatWarnings, loadConfig } from "./app/config/load";
import { outdirFromEnvironment, synthesizeAtomically } from "./app/synth";

async function main(): Promise<void> {
  const outdir = outdirFromEnvironment();
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    // A stale synthesis from an earlier, valid configuration must not be planned or deployed by mistake.
    rmSync(outdir, { recursive: true, force: true });
    process.stderr.write(`${error.message}\nNothing was synthesized.\n`);
    process.exitCode = 1;
    return;
  }
  process.stderr.write(formatWarnings(config));
  const result = await synthesizeAtomically(config, outdir);
  process.stdout.write(
    `Synthesized ${result.stackNames.length} stack(s) into ${outdir}: ${result.stackNames.join(", ")}\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(
    `ami-guard synthesis failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
});
