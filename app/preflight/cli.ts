import type { CommandIo } from "../command-process";
import { ConfigError, loadConfig } from "../config/load";
import { exitCodeFor, formatFindings, planStacks, preflight, sdkClients } from "./preflight";

const PREFLIGHT_USAGE = "usage: npm run preflight -- [<stack>...] [--json]";

/**
 * `npm run preflight [-- <stack>...] [--json]` as a function: the exit code, 0 when nothing blocks, 1 when
 * something blocks a deploy, 2 for a usage or configuration error (before any AWS call).
 */
export async function runPreflightCommand(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  io: CommandIo,
): Promise<number> {
  const unknownFlags = argv.filter((arg) => arg.startsWith("-") && arg !== "--json");
  if (unknownFlags.length > 0) {
    io.err(`unknown option ${unknownFlags.join(", ")}\n${PREFLIGHT_USAGE}\n`);
    return 2;
  }
  let plans: ReturnType<typeof planStacks>;
  try {
    plans = planStacks(loadConfig(env));
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    io.err(`${error.message}\n`);
    return 2;
  }
  const wanted = argv.filter((arg) => !arg.startsWith("-"));
  const unknown = wanted.filter((name) => !plans.some((plan) => plan.stack === name));
  if (unknown.length > 0) {
    io.err(
      `unknown stack ${unknown.join(", ")}; the configuration deploys: ${plans.map((p) => p.stack).join(", ")}\n${PREFLIGHT_USAGE}\n`,
    );
    return 2;
  }
  const chosen = wanted.length > 0 ? plans.filter((plan) => wanted.includes(plan.stack)) : plans;
  const findings = await preflight(chosen, sdkClients(env));
  const code = exitCodeFor(findings);
  io.out(
    argv.includes("--json")
      ? `${JSON.stringify({ blocked: code === 1, findings }, null, 2)}\n`
      : `${formatFindings(findings)}\n`,
  );
  return code;
}
