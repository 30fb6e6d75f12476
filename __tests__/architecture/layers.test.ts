import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import * as ts from "typescript";

const repositoryRoot = path.resolve(__dirname, "..", "..");

/** Which folders each layer may import from; anything else in the repository is off limits. */
const ALLOWED_IMPORTS: Readonly<Record<string, readonly string[]>> = {
  // Constructs know nothing of the configuration file, the bundler or the development tools.
  lib: ["lib"],
  // The function ships on its own; it shares only the contract the constructs also read.
  handler: ["handler", "lib/contract.ts"],
  app: ["app", "lib", "handler"],
  // Examples use ami-guard as a library would: through its public entry point only.
  examples: ["examples", "index.ts"],
};

/** The library's entry point: it exports constructs, never the app or the tools. */
const ENTRY_POINT = "index.ts";

function typescriptFilesUnder(folder: string): string[] {
  return readdirSync(path.join(repositoryRoot, folder), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(".ts"))
    .map((entry) => path.relative(repositoryRoot, path.join(entry.parentPath, entry.name)));
}

/** Relative imports of a file, resolved to repository paths, read with TypeScript's own pre-processor. */
function relativeImportsOf(file: string): string[] {
  const source = readFileSync(path.join(repositoryRoot, file), "utf8");
  return ts
    .preProcessFile(source, true, true)
    .importedFiles.map((imported) => imported.fileName)
    .filter((specifier) => specifier.startsWith("."))
    .map((specifier) =>
      path.relative(repositoryRoot, path.resolve(repositoryRoot, path.dirname(file), specifier)),
    );
}

function isWithin(importedPath: string, allowed: string): boolean {
  const withoutExtension = allowed.replace(/\.ts$/, "");
  return (
    importedPath === withoutExtension || importedPath === allowed || importedPath.startsWith(`${allowed}/`)
  );
}

function layerViolations(layer: string): string[] {
  const allowed = ALLOWED_IMPORTS[layer] ?? [];
  return typescriptFilesUnder(layer).flatMap((file) =>
    relativeImportsOf(file)
      .filter((imported) => !allowed.some((folder) => isWithin(imported, folder)))
      .map((imported) => `${file} imports ${imported}`),
  );
}

describe("layers", () => {
  it.each(Object.keys(ALLOWED_IMPORTS))("%s imports only what its layer may use", (layer) => {
    expect(layerViolations(layer)).toEqual([]);
  });

  it("the entry point exports the constructs only", () => {
    const imports = relativeImportsOf(ENTRY_POINT);
    expect(imports.length).toBeGreaterThan(0);
    expect(imports.filter((imported) => !isWithin(imported, "lib"))).toEqual([]);
    // And would be caught exporting the app
    expect(isWithin(path.relative(repositoryRoot, path.resolve(repositoryRoot, "app/config")), "lib")).toBe(
      false,
    );
  });

  it("catches a construct that imports the app", () => {
    // Given a construct file importing the configuration loader (checked on the resolver, not on disk)
    const imported = path.relative(repositoryRoot, path.resolve(repositoryRoot, "lib", "../app/config"));
    // Then the rule for the constructs' layer refuses it
    expect(ALLOWED_IMPORTS.lib?.some((folder) => isWithin(imported, folder))).toBe(false);
    expect(ALLOWED_IMPORTS.app?.some((folder) => isWithin(imported, folder))).toBe(true);
  });
});
