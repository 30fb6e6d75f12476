import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { resolveProviderInstallation, terraformEnvironment } from "../terraform/provider-mirror";
import { OFFLINE_OVERRIDE_FILE, OFFLINE_STATE_FILE, prepareScratchStack } from "../terraform/scratch";
import {
  type CommandResult,
  checkTerraformBinary,
  runCommand,
  terraformBinary,
} from "../terraform/terraform-cli";

/** Terraform merges this over the synthesized stack: the emulator's credentials and settings, and a local state. */
export const EMULATOR_OVERRIDE_FILE = "emulator_override.tf.json";

/**
 * Every call goes to the emulator through `AWS_ENDPOINT_URL`, set for Terraform and the provider it starts.
 * The provider documents the order it takes endpoints in
 * (https://registry.terraform.io/providers/hashicorp/aws/latest/docs/guides/custom-service-endpoints):
 * an `endpoints` block on the provider first, then `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS`, which turns the
 * variables off, then `AWS_ENDPOINT_URL_<SERVICE>`, then `AWS_ENDPOINT_URL`. So the stack must carry no
 * `endpoints` block of its own, and no `AWS_` variable reaches the child but the harness's own: then the
 * one URL is the only endpoint any service can have, including services the harness never names. The
 * shared configuration file can turn the variables off too (`ignore_configure_endpoint_urls`), so the
 * provider reads an empty one instead of the user's, named both in the environment and in the override
 * (which wins over the stack's own `shared_config_files`).
 *
 * Not an `endpoints` block in the override: with one, even naming a single service, the provider checks
 * its configuration for seconds at every command. A plan of the applied shipped stack costs it 3.45 CPU-s
 * with the block and 0.36 without (`npm run bench -- emulator-endpoints`), and a stack's life here is
 * dozens of commands.
 */
/**
 * Variables only the harness sets: every `AWS_` one (endpoints, the switch that ignores them, profiles,
 * keys, shared files), and Terraform's attachment to a provider started elsewhere, which would run with an
 * environment the harness never set.
 */
const isRoutingVariable = (name: string) => name.startsWith("AWS_") || name === "TF_REATTACH_PROVIDERS";

interface StackJson {
  readonly provider?: { readonly aws?: ReadonlyArray<Record<string, unknown>> | Record<string, unknown> };
}

/** Refuses a stack whose own provider configuration names endpoints: they would win over the emulator's URL. */
export function refuseOwnEndpoints(stackName: string, stack: StackJson): void {
  const configured = stack.provider?.aws;
  const blocks = configured === undefined ? [] : Array.isArray(configured) ? configured : [configured];
  const withEndpoints = blocks.filter((block) => block.endpoints !== undefined);
  if (withEndpoints.length > 0) {
    const names = withEndpoints.map((block) => (typeof block.alias === "string" ? block.alias : "(default)"));
    throw new Error(
      `${stackName}: the aws provider ${names.join(", ")} sets endpoints, which would send calls past the emulator; remove them to run it here`,
    );
  }
}

/**
 * The child's environment: the caller's without its routing variables (isRoutingVariable), then the
 * emulator's URL and account, and `emptyAwsConfigFile` as both shared files.
 */
export function emulatorEnvironment(
  env: NodeJS.ProcessEnv,
  endpointUrl: string,
  accountId: string,
  emptyAwsConfigFile: string,
): NodeJS.ProcessEnv {
  return {
    ...Object.fromEntries(Object.entries(env).filter(([name]) => !isRoutingVariable(name))),
    AWS_ENDPOINT_URL: endpointUrl,
    AWS_ACCESS_KEY_ID: accountId,
    AWS_SECRET_ACCESS_KEY: "emulator",
    AWS_CONFIG_FILE: emptyAwsConfigFile,
    AWS_SHARED_CREDENTIALS_FILE: emptyAwsConfigFile,
  };
}

/** Refuses per-command variables that would undo the routing `emulatorEnvironment` set up. */
export function refuseReroutingVariables(env: NodeJS.ProcessEnv): void {
  const rerouting = Object.keys(env).filter(isRoutingVariable);
  if (rerouting.length > 0) {
    throw new Error(
      `an emulated stack's command cannot set ${rerouting.join(", ")}: it would undo the emulator's routing`,
    );
  }
}

/**
 * Provider settings for the emulator. The access key is the account id, which the proxy reads to pick the
 * account; the account lookup stays on, so `allowed_account_ids` is checked against what moto answers.
 * `max_retries` is low because an unanswered call is a gap to fix, not a throttle to wait out: with the
 * default (25) the provider retries moto's HTTP 500 for most of an hour.
 */
