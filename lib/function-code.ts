import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
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

/**
 * Where the built package keeps the remediation handler's zip, relative to the package's `dist/` folder:
 * the build writes it there and `FunctionCode.bundled()` reads it from there, so the zip is always the one
 * packed with this version of the constructs.
 */
export const BUNDLED_HANDLER_ZIP = ["assets", "remediation-handler.zip"] as const;

/**
 * The zip `FunctionCode.bundled()` reads: beside this module's folder inside the installed package, so
 * never outside it. Run from the repository's TypeScript sources there is no such file (the build makes
 * it), and the call says so rather than reaching for a zip of another version.
 */
export function bundledHandlerZipPath(moduleFolder: string = __dirname): string {
  return resolve(moduleFolder, "..", ...BUNDLED_HANDLER_ZIP);
}

/** Ways to get a function's code; `FunctionCode.bundled()` is the handler that ships with the package. */
export const FunctionCode = {
  /**
   * The remediation handler built and zipped when this package was packed (esbuild, every dependency
   * inside, `nodejs22.x`), so a consumer needs no bundler. The hash is taken from the file, so upgrading
   * the package to one with a different handler shows as a code change in the plan.
   */
  bundled(): FunctionCode {
    const zipPath = bundledHandlerZipPath();
    if (!existsSync(zipPath)) {
      throw new Error(
        `FunctionCode.bundled(): no remediation handler zip at ${zipPath}. It ships in the built package ` +
          "(npm pack and npm run build write it into dist/); when running from the TypeScript sources, pass " +
          "functionCodeFromZip(<zip>) with the zip the app's synthesis builds instead.",
      );
    }
    return functionCodeFromZip(zipPath);
  },
} as const;
