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
  /**
   * Build only the stacks at these positions of `stackNamesFor(config)` (end exclusive), so a batch of a
   * large organization can be synthesized on its own; every stack is built exactly as in the whole app.
   * @default - every stack
   */
  readonly stacks?: { readonly start: number; readonly end: number };
}

/** Every stack the configuration deploys, in the order `buildApp` builds them. */
export function stackNamesFor(config: AmiGuardConfig): string[] {
  return [
    ...config.targets.map((target) => stackNameFor(target)),
    ...(config.aggregator ? [aggregatorStackNameFor(config.aggregator)] : []),
    ...(config.prevention ? [preventionStackNameFor(config.prevention)] : []),
  ];
}

/** One stack per target, in configuration order, then the aggregator and prevention stacks when configured. */
export function buildApp(config: AmiGuardConfig, options: BuildAppOptions): App {
  const app = new App({ outdir: options.outdir, skipValidation: false });
  const start = options.stacks?.start ?? 0;
  const end = options.stacks?.end ?? Number.POSITIVE_INFINITY;
  const wanted = (position: number) => position >= start && position < end;
  for (const [position, target] of config.targets.entries()) {
    if (!wanted(position)) continue;
    new AmiGuardStack(app, {
      config,
      target,
      bundle: options.bundle,
      localStatePath: localStatePathFor(stackNameFor(target), options.localState),
    });
  }
  let position = config.targets.length;
  if (config.aggregator && wanted(position++)) {
    new AggregatorStack(app, {
      config,
      aggregator: config.aggregator,
      localStatePath: localStatePathFor(aggregatorStackNameFor(config.aggregator), options.localState),
    });
  }
  if (config.prevention && wanted(position++)) {
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