export function emulatorOverride(accountId: string, emptyAwsConfigFile: string): Record<string, unknown> {
  return {
    provider: {
      aws: [
        {
          access_key: accountId,
          secret_key: "emulator",
          shared_config_files: [emptyAwsConfigFile],
          shared_credentials_files: [emptyAwsConfigFile],
          skip_credentials_validation: true,
          skip_metadata_api_check: true,
          skip_region_validation: true,
          s3_use_path_style: true,
          max_retries: 2,
        },
      ],
    },
    terraform: { backend: { local: { path: OFFLINE_STATE_FILE } } },
  };
}

export interface TimedResult extends CommandResult {
  readonly seconds: number;
}

export interface EmulatedStackOptions {
  /** The synthesis folder (`<dir>/stacks/<stack>/cdk.tf.json`). */
  readonly synthDir: string;
  readonly stackName: string;
  readonly accountId: string;
  /** Where the stack's working copy, its state and the CLI configuration go. */
  readonly workDir: string;
  /** The emulator's URL (AwsEmulator.url). */
  readonly endpointUrl: string;
  /** Resources Terraform creates or destroys at once. @default 20 */
  readonly parallelism?: number;
  /** @default process.env */
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * One synthesized stack in a working copy pointed at the emulator, with its own local state: apply, plan,
 * destroy and state commands, each timed. `replaceConfiguration` swaps in another synthesis (a changed
 * configuration, or this code after a previous release) and keeps the state.
 */
export class EmulatedStack {
  private constructor(
    readonly stackName: string,
    readonly accountId: string,
    /** The working copy Terraform runs in. */
    readonly dir: string,
    private readonly childEnv: NodeJS.ProcessEnv,
    private readonly emptyAwsConfigFile: string,
    private readonly binary: string,
    private readonly parallelism: number,
  ) {}

  static async prepare(options: EmulatedStackOptions): Promise<EmulatedStack> {
    const env = options.env ?? process.env;
    await checkTerraformBinary(env);
    const installation = resolveProviderInstallation(env);
    mkdirSync(options.workDir, { recursive: true });
    const emptyAwsConfigFile = path.join(options.workDir, "empty-aws-config");
    writeFileSync(emptyAwsConfigFile, "");
    const childEnv = emulatorEnvironment(
      terraformEnvironment(env, installation, options.workDir),
      options.endpointUrl,
      options.accountId,
      emptyAwsConfigFile,
    );
    const dir = prepareScratchStack(
      options.synthDir,
      options.stackName,
      path.join(options.workDir, "stacks"),
    );
    const stack = new EmulatedStack(
      options.stackName,
      options.accountId,
      dir,
      childEnv,
      emptyAwsConfigFile,
      terraformBinary(env),
      options.parallelism ?? 20,
    );
    stack.writeOverride();
    const init = await stack.run(["init", "-input=false", "-no-color"]);
    if (init.exitCode !== 0)
      throw new Error(`terraform init failed for ${options.stackName}:\n${init.stderr}${init.stdout}`);
    return stack;
  }

  /** The offline plan's fake credentials give way to the emulator's settings. */
  private writeOverride(): void {
    rmSync(path.join(this.dir, OFFLINE_OVERRIDE_FILE), { force: true });
    refuseOwnEndpoints(
      this.stackName,
      JSON.parse(readFileSync(path.join(this.dir, "cdk.tf.json"), "utf8")) as StackJson,
    );
    writeFileSync(
      path.join(this.dir, EMULATOR_OVERRIDE_FILE),
      `${JSON.stringify(emulatorOverride(this.accountId, this.emptyAwsConfigFile), null, 2)}\n`,
    );
  }

  /**
   * Replaces the configuration and assets with those of `stacks/<stackName>` (or `stackFile`) under
   * another synthesis, keeping the state and the initialized providers.
   */
  replaceConfiguration(synthDir: string, options: { readonly stackFile?: string } = {}): void {
    const source = path.join(synthDir, "stacks", this.stackName);
    rmSync(path.join(this.dir, "assets"), { recursive: true, force: true });
    if (existsSync(path.join(source, "assets"))) {
      cpSync(path.join(source, "assets"), path.join(this.dir, "assets"), { recursive: true });
    }
    cpSync(options.stackFile ?? path.join(source, "cdk.tf.json"), path.join(this.dir, "cdk.tf.json"));
    this.writeOverride();
  }

