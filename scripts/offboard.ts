import * as path from "node:path";
import { parseArgs } from "node:util";
import { loadConfigForCommand } from "../app/config/load";
import { OffboardError, offboardStack } from "../app/offboard";
import { outdirFromEnvironment, synthesizeAtomically } from "../app/synth";
import { DEFAULT_SCRATCH_DIR } from "../tools/terraform/plan-stacks";
import { resolveProviderInstallation, terraformEnvironment } from "../tools/terraform/provider-mirror";
import {
  checkTerraformBinary,
  runCommand,
  TerraformToolingError,
  terraformBinary,
} from "../tools/terraform/terraform-cli";

const USAGE = "npm run offboard -- <stack> [--delete-compliance-history]";

/**
 * `npm run offboard -- <stack>`: takes one stack out of its account with the credentials in the
 * environment, as `cdktf destroy` would, but stops the Config recorder first and keeps the compliance
 * history bucket unless `--delete-compliance-history` is given (docs/operations.md#offboard-a-target).
 */
async function main(): Promise<void> {
  let stackName: string;
  let deleteComplianceHistory: boolean;
  try {
    const { values, positionals } = parseArgs({
      args: process.argv.slice(2),
      options: { "delete-compliance-history": { type: "boolean", default: false } },
      allowPositionals: true,
      strict: true,
    });
    if (positionals.length !== 1) throw new Error("name exactly one stack");
    stackName = positionals[0] as string;
    deleteComplianceHistory = values["delete-compliance-history"] ?? false;
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\nusage: ${USAGE}\n`);
    process.exitCode = 1;
    return;
  }
  const config = loadConfigForCommand("Nothing was changed.");
  if (!config) return;
  const synth = await synthesizeAtomically(config, outdirFromEnvironment());
  if (!synth.stackNames.includes(stackName)) {
    process.stderr.write(
      `${stackName}: no such stack; this configuration has ${synth.stackNames.join(", ")}. Nothing was changed.\n`,
    );
    process.exitCode = 1;
    return;
  }
  const dir = path.join(synth.outdir, "stacks", stackName);
  try {
    await checkTerraformBinary(process.env);
    const installation = resolveProviderInstallation(process.env);
    const env = terraformEnvironment(process.env, installation, path.resolve(DEFAULT_SCRATCH_DIR));
    const binary = terraformBinary(process.env);
    const terraform = (args: readonly string[]) => runCommand(binary, args, { cwd: dir, env });
    const init = await terraform(["init", "-input=false", "-no-color"]);
    if (init.exitCode !== 0) throw new OffboardError(`terraform init failed:\n${init.stderr}${init.stdout}`);
    const result = await offboardStack({
      dir,
      terraform,
      deleteComplianceHistory,
      log: (line) => process.stdout.write(`${line}\n`),
    });
    for (const step of result.steps) process.stdout.write(`  ${step.step}: ${step.outcome}\n`);
    if (result.keptBucket) {
      process.stdout.write(
        `${stackName} is offboarded. Its compliance history stays in s3://${result.keptBucket}, no longer managed by Terraform, with its versioning, encryption, policy and lifecycle (current snapshots expire after 365 days, older versions after 90). Delete it yourself once it is no longer needed.\n`,
      );
    } else {
      process.stdout.write(
        `${stackName} is offboarded${result.deletedHistory ? "; its compliance history was deleted" : ""}. A customer-managed KMS key, if the stack had one, waits out its deletion window.\n`,
      );
    }
  } catch (error) {
    if (!(error instanceof OffboardError || error instanceof TerraformToolingError)) throw error;
    process.stderr.write(
      `${error.message}\nRun the same command again once fixed: each step checks the state first and does only what is left.\n`,
    );
    process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `ami-guard offboard failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
});
