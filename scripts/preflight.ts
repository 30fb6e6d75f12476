/**
 * `npm run preflight [-- <stack>...] [--json]`: read-only checks, with the deploy role, of what no offline
 * plan can know. Exit 0: nothing blocks; 1: something blocks a deploy; 2: usage or configuration error.
 */
import { ConfigError, loadConfig } from "../app/config/load";
import { exitCodeFor, formatFindings, planStacks, preflight, sdkClients } from "../app/preflight/preflight";

const USAGE = "usage: npm run preflight -- [<stack>...] [--json]";

async function main(argv: readonly string[]): Promise<number> {
  const unknownFlags = argv.filter((arg) => arg.startsWith("-") && arg !== "--json");
  if (unknownFlags.length > 0) {
    process.stderr.write(`unknown option ${unknownFlags.join(", ")}\n${USAGE}\n`);
    return 2;
  }
  let plans: ReturnType<typeof planStacks>;
  try {
    plans = planStacks(loadConfig());
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    return 2;
  }
  const wanted = argv.filter((arg) => !arg.startsWith("-"));
  const unknown = wanted.filter((name) => !plans.some((plan) => plan.stack === name));
  if (unknown.length > 0) {
    process.stderr.write(
      `unknown stack ${unknown.join(", ")}; the configuration deploys: ${plans.map((p) => p.stack).join(", ")}\n${USAGE}\n`,
    );
    return 2;
  }
  const chosen = wanted.length > 0 ? plans.filter((plan) => wanted.includes(plan.stack)) : plans;
  const findings = await preflight(chosen, sdkClients());
  const code = exitCodeFor(findings);
  process.stdout.write(
    argv.includes("--json")
      ? `${JSON.stringify({ blocked: code === 1, findings }, null, 2)}\n`
      : `${formatFindings(findings)}\n`,
  );
  return code;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    // Nothing was vouched for, so a deploy waiting on this must not go ahead.
    process.stderr.write(`preflight failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exitCode = 1;
  },
);
