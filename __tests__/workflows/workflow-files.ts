import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";

export const ROOT = path.resolve(__dirname, "../..");
export const WORKFLOWS_DIR = path.join(ROOT, ".github/workflows");
export const WORKFLOW_FILES = readdirSync(WORKFLOWS_DIR)
  .filter((file) => /\.ya?ml$/.test(file))
  .sort();

export function readWorkflow(file: string): string {
  return readFileSync(path.join(WORKFLOWS_DIR, file), "utf8");
}

/** A GitHub Actions expression as the workflow spells it, built so it never reads as a JS placeholder. */
export function ghExpression(inner: string): string {
  return `$\{{ ${inner} }}`;
}
