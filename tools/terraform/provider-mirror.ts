import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { TerraformToolingError } from "./terraform-cli";

export const MIRROR_VARIABLE = "AMI_GUARD_PROVIDER_MIRROR";
/** Where the machines here keep their mirror; used when the variable is unset and the folder holds aws. */
export const DEFAULT_MIRROR = "/opt/tf-plugins";
const AWS_PROVIDER_ADDRESS = "registry.terraform.io/hashicorp/aws";

export interface ProviderInstallation {
  /** Absolute path of the filesystem mirror. @default - Terraform downloads providers from the registry */
  readonly mirror?: string;
  /** One line for the user when the choice was not spelled out by them. */
  readonly note?: string;
}

function holdsAwsProvider(mirror: string): boolean {
  return existsSync(path.join(mirror, AWS_PROVIDER_ADDRESS));
}

/**
 * The mirror named by AMI_GUARD_PROVIDER_MIRROR must exist and hold hashicorp/aws: a typo there would
 * otherwise turn into a registry download that hangs on an offline runner.
 */
export function resolveProviderInstallation(
  env: NodeJS.ProcessEnv,
  options: { readonly cwd?: string; readonly defaultMirror?: string } = {},
): ProviderInstallation {
  const named = env[MIRROR_VARIABLE];
  if (named) {
    const mirror = path.resolve(options.cwd ?? process.cwd(), named);
    if (!existsSync(mirror)) {
      throw new TerraformToolingError(`${MIRROR_VARIABLE} names ${mirror}, which does not exist`);
    }
    if (!holdsAwsProvider(mirror)) {
      throw new TerraformToolingError(
        `${MIRROR_VARIABLE} names ${mirror}, which holds no ${AWS_PROVIDER_ADDRESS} (expected ${path.join(mirror, AWS_PROVIDER_ADDRESS)})`,
      );
    }
    return { mirror };
  }
  const fallback = options.defaultMirror ?? DEFAULT_MIRROR;
  if (holdsAwsProvider(fallback)) {
    return {
      mirror: fallback,
      note: `Providers come from the mirror at ${fallback} (${MIRROR_VARIABLE} is unset).`,
    };
  }
  return { note: `${MIRROR_VARIABLE} is unset: Terraform downloads providers from the registry.` };
}

/** HCL string literal; paths with quotes or backslashes must not break the CLI configuration. */
function hclString(value: string): string {
  return JSON.stringify(value);
}

/**
 * True when the mirror holds hashicorp/aws in the unpacked layout (`<version>/<os>_<arch>/` folders) rather
 * than as zip archives. From an unpacked mirror `terraform init` links the provider folder instead of copying
 * it ("If you use the unpacked layout, Terraform will attempt to create a symbolic link to the mirror
 * directory when installing the provider":
 * https://developer.hashicorp.com/terraform/cli/config/config-file#filesystem_mirror); every-mode.test.ts
 * fails if a scratch copy's provider is not that link.
 */
function isUnpackedMirror(mirror: string): boolean {
  const provider = path.join(mirror, AWS_PROVIDER_ADDRESS);
  if (!existsSync(provider)) return false;
  return readdirSync(provider).some((version) => {
    const versionDir = path.join(provider, version);
    return (
      statSync(versionDir).isDirectory() &&
      readdirSync(versionDir).some((platform) => statSync(path.join(versionDir, platform)).isDirectory())
    );
  });
}

/**
 * The CLI configuration every stack's Terraform runs with: aws from the mirror, anything else directly,
 * and, when given, one plugin cache for all stacks (what a packed mirror or the registry needs so each
 * `init` does not unpack the 675 MB provider again).
 */
function cliConfiguration(mirror: string, pluginCacheDir: string | undefined): string {
  return [
    "provider_installation {",
    "  filesystem_mirror {",
    `    path    = ${hclString(mirror)}`,
    `    include = [${hclString(AWS_PROVIDER_ADDRESS)}]`,
    "  }",
    "  direct {",
    `    exclude = [${hclString(AWS_PROVIDER_ADDRESS)}]`,
    "  }",
    "}",
    ...(pluginCacheDir ? [`plugin_cache_dir = ${hclString(pluginCacheDir)}`] : []),
    "",
  ].join("\n");
}

/**
 * The environment Terraform's child processes run with. An unpacked mirror is the one installation every
 * stack links to, so no cache is used: a cache would only add a full copy of the provider, and it is not
 * safe for concurrent writers (hashicorp/terraform#31964). Without a mirror the user's own CLI configuration
 * stays in force (it may hold registry credentials) and only the plugin cache is added.
 */
export function terraformEnvironment(
  env: NodeJS.ProcessEnv,
  installation: ProviderInstallation,
  scratchDir: string,
): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = {
    ...env,
    TF_IN_AUTOMATION: "1",
    TF_INPUT: "0",
    // The version check phones home; offline it only costs a timeout.
    CHECKPOINT_DISABLE: "1",
  };
  mkdirSync(scratchDir, { recursive: true });
  const cliConfigFile = path.join(scratchDir, "terraform.tfrc");
  if (installation.mirror && isUnpackedMirror(installation.mirror)) {
    delete base.TF_PLUGIN_CACHE_DIR;
    writeFileSync(cliConfigFile, cliConfiguration(installation.mirror, undefined));
    return { ...base, TF_CLI_CONFIG_FILE: cliConfigFile };
  }
  const pluginCacheDir = path.join(scratchDir, "plugin-cache");
  mkdirSync(pluginCacheDir, { recursive: true });
  if (!installation.mirror) return { ...base, TF_PLUGIN_CACHE_DIR: pluginCacheDir };
  writeFileSync(cliConfigFile, cliConfiguration(installation.mirror, pluginCacheDir));
  return { ...base, TF_PLUGIN_CACHE_DIR: pluginCacheDir, TF_CLI_CONFIG_FILE: cliConfigFile };
}
