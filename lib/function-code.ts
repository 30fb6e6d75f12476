import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";

/** A function's deployment package, built outside the constructs (the app bundles the handler with esbuild). */
export interface FunctionCode {
  /** Absolute path of the zip; stacks copy it in as a Terraform asset. */
  readonly zipPath: string;
  /** base64 SHA-256 of the zip, the form `source_code_hash` compares against. */
  readonly sourceCodeHash: string;
}

/** A zip built elsewhere, hashed the way Lambda reports `CodeSha256`, so a rebuilt zip shows as a change. */
export function functionCodeFromZip(zipPath: string): FunctionCode {
  const absolute = isAbsolute(zipPath) ? zipPath : resolve(zipPath);
  return {
    zipPath: absolute,
    sourceCodeHash: createHash("sha256").update(readFileSync(absolute)).digest("base64"),
  };
}
