import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import * as ts from "typescript";

const repositoryRoot = path.resolve(__dirname, "..", "..");

function trackedFiles(): string[] {
  return execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard"], {
    cwd: repositoryRoot,
    encoding: "utf8",
  })
    .split("\n")
    .filter((file) => file !== "" && file !== "package-lock.json");
}

/**
 * `path.resolve(__dirname, "..", "x")` and `path.join(__dirname, ...)` whose every argument is known when
 * the file is read: where they point, and where in the file. Found with TypeScript's own parser, so a
 * call split over lines or written with other spacing is still seen.
 */
function pathsBuiltFromDirname(fileName: string, source: string): { line: number; target: string }[] {
  const sourceFile = ts.createSourceFile(fileName, source, ts.ScriptTarget.ES2022, true);
  const found: { line: number; target: string }[] = [];
  const visit = (node: ts.Node): void => {
    if (
      ts.isCallExpression(node) &&
      ts.isPropertyAccessExpression(node.expression) &&
      ["resolve", "join"].includes(node.expression.name.text) &&
      node.arguments[0] !== undefined &&
      ts.isIdentifier(node.arguments[0]) &&
      node.arguments[0].text === "__dirname"
    ) {
      const rest = node.arguments.slice(1);
      if (rest.every((argument) => ts.isStringLiteral(argument))) {
        const segments = rest.map((argument) => (argument as ts.StringLiteral).text);
        found.push({
          line: sourceFile.getLineAndCharacterOfPosition(node.getStart()).line + 1,
          target: path.resolve(path.dirname(path.join(repositoryRoot, fileName)), ...segments),
        });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sourceFile);
  return found;
}

function isInsideRepository(target: string): boolean {
  const relative = path.relative(repositoryRoot, target);
  return relative === "" || (!relative.startsWith("..") && !path.isAbsolute(relative));
}

describe("the repository stands alone", () => {
  const files = trackedFiles();

  it("no file names the folder beside the clone", () => {
    const pattern = /\.\.\/shared\b|shared\/reference/;
    const naming = files.filter((file) =>
      pattern.test(readFileSync(path.join(repositoryRoot, file), "utf8")),
    );
    expect(naming).toEqual([]);
  });

  it("every path built from a module's own folder stays inside the repository", () => {
    const escaping = files
      .filter((file) => /\.(ts|js|cjs|mjs)$/.test(file))
      .flatMap((file) =>
        pathsBuiltFromDirname(file, readFileSync(path.join(repositoryRoot, file), "utf8"))
          .filter(({ target }) => !isInsideRepository(target))
          .map(({ line, target }) => `${file}:${line} reaches ${target}`),
      );
    expect(escaping).toEqual([]);
  });

  it("catches a path that climbs out of the clone", () => {
    // Given the way the recorded event used to be found, beside the clone
    const source =
      'const event = path.resolve(__dirname, "..", "..", "..", "beside-the-clone", "event.json");';
    // When the check reads it as a file two folders deep
    const [found] = pathsBuiltFromDirname("tools/drill/sample-event.ts", source);
    // Then it sees where it points, and that it is outside
    expect(found?.target).toBe(path.resolve(repositoryRoot, "..", "beside-the-clone", "event.json"));
    expect(isInsideRepository(found?.target ?? "")).toBe(false);
    expect(isInsideRepository(path.join(repositoryRoot, "tools", "drill"))).toBe(true);
  });
});
