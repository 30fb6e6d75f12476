import { ConfigError, loadConfig } from "../app/config/load";
import { formatStackListing, listStacks } from "../app/targets";

// `npm run targets [-- --json]`: the stacks the configuration (AMI_GUARD_CONFIG or the default) deploys.
try {
  const rows = listStacks(loadConfig());
  process.stdout.write(
    process.argv.includes("--json") ? `${JSON.stringify(rows, null, 2)}\n` : `${formatStackListing(rows)}\n`,
  );
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exitCode = 1;
}
