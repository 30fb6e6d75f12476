import { existsSync, readdirSync, readFileSync } from "node:fs";
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

/** The packages that build constructs; loading them costs most of a second in every test file that does. */
const CONSTRUCT_PACKAGES = /^(cdktf|constructs|@cdktf\/provider-aws)(\/|$)/;

/** The TypeScript file an import names (a folder means its index.ts); undefined for data such as JSON. */
function sourceFileOf(imported: string): string | undefined {
  if (imported.endsWith(".json")) return undefined;
  const candidate = [`${imported}.ts`, path.join(imported, "index.ts")].find((file) =>
    existsSync(path.join(repositoryRoot, file)),
  );
  if (candidate === undefined) throw new Error(`no TypeScript file for the import ${imported}`);
  return candidate;
}

/**
 * What loading `entry` loads at run time: every repository file reached through imports that are not
 * type-only, and each package one of them imports, with the chain of files that leads to it.
 */
function runtimePackagesOf(entry: string): Map<string, string[]> {
  const packages = new Map<string, string[]>();
  const chains = new Map<string, string[]>([[entry, [entry]]]);
  const queue = [entry];
  for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
    const source = ts.createSourceFile(
      file,
      readFileSync(path.join(repositoryRoot, file), "utf8"),
      ts.ScriptTarget.Latest,
    );
    for (const statement of source.statements) {
      const runtime =
        (ts.isImportDeclaration(statement) && !statement.importClause?.isTypeOnly) ||
        (ts.isExportDeclaration(statement) && !statement.isTypeOnly);
      const specifierNode = runtime
        ? (statement as ts.ImportDeclaration | ts.ExportDeclaration).moduleSpecifier
        : undefined;
      if (specifierNode === undefined || !ts.isStringLiteral(specifierNode)) continue;
      const specifier = specifierNode.text;
      const chain = chains.get(file) ?? [];
      if (!specifier.startsWith(".")) {
        if (!packages.has(specifier)) packages.set(specifier, chain);
        continue;
      }
      const imported = sourceFileOf(
        path.relative(repositoryRoot, path.resolve(repositoryRoot, path.dirname(file), specifier)),
      );
      if (imported === undefined || chains.has(imported)) continue;
      chains.set(imported, [...chain, imported]);
      queue.push(imported);
    }
  }
  return packages;
}

describe("what loads without the construct packages", () => {
  // The configuration and the plan summary need names, limits and defaults only; the constructs re-export
  // those from modules of their own, so a test (or a command) that reads a configuration skips cdktf.
  it.each(["app/config/load.ts", "tools/terraform/plan-summary.ts"])(
    "%s loads no cdktf, constructs or provider",
    (entry) => {
      const construct = [...runtimePackagesOf(entry)]
        .filter(([name]) => CONSTRUCT_PACKAGES.test(name))
        .map(([name, chain]) => `${[...chain, name].join(" -> ")}`);
      expect(construct).toEqual([]);
    },
  );

  it("finds cdktf behind a construct module, with the chain that loads it", () => {
    const packages = runtimePackagesOf("lib/ami-guard.ts");
    expect([...packages.keys()].filter((name) => CONSTRUCT_PACKAGES.test(name))).toContain("cdktf");
    expect(packages.get("cdktf")).toEqual(["lib/ami-guard.ts"]);
  });
});
