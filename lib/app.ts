import { App } from "cdktf";
import { AmiGuardStack } from "./ami-guard-stack";
import type { AmiGuardConfig } from "./config";
import type { LambdaBundle } from "./lambda-bundle";

export interface BuildAppOptions {
  readonly outdir: string;
  /** Required when any target is event-driven. */
  readonly bundle?: LambdaBundle;
}

/** One stack per target, in configuration order. */
export function buildApp(config: AmiGuardConfig, options: BuildAppOptions): App {
  const app = new App({ outdir: options.outdir, skipValidation: false });
  for (const target of config.targets) {
    new AmiGuardStack(app, { config, target, bundle: options.bundle });
  }
  return app;
}
