import { readFileSync } from "node:fs";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "../..");
const help = readFileSync(path.join(ROOT, "help"), "utf8");
const scripts = Object.keys(
  (JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> })
    .scripts,
);

/** `npm test` is npm's shorthand for `npm run test`; the sheet writes it the way people type it. */
function commandFor(script: string): string {
  return script === "test" ? "npm test" : `npm run ${script}`;
}

function listedCommands(): string[] {
  return [...help.matchAll(/^\s+(npm test|npm run [\w:-]+)\s{2,}\S/gm)].map((match) => match[1] as string);
}

describe("the help sheet", () => {
  it.each(scripts)("lists npm script %s with a line of its own", (script) => {
    const verdict = listedCommands().includes(commandFor(script))
      ? "listed"
      : `help does not list \`${commandFor(script)}\`: add one line for it`;
    expect(verdict).toBe("listed");
  });

  it("lists no npm script that package.json lacks", () => {
    const missing = listedCommands().filter((command) => !scripts.map(commandFor).includes(command));
    expect(missing).toEqual([]);
  });

  it("lists the cdktf commands a user needs after synthesis", () => {
    for (const command of ["synth", "diff", "deploy", "destroy", "output", "list"]) {
      expect(help).toMatch(new RegExp(`^\\s+npx cdktf ${command}\\b.*\\s{2,}\\S`, "m"));
    }
  });

  it("names files that exist", () => {
    for (const file of [
      "ami-guard.config.json",
      "docs/configuration.md",
      "docs/cli.md",
      "app/config/schema.ts",
    ]) {
      expect(help).toContain(file);
      expect(() => readFileSync(path.join(ROOT, file))).not.toThrow();
    }
  });
});
