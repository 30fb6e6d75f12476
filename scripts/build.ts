import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";
import * as path from "node:path";
import { buildLambdaBundle } from "../app/lambda-bundle";
import { BUNDLED_HANDLER_ZIP } from "../lib/function-code";

/**
 * `npm run build` (and `prepack`, so `npm pack` and `npm publish` always ship a fresh build): the library
 * as the package holds it, in dist/. tsc emits CommonJS and declaration files from index.ts and lib/ only
 * (tsconfig.build.json, strict with exactOptionalPropertyTypes, so consumers with those flags get clean
 * types); esbuild bundles the remediation handler into the zip `FunctionCode.bundled()` returns.
 */

const PACKAGE_ROOT = path.resolve(__dirname, "..");
const DIST = path.join(PACKAGE_ROOT, "dist");

async function main(): Promise<void> {
  // A module removed from lib/ must not live on in the package from an earlier build.
  rmSync(DIST, { recursive: true, force: true });
  execFileSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", "tsconfig.build.json"], {
    cwd: PACKAGE_ROOT,
    stdio: "inherit",
  });
  const [folder] = BUNDLED_HANDLER_ZIP;
  // No cache: what is packed is built from the sources as they are, never from an earlier build's bundle.
  const bundle = await buildLambdaBundle({ outdir: path.join(DIST, folder), cacheDir: false });
  if (path.relative(DIST, bundle.zipPath) !== path.join(...BUNDLED_HANDLER_ZIP)) {
    throw new Error(
      `the handler zip was written to ${bundle.zipPath}, not where FunctionCode.bundled() reads it`,
    );
  }
  // On stderr: `npm pack --json` prints its report on stdout, after this script's output.
  process.stderr.write(`dist/ built: handler zip ${bundle.zipBytes} bytes (${bundle.sourceCodeHash})\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
