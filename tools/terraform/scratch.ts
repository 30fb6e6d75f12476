import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";

/** Terraform merges `*_override.tf.json` over the synthesized configuration; the name says why it is there. */
export const OFFLINE_OVERRIDE_FILE = "offline_override.tf.json";

/**
 * Provider settings that let `plan` run with no AWS account: fake keys, and no call that checks them.
 * `allowed_account_ids` goes because, without the account lookup, the provider cannot compare it and
 * refuses every plan ("AWS account ID not allowed").
 */
const OFFLINE_PROVIDER_SETTINGS = {
  access_key: "offline-plan-fake-access-key",
  secret_key: "offline-plan-fake-secret-key",
  skip_credentials_validation: true,
  skip_requesting_account_id: true,
  skip_metadata_api_check: true,
  allowed_account_ids: null,
} as const;

/** An S3 backend becomes this local one in the scratch copy, so no state bucket is contacted. */
export const OFFLINE_STATE_FILE = "terraform.tfstate";

interface SynthesizedTerraformBlock {
  readonly backend?: Record<string, { readonly path?: string } | undefined>;
}

/** The backend type cdktf wrote (`local`, `s3`, …), or undefined when the stack has none. */
function backendTypeOf(stackJson: { readonly terraform?: SynthesizedTerraformBlock }): string | undefined {
  return Object.keys(stackJson.terraform?.backend ?? {})[0];
}

/**
 * The override for one stack: offline provider settings, and a local backend on the scratch folder's own
 * state file. Offline planning cannot reach a remote backend, and a local one is read from a copy (see
 * `prepareScratchStack`), so planning never touches the user's real state or leaves a lock beside it.
 */
function offlineOverride(backendType: string | undefined): Record<string, unknown> {
  return {
    provider: { aws: [OFFLINE_PROVIDER_SETTINGS] },
    ...(backendType ? { terraform: { backend: { local: { path: OFFLINE_STATE_FILE } } } } : {}),
  };
}

/** The state a synthesized stack with a local backend uses, resolved from where Terraform runs it. */
function localStateFileOf(stackJson: { readonly terraform?: SynthesizedTerraformBlock }, stackDir: string) {
  const localPath = stackJson.terraform?.backend?.local?.path;
  return localPath === undefined ? undefined : path.resolve(stackDir, localPath);
}

/**
 * Copies `<synthDir>/stacks/<stack>` (configuration, assets and any saved local state) to a fresh scratch
 * folder and adds the offline override there. The synthesized folder is what `cdktf deploy` applies: it
 * must never carry fake credentials.
 */
export function prepareScratchStack(synthDir: string, stackName: string, scratchStacksDir: string): string {
  const source = path.join(synthDir, "stacks", stackName);
  const target = path.join(scratchStacksDir, stackName);
  rmSync(target, { recursive: true, force: true });
  mkdirSync(scratchStacksDir, { recursive: true });
  // A `.terraform` left by a cdktf run holds providers installed for that folder, not for this one.
  cpSync(source, target, { recursive: true, filter: (from) => path.basename(from) !== ".terraform" });
  const stackJson = JSON.parse(readFileSync(path.join(target, "cdk.tf.json"), "utf8"));
  // With the local backend the state lives outside the synthesized folder (the project root by default):
  // plan against a copy of it, so a deployed stack's plan shows its real changes.
  const localState = localStateFileOf(stackJson, source);
  if (localState && existsSync(localState)) cpSync(localState, path.join(target, OFFLINE_STATE_FILE));
  writeFileSync(
    path.join(target, OFFLINE_OVERRIDE_FILE),
    `${JSON.stringify(offlineOverride(backendTypeOf(stackJson)), null, 2)}\n`,
  );
  return target;
}
