import { spawn } from "node:child_process";
import { withPooledProvider } from "./provider-pool";

/** The binary cdktf itself runs: `TERRAFORM_BINARY_NAME=tofu` switches both to OpenTofu. */
const BINARY_VARIABLE = "TERRAFORM_BINARY_NAME";

/** A problem with the tools around Terraform (binary, provider mirror), found before any stack runs. */
export class TerraformToolingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TerraformToolingError";
  }
}

export interface CommandResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function terraformBinary(env: NodeJS.ProcessEnv): string {
  return env[BINARY_VARIABLE] || "terraform";
}

/**
 * Runs the binary to completion, collecting its output; rejects only when it cannot be started at all. In a
 * test run the AWS provider may come from the run's pool instead of a process of its own (provider-pool.ts).
 */
export function runCommand(
  binary: string,
  args: readonly string[],
  options: { readonly cwd?: string; readonly env: NodeJS.ProcessEnv },
): Promise<CommandResult> {
  return withPooledProvider(args, options, (env) =>
    spawnToCompletion(binary, args, { cwd: options.cwd, env }),
  );
}

function spawnToCompletion(
  binary: string,
  args: readonly string[],
  options: { readonly cwd?: string; readonly env: NodeJS.ProcessEnv },
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    // spawn looks the binary up on options.env.PATH, so a caller's PATH decides which terraform runs.
    const child = spawn(binary, args, {
      cwd: options.cwd,
      env: options.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
    child.on("error", reject);
    child.on("close", (code, signal) =>
      resolve({
        exitCode: code ?? (signal ? 128 : 1),
        stdout: Buffer.concat(stdout).toString("utf8"),
        stderr: Buffer.concat(stderr).toString("utf8"),
      }),
    );
  });
}

/** `Terraform v1.11.4`, or a TerraformToolingError naming the binary and the PATH it was looked for on. */
export async function checkTerraformBinary(env: NodeJS.ProcessEnv): Promise<string> {
  const binary = terraformBinary(env);
  let result: CommandResult;
  try {
    result = await runCommand(binary, ["version"], { env });
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === "ENOENT" ? "was not found" : "cannot be run";
    throw new TerraformToolingError(
      `the "${binary}" binary ${reason} on PATH (${env.PATH ?? ""}): install Terraform 1.11 or later, or set ${BINARY_VARIABLE} to the binary to use (${(error as Error).message})`,
    );
  }
  if (result.exitCode !== 0) {
    throw new TerraformToolingError(
      `"${binary} version" failed (exit ${result.exitCode}):\n${result.stderr}`,
    );
  }
  return result.stdout.split("\n")[0]?.trim() ?? binary;
}
