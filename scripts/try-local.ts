import { loadConfigForCommand } from "../app/config/load";
import { MotoMissingError } from "../tools/emulator/moto-server";
import { formatTryReport, tryLocally } from "../tools/emulator/try-local";
import { TerraformToolingError } from "../tools/terraform/terraform-cli";

/**
 * `npm run try-local`: ami-guard working end to end without an AWS account. It applies the configuration's
 * first event-driven target to moto_server on this machine, launches an unapproved and an approved
 * instance, shows the first stopped and the second running, and tears everything down (docs/emulator.md).
 */
async function main(): Promise<void> {
  const config = loadConfigForCommand("Nothing was tried.");
  if (!config) return;
  try {
    const result = await tryLocally({ config, say: (line) => process.stdout.write(`${line}\n`) });
    process.stdout.write(`\n${formatTryReport(result)}\n`);
    const unapproved = result.walkthrough.instances.find((instance) => instance.label === "unapproved");
    const approved = result.walkthrough.instances.find((instance) => instance.label === "approved");
    if (unapproved?.finalState !== "stopped" || approved?.finalState !== "running") process.exitCode = 1;
  } catch (error) {
    if (error instanceof MotoMissingError || error instanceof TerraformToolingError) {
      process.stderr.write(`${error.message}\nNothing was tried.\n`);
      process.exitCode = 1;
      return;
    }
    throw error;
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `ami-guard try-local failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
});
