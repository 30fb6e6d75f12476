import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..", "..");
const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
const scripts = Object.keys(JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")).scripts);

describe("the README's promise to a newcomer", () => {
  it("starts with exactly two commands: install and run the main job, then every test", () => {
    const firstBlock = /```sh\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(firstBlock?.trim().split("\n")).toEqual(["npm ci && npm run plan", "npm test"]);
    expect(readme.indexOf("```sh")).toBeLessThan(readme.indexOf("## "));
  });

  it("is the test command CI runs", () => {
    const ci = readFileSync(path.join(ROOT, ".ci", "run"), "utf8");
    expect(ci).toMatch(/^npm ci\b/m);
    expect(ci).toMatch(/^npm test\b/m);
  });

  it("names only npm scripts that exist", () => {
    const named = [...readme.matchAll(/npm run ([a-z:-]+)/g)].map((match) => match[1]);
    expect(named.length).toBeGreaterThan(0);
    expect(named.filter((name) => !scripts.includes(name as string))).toEqual([]);
  });

  it("links only to files that exist", () => {
    const links = [...readme.matchAll(/\]\(((?!https?:)[^)#]+)\)/g)].map((match) => match[1] as string);
    expect(links.length).toBeGreaterThan(0);
    expect(links.filter((link) => !existsSync(path.join(ROOT, link)))).toEqual([]);
  });
});

describe("the README's library section", () => {
  it.each(["package.json", "main.ts"])("shows examples/consumer/%s as the consumer test runs it", (file) => {
    // The consumer test builds exactly these files, so the README cannot show code that does not work
    const example = readFileSync(path.join(ROOT, "examples", "consumer", file), "utf8");
    const fence = file.endsWith(".json") ? "json" : "ts";
    expect(readme).toContain(`\`\`\`${fence}\n${example}\`\`\``);
  });
});
