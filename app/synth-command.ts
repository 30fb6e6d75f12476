import { rmSync } from "node:fs";
import type { CommandIo } from "./command-process";
import { ConfigError, formatWarnings, loadConfig } from "./config/load";
import { outdirFromEnvironment, synthesizeAtomically } from "./synth";

/**
 * `npm run synth` (main.ts) as a function: the exit code, 0 with every stack written, 1 when the
 * configuration is refused (every problem listed, nothing left in the output folder).
 */
export async function runSynthCommand(env: NodeJS.ProcessEnv, io: CommandIo): Promise<number> {
  const outdir = outdirFromEnvironment(env);
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    // A stale synthesis from an earlier, valid configuration must not be planned or deployed by mistake.
    rmSync(outdir, { recursive: true, force: true });
    io.err(`${error.message}\nNothing was synthesized.\n`);
    return 1;
  }
  io.err(formatWarnings(config));
  const result = await synthesizeAtomically(config, outdir);
  io.out(
    `Synthesized ${result.stackNames.length} stack(s) into ${outdir}: ${result.stackNames.join(", ")}\n`,
  );
  return 0;
}
