import * as path from "node:path";
import * as ts from "typescript";

/**
 * `npx tsx tools/unused-exports.ts`: every export no other file of the project imports, one per line
 * (`file: name`), and their count. Dynamic entry points (a bench suite's default export) are not counted.
 * An export used only inside its own file should not be exported; one used nowhere should go.
 */
const root = path.resolve(__dirname, "..");
const configFile = ts.readConfigFile(path.join(root, "tsconfig.json"), ts.sys.readFile);
const parsed = ts.parseJsonConfigFileContent(configFile.config, ts.sys, root);
const program = ts.createProgram(parsed.fileNames, parsed.options);
const checker = program.getTypeChecker();
const ownFiles = program
  .getSourceFiles()
  .filter((file) => !file.isDeclarationFile && !file.fileName.includes("node_modules"));

const resolve = (symbol: ts.Symbol): ts.Symbol =>
  symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;

/** Declarations some other file imports (or re-exports), keyed by symbol. */
const importedFromElsewhere = new Set<ts.Symbol>();
function markModuleMember(file: ts.SourceFile, specifier: ts.Expression, name: string): void {
  const moduleSymbol = checker.getSymbolAtLocation(specifier);
  if (!moduleSymbol) return;
  const member = checker.getExportsOfModule(moduleSymbol).find((candidate) => candidate.name === name);
  if (member && resolve(member).declarations?.some((d) => d.getSourceFile() !== file)) {
    importedFromElsewhere.add(resolve(member));
  }
}
for (const file of ownFiles) {
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && node.importClause) {
      const { namedBindings } = node.importClause;
      if (namedBindings && ts.isNamedImports(namedBindings)) {
        for (const element of namedBindings.elements) {
          markModuleMember(file, node.moduleSpecifier, (element.propertyName ?? element.name).text);
        }
      }
      if (namedBindings && ts.isNamespaceImport(namedBindings)) {
        const moduleSymbol = checker.getSymbolAtLocation(node.moduleSpecifier);
        if (moduleSymbol)
          for (const member of checker.getExportsOfModule(moduleSymbol))
            importedFromElsewhere.add(resolve(member));
      }
    }
    if (
      ts.isExportDeclaration(node) &&
      node.moduleSpecifier &&
      node.exportClause &&
      ts.isNamedExports(node.exportClause)
    ) {
      for (const element of node.exportClause.elements) {
        markModuleMember(file, node.moduleSpecifier, (element.propertyName ?? element.name).text);
      }
    }
    // `import("./x").Name` in a type position
    if (ts.isImportTypeNode(node) && node.qualifier && ts.isLiteralTypeNode(node.argument)) {
      markModuleMember(
        file,
        node.argument.literal,
        ts.isIdentifier(node.qualifier) ? node.qualifier.text : node.qualifier.right.text,
      );
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
}

const unused: string[] = [];
for (const file of ownFiles) {
  const moduleSymbol = checker.getSymbolAtLocation(file);
  if (!moduleSymbol) continue;
  for (const member of checker.getExportsOfModule(moduleSymbol)) {
    if (member.name === "default") continue;
    if (!importedFromElsewhere.has(resolve(member))) {
      unused.push(`${path.relative(root, file.fileName)}: ${member.name}`);
    }
  }
}
process.stdout.write(`${unused.sort().join("\n")}\n${unused.length} export(s) no other file imports\n`);
