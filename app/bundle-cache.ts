import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import * as path from "node:path";

/**
 * A cache of esbuild bundles that is only ever used when it is exact: an entry records the content hash
 * of every file the build read (esbuild's metafile inputs), and is used only while each of those files is
 * byte-identical. So editing the handler or upgrading a dependency always rebuilds, and an unchanged
 * handler skips the bundling step, the largest part of a synthesis.
 */
export const DEFAULT_BUNDLE_CACHE_DIR = path.resolve(__dirname, "..", "node_modules", ".cache", "ami-guard");
/** Set to "off" to bundle afresh on every synthesis. */
export const BUNDLE_CACHE_VARIABLE = "AMI_GUARD_BUNDLE_CACHE";

interface CacheManifest {
  /** Input path (relative to the working directory the build ran in) → sha256 of its contents. */
  readonly inputs: Readonly<Record<string, string>>;
}

function sha256(data: Buffer | string): string {
  return createHash("sha256").update(data).digest("hex");
}

/**
 * What decides a build before any file is read: the bundler's version and settings, the entry, and the
 * names in the entry's folder (a new file there can change what an import resolves to).
 */
export function bundleCacheKey(parts: { bundlerVersion: string; options: unknown; entry: string }): string {
  const entryFolder = readdirSync(path.dirname(parts.entry)).sort();
  return sha256(JSON.stringify([parts.bundlerVersion, parts.options, parts.entry, entryFolder]));
}

export function hashInputs(inputPaths: readonly string[], workingDirectory: string): Record<string, string> {
  return Object.fromEntries(
    [...inputPaths]
      .sort()
      .map((input) => [input, sha256(readFileSync(path.resolve(workingDirectory, input)))]),
  );
}

/** The cached bundle for `key`, or undefined when there is none or any input has changed since. */
export function readCachedBundle(
  cacheDir: string,
  key: string,
  workingDirectory: string,
): Buffer | undefined {
  const manifestFile = path.join(cacheDir, `${key}.json`);
  const bundleFile = path.join(cacheDir, `${key}.js`);
  if (!existsSync(manifestFile) || !existsSync(bundleFile)) return undefined;
  try {
    const manifest = JSON.parse(readFileSync(manifestFile, "utf8")) as CacheManifest;
    for (const [input, hash] of Object.entries(manifest.inputs)) {
      const file = path.resolve(workingDirectory, input);
      if (!existsSync(file) || sha256(readFileSync(file)) !== hash) return undefined;
    }
    return readFileSync(bundleFile);
  } catch {
    // A damaged entry is a miss; the rebuild overwrites it.
    return undefined;
  }
}

/** Writes the entry through temporary files and renames, so a concurrent reader never sees half of one. */
export function writeCachedBundle(
  cacheDir: string,
  key: string,
  bundle: Buffer,
  inputs: Readonly<Record<string, string>>,
): void {
  mkdirSync(cacheDir, { recursive: true });
  const suffix = `.${process.pid}.tmp`;
  const bundleFile = path.join(cacheDir, `${key}.js`);
  const manifestFile = path.join(cacheDir, `${key}.json`);
  writeFileSync(bundleFile + suffix, bundle);
  writeFileSync(manifestFile + suffix, JSON.stringify({ inputs } satisfies CacheManifest));
  renameSync(bundleFile + suffix, bundleFile);
  renameSync(manifestFile + suffix, manifestFile);
}