  /**
   * Runs terraform in the working copy and times it; `env` adds to or overrides the stack's own variables,
   * except the AWS ones and Terraform's provider attachment, which would undo the emulator's routing.
   */
  async run(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<TimedResult> {
    refuseReroutingVariables(env);
    const started = performance.now();
    const result = await runCommand(this.binary, args, { cwd: this.dir, env: { ...this.childEnv, ...env } });
    return { ...result, seconds: (performance.now() - started) / 1000 };
  }

  apply(extra: readonly string[] = []): Promise<TimedResult> {
    return this.run([
      "apply",
      "-auto-approve",
      "-input=false",
      "-no-color",
      `-parallelism=${this.parallelism}`,
      ...extra,
    ]);
  }

  /** `plan -detailed-exitcode`: exit 0 means no changes, 2 changes, 1 an error. */
  plan(extra: readonly string[] = []): Promise<TimedResult> {
    return this.run([
      "plan",
      "-detailed-exitcode",
      "-input=false",
      "-no-color",
      `-parallelism=${this.parallelism}`,
      ...extra,
    ]);
  }

  /** The plan as JSON (`terraform show -json`), for tests that read each resource's actions. */
  async planJson(): Promise<{ plan: PlanJsonChanges; seconds: number }> {
    const planned = await this.run([
      "plan",
      "-input=false",
      "-no-color",
      `-parallelism=${this.parallelism}`,
      "-out=tfplan",
    ]);
    if (planned.exitCode !== 0) throw new Error(`terraform plan failed:\n${planned.stderr}${planned.stdout}`);
    const shown = await this.run(["show", "-json", "tfplan"]);
    if (shown.exitCode !== 0) throw new Error(`terraform show failed:\n${shown.stderr}`);
    return { plan: JSON.parse(shown.stdout) as PlanJsonChanges, seconds: planned.seconds + shown.seconds };
  }

  /**
   * Applies the plan `planJson` saved, exactly as it was read: no second refresh, and nothing that changed
   * since the plan was inspected slips in (Terraform refuses a stale saved plan).
   */
  applySavedPlan(): Promise<TimedResult> {
    return this.run(["apply", "-input=false", "-no-color", `-parallelism=${this.parallelism}`, "tfplan"]);
  }

  destroy(extra: readonly string[] = []): Promise<TimedResult> {
    return this.run([
      "destroy",
      "-auto-approve",
      "-input=false",
      "-no-color",
      `-parallelism=${this.parallelism}`,
      ...extra,
    ]);
  }

  /** Addresses in the state (`terraform state list`). */
  async stateList(): Promise<string[]> {
    const listed = await this.run(["state", "list"]);
    if (listed.exitCode !== 0) throw new Error(`terraform state list failed:\n${listed.stderr}`);
    return listed.stdout.split("\n").filter((line) => line !== "");
  }

  /** An output of the applied stack. */
  async output(name: string): Promise<unknown> {
    const shown = await this.run(["output", "-json", name]);
    if (shown.exitCode !== 0) throw new Error(`terraform output ${name} failed:\n${shown.stderr}`);
    return JSON.parse(shown.stdout);
  }
}

/** The part of `terraform show -json` the lifecycle tests read. */
export interface PlanJsonChanges {
  readonly resource_changes?: ReadonlyArray<{
    readonly address: string;
    readonly type: string;
    readonly change: { readonly actions: readonly string[]; readonly replace_paths?: unknown };
    readonly action_reason?: string;
  }>;
}

/** Each changed address with its actions (`create`, `update`, `delete,create`, …), no-ops left out. */
export function changedResources(plan: PlanJsonChanges): Record<string, string> {
  return Object.fromEntries(
    (plan.resource_changes ?? [])
      .filter((change) => !(change.change.actions.length === 1 && change.change.actions[0] === "no-op"))
      .filter((change) => !(change.change.actions.length === 1 && change.change.actions[0] === "read"))
      .map((change) => [change.address, change.change.actions.join(",")]),
  );
}

/** Terraform's last lines on failure, for an error message short enough to read in a test report. */
export function failureOf(step: string, result: CommandResult): string {
  // Terraform's error is on stderr and its progress on stdout: the error goes last, where a cut keeps it.
  const output = `${result.stdout}\n${result.stderr}`.trim();
  return `terraform ${step} exited ${result.exitCode}:\n${output.length > 6000 ? `…${output.slice(-6000)}` : output}`;
}
