import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { type BuildOptions, buildSync, version as esbuildVersion } from "esbuild";
import { ZipFile } from "yazl";
import type { FunctionCode } from "../lib/function-code";
import {
  BUNDLE_CACHE_VARIABLE,
  bundleCacheKey,
  DEFAULT_BUNDLE_CACHE_DIR,
  hashInputs,
  readCachedBundle,
  writeCachedBundle,
} from "./bundle-cache";

/** The handler every stack deploys. */
export const HANDLER_ENTRY = path.resolve(__dirname, "..", "handler", "index.ts");

/**
 * Zip entries carry a timestamp; a fixed one (the earliest a zip can store) keeps the archive a function
 * of its contents alone, so an unchanged handler never shows as a `source_code_hash` change in a plan.
 */
const FIXED_ZIP_TIME = new Date(1980, 0, 1, 0, 0, 0);

export interface LambdaBundle extends FunctionCode {
  readonly bundleBytes: number;
  readonly zipBytes: number;
  /** Whether the bundle came from the cache (every input byte-identical to the cached build's). */
  readonly fromCache: boolean;
}

interface BundleOptions {
  /** @default HANDLER_ENTRY */
  readonly entry?: string;
  /** Folder the zip is written to. */
  readonly outdir: string;
  /**
   * Where bundles are cached, or false to always bundle afresh.
   * @default DEFAULT_BUNDLE_CACHE_DIR, unless AMI_GUARD_BUNDLE_CACHE=off
   */
  readonly cacheDir?: string | false;
}

/**
 * The esbuild settings of the deployed bundle. The SDK goes inside the bundle rather than coming from the
 * runtime, whose bundled SDK version is not ours to choose; `module` first in mainFields picks the SDK's
 * ES builds, which tree-shake to a much smaller file than its CommonJS ones.
 */
function handlerBuildOptions(entry: string): BuildOptions & { write: false } {
  return {
    entryPoints: [entry],
    bundle: true,
    platform: "node",
    target: "node22",
    format: "cjs",
    minify: true,
    mainFields: ["module", "main"],
    legalComments: "none",
    write: false,
    logLevel: "silent",
  };
}

export function bundleHandlerSource(entry = HANDLER_ENTRY): Buffer {
  return buildHandler(entry).source;
}

/** esbuild resolves and reports inputs relative to this folder; fixing it keeps cache entries portable. */
const WORKING_DIRECTORY = path.resolve(__dirname, "..");

function buildHandler(entry: string): { source: Buffer; inputs: string[] } {
  const result = buildSync({
    ...handlerBuildOptions(entry),
    metafile: true,
    absWorkingDir: WORKING_DIRECTORY,
  });
  const output = result.outputFiles?.[0];
  if (!output) throw new Error(`esbuild produced no output for ${entry}`);
  return { source: Buffer.from(output.contents), inputs: Object.keys(result.metafile?.inputs ?? {}) };
}

function resolveCacheDir(option: string | false | undefined): string | false {
  if (option !== undefined) return option;
  return process.env[BUNDLE_CACHE_VARIABLE] === "off" ? false : DEFAULT_BUNDLE_CACHE_DIR;
}

/** The bundle from the cache when every input is unchanged, else a fresh build (which refills the cache). */
function cachedOrFreshBundle(
  entry: string,
  cacheDir: string | false,
): { source: Buffer; fromCache: boolean } {
  if (cacheDir === false) return { source: buildHandler(entry).source, fromCache: false };
  const key = bundleCacheKey({ bundlerVersion: esbuildVersion, options: handlerBuildOptions(entry), entry });
  const cached = readCachedBundle(cacheDir, key, WORKING_DIRECTORY);
  if (cached) return { source: cached, fromCache: true };
  const built = buildHandler(entry);
  writeCachedBundle(cacheDir, key, built.source, hashInputs(built.inputs, WORKING_DIRECTORY));
  return { source: built.source, fromCache: false };
}

function zipSingleFile(fileName: string, contents: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const zip = new ZipFile();
    zip.addBuffer(contents, fileName, { mtime: FIXED_ZIP_TIME, mode: 0o100644, compress: true });
    zip.end();
    const chunks: Buffer[] = [];
    zip.outputStream.on("data", (chunk: Buffer) => chunks.push(chunk));
    zip.outputStream.on("error", reject);
    zip.outputStream.on("end", () => resolve(Buffer.concat(chunks)));
  });
}

/** Bundles the handler into `index.js` inside a deterministic zip. */
export async function buildLambdaBundle(options: BundleOptions): Promise<LambdaBundle> {
  const { source, fromCache } = cachedOrFreshBundle(
    options.entry ?? HANDLER_ENTRY,
    resolveCacheDir(options.cacheDir),
  );
  const zip = await zipSingleFile("index.js", source);
  mkdirSync(options.outdir, { recursive: true });
  const zipPath = path.join(options.outdir, "remediation-handler.zip");
  writeFileSync(zipPath, zip);
  return {
    zipPath,
    sourceCodeHash: createHash("sha256").update(zip).digest("base64"),
    bundleBytes: source.length,
    zipBytes: zip.length,
    fromCache,
  };
}
