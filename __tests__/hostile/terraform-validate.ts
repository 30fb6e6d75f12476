import { cpSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import {
  MIRROR_VARIABLE,
  resolveProviderInstallation,
  terraformEnvironment,
} from "../../tools/terraform/provider-mirror";
import { checkTerraformBinary, runCommand, terraformBinary } from "../../tools/terraform/terraform-cli";

/**
 * `terraform init -backend=false` and `terraform validate` on a copy of one synthesized stack, offline,
 * with the provider installation `npm run plan` uses (the mirror, linked rather than copied).
 */
export async function terraformValidate(stackDir: string): Promise<{ valid: boolean; output: string }> {
  await checkTerraformBinary(process.env);
  const installation = resolveProviderInstallation(process.env);
  if (!installation.mirror) {
    throw new Error(
      `no hashicorp/aws provider mirror: set ${MIRROR_VARIABLE} to the folder holding registry.terraform.io/hashicorp/aws`,
    );
  }
  const scratch = mkdtempSync(path.join(tmpdir(), "ami-guard-validate-"));
  const workdir = path.join(scratch, "stack");
  cpSync(stackDir, workdir, { recursive: true });
  const env = terraformEnvironment(process.env, installation, path.join(scratch, "cli"));
  const run = (args: readonly string[]) => runCommand(terraformBinary(env), args, { cwd: workdir, env });
  const init = await run(["init", "-backend=false", "-input=false", "-no-color"]);
  if (init.exitCode !== 0) {
    return { valid: false, output: `terraform init failed:\n${init.stderr}${init.stdout}` };
  }
  const validate = await run(["validate", "-no-color"]);
  return { valid: validate.exitCode === 0, output: `${validate.stdout}${validate.stderr}` };
}
