/**
 * `npm run deployer-policy`: prints the least IAM policy a CI role needs to run `npm run preflight`, plan
 * and deploy the configured stacks, derived from the resource types the synthesized stacks contain.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { ConfigError, loadConfig } from "../app/config/load";
import { deployerPolicy, resourceTypesOf, type SynthesizedTypes } from "../app/deployer-policy/policy";
import { synthesizeAtomically } from "../app/synth";

async function main(): Promise<number> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    return 2;
  }
  const scratch = mkdtempSync(path.join(tmpdir(), "ami-guard-deployer-policy-"));
  try {
    const { outdir, stackNames } = await synthesizeAtomically(config, path.join(scratch, "out"), scratch);
    const stacks = stackNames.map(
      (name) =>
        JSON.parse(
          readFileSync(path.join(outdir, "stacks", name, "cdk.tf.json"), "utf8"),
        ) as SynthesizedTypes,
    );
    process.stdout.write(`${JSON.stringify(deployerPolicy(config, resourceTypesOf(stacks)), null, 2)}\n`);
    return 0;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `deployer-policy failed: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exitCode = 1;
  },
);
