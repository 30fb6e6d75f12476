import { execFile } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

const MIRROR_VARIABLE = "AMI_GUARD_PROVIDER_MIRROR";
const DEFAULT_MIRROR = "/opt/tf-plugins";

function run(args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    execFile("terraform", args, { cwd, env, timeout: 120_000 }, (error, stdout, stderr) => {
      if (error && (error as NodeJS.ErrnoException).code === "ENOENT") {
        reject(
          new Error(`"terraform" was not found on PATH (${env.PATH ?? ""}); these tests need Terraform 1.11`),
        );
        return;
      }
      resolve({ code: error ? Number(error.code ?? 1) : 0, output: `${stdout}${stderr}` });
    });
  });
}

/** The provider mirror, or an error naming the variable and folder that were looked at. */
export function providerMirror(env: NodeJS.ProcessEnv = process.env): string {
  const mirror = env[MIRROR_VARIABLE] || DEFAULT_MIRROR;
  const provider = path.join(mirror, "registry.terraform.io", "hashicorp", "aws");
  if (!existsSync(provider)) {
    throw new Error(
      `no hashicorp/aws provider mirror at ${provider}: set ${MIRROR_VARIABLE} to the folder holding registry.terraform.io/hashicorp/aws`,
    );
  }
  return mirror;
}

let pluginCache: string | undefined;

/**
 * `terraform init -backend=false` and `terraform validate` on a copy of one synthesized stack, offline:
 * the AWS provider comes from the filesystem mirror, through a plugin cache so init links rather than copies.
 */
export async function terraformValidate(stackDir: string): Promise<{ valid: boolean; output: string }> {
  const mirror = providerMirror();
  pluginCache ??= mkdtempSync(path.join(tmpdir(), "ami-guard-plugin-cache-"));
  const scratch = mkdtempSync(path.join(tmpdir(), "ami-guard-validate-"));
  cpSync(stackDir, scratch, { recursive: true });
  const cliConfig = path.join(scratch, "..", `${path.basename(scratch)}.tfrc`);
  mkdirSync(path.dirname(cliConfig), { recursive: true });
  writeFileSync(
    cliConfig,
    `provider_installation {
  filesystem_mirror {
    path    = ${JSON.stringify(mirror)}
    include = ["registry.terraform.io/hashicorp/aws"]
  }
  direct { exclude = ["registry.terraform.io/hashicorp/aws"] }
}
plugin_cache_dir = ${JSON.stringify(pluginCache)}
`,
  );
  const env = {
    ...process.env,
    TF_CLI_CONFIG_FILE: cliConfig,
    TF_IN_AUTOMATION: "1",
    CHECKPOINT_DISABLE: "1",
  };
  const init = await run(["init", "-backend=false", "-input=false", "-no-color"], scratch, env);
  if (init.code !== 0) return { valid: false, output: `terraform init failed:\n${init.output}` };
  const validate = await run(["validate", "-no-color"], scratch, env);
  return { valid: validate.code === 0, output: validate.output };
}
