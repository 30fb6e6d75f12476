import * as path from "node:path";
import { App } from "cdktf";
import { AmiGuardStack, stackNameFor } from "./ami-guard-stack";
import type { AmiGuardConfig } from "./config";
import type { LambdaBundle } from "./lambda-bundle";
import {
  AggregatorStack,
  aggregatorStackNameFor,
  PreventionStack,
  preventionStackNameFor,
} from "./organization-stacks";

interface BuildAppOptions {
  /** Where cdktf writes the stacks. */
  readonly outdir: string;
  /** Required when any target is event-driven. */
  readonly bundle?: LambdaBundle;
  /**
   * With the local backend, keep each stack's state in this folder, as cdktf does by default (the project
   * root), rather than inside the synthesized output that every synthesis replaces.
   * @default - inside each stack's synthesized folder
   */
  readonly localState?: {
    readonly directory: string;
    /** The folder the stacks will finally live in, when `outdir` is a scratch folder swapped in later. */
    readonly finalOutdir: string;
  };
}

/** One stack per target, in configuration order, then the aggregator and prevention stacks when configured. */
export function buildApp(config: AmiGuardConfig, options: BuildAppOptions): App {
  const app = new App({ outdir: options.outdir, skipValidation: false });
  for (const target of config.targets) {
    new AmiGuardStack(app, {
      config,
      target,
      bundle: options.bundle,
      localStatePath: localStatePathFor(stackNameFor(target), options.localState),
    });
  }
  if (config.aggregator) {
    new AggregatorStack(app, {
      config,
      aggregator: config.aggregator,
      localStatePath: localStatePathFor(aggregatorStackNameFor(config.aggregator), options.localState),
    });
  }
  if (config.prevention) {
    new PreventionStack(app, {
      config,
      prevention: config.prevention,
      localStatePath: localStatePathFor(preventionStackNameFor(config.prevention), options.localState),
    });
  }
  return app;
}

/**
 * Relative, so the synthesized JSON holds no machine-specific absolute path, and relative to where
 * Terraform runs: `<finalOutdir>/stacks/<stack>`.
 */
function localStatePathFor(stackName: string, localState: BuildAppOptions["localState"]): string | undefined {
  if (!localState) return undefined;
  const stackDirectory = path.join(path.resolve(localState.finalOutdir), "stacks", stackName);
  const stateFile = path.join(path.resolve(localState.directory), `terraform.${stackName}.tfstate`);
  return path.relative(stackDirectory, stateFile).split(path.sep).join("/");
}
