import { readFileSync } from "node:fs";
import * as path from "node:path";
import { REPO_ROOT } from "../terraform/support";

const changelog = readFileSync(path.join(REPO_ROOT, "CHANGELOG.md"), "utf8");
const { version } = JSON.parse(readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as {
  version: string;
};

/** The release headings, newest first: `## [0.2.0] - 2026-12-07`, the date optional for unreleased ones. */
function releases(text: string): string[] {
  return [...text.matchAll(/^## \[(\d+\.\d+\.\d+)\]/gm)].map((match) => match[1] as string);
}

function compareVersions(a: string, b: string): number {
  const [left, right] = [a, b].map((v) => v.split(".").map(Number));
  for (let i = 0; i < 3; i += 1) {
    const difference = (left?.[i] ?? 0) - (right?.[i] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}

describe("CHANGELOG.md", () => {
  it("describes the version package.json declares, as its newest release, with a date", () => {
    expect(releases(changelog)[0]).toBe(version);
    expect(changelog).toMatch(
      new RegExp(`^## \\[${version.replaceAll(".", "\\.")}\\] - \\d{4}-\\d{2}-\\d{2}$`, "m"),
    );
  });

  it("keeps an Unreleased section above the releases, and the releases newest first", () => {
    expect(changelog.indexOf("## [Unreleased]")).toBeGreaterThan(-1);
    expect(changelog.indexOf("## [Unreleased]")).toBeLessThan(changelog.indexOf(`## [${version}]`));
    const listed = releases(changelog);
    expect([...listed].sort((a, b) => compareVersions(b, a))).toEqual(listed);
  });

  it("would notice releases out of order", () => {
    const listed = releases("## [0.1.0]\n## [0.2.0] - 2026-12-07\n");
    expect([...listed].sort((a, b) => compareVersions(b, a))).not.toEqual(listed);
  });
});
