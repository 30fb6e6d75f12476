import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

/** A new folder in the run's temporary folder, which the global teardown removes. */
export function scratch(prefix: string): string {
  return mkdtempSync(path.join(tmpdir(), `ami-guard-${prefix}-`));
}

/** A configuration file for AMI_GUARD_CONFIG: `config` as JSON, or a string as it is. */
export function configFile(config: unknown): string {
  const file = path.join(scratch("app"), "config.json");
  writeFileSync(file, typeof config === "string" ? config : JSON.stringify(config));
  return file;
}
