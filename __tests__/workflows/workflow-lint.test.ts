import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import type { WorkflowProblems } from "./lint-workflows";
import { ghExpression, ROOT, readWorkflow, WORKFLOW_FILES, WORKFLOWS_DIR } from "./workflow-files";

/**
 * Runs GitHub's workflow parser (see lint-workflows.ts) over files in one child process. A missing tsx or
 * parser fails the test with the tool's name rather than passing silently.
 */
function lintWorkflowFiles(files: readonly string[]): WorkflowProblems[] {
  const tsx = path.join(ROOT, "node_modules/tsx/dist/cli.mjs");
  if (!existsSync(tsx)) throw new Error(`tsx is not installed (${tsx}); run npm ci`);
  const result = spawnSync(process.execPath, [tsx, path.join(__dirname, "lint-workflows.ts"), ...files], {
    cwd: ROOT,
    encoding: "utf8",
  });
  if (result.status !== 0) {
    throw new Error(
      `the workflow linter (@actions/workflow-parser via tsx) could not run:\n${result.stderr}`,
    );
  }
  return JSON.parse(result.stdout) as WorkflowProblems[];
}

/** Copies of the real workflows, each with one mistake a person could make, and what the linter must say. */
const BROKEN_VARIANTS: readonly {
  name: string;
  from: string;
  replace: string;
  by: string;
  expect: RegExp;
}[] = [
  {
    name: "a misspelt permission level",
    from: "pull-request.yml",
    replace: "id-token: write",
    by: "id-token: writ",
    expect: /Unexpected value 'writ'/,
  },
  {
    name: "an unknown context in an expression",
    from: "deploy-wave.yml",
    replace: ghExpression("matrix.shard"),
    by: ghExpression("matrx.shard"),
    expect: /Unrecognized named-value: 'matrx'/,
  },
  {
    name: "a concurrency flag that is not a boolean",
    from: "deploy.yml",
    replace: "cancel-in-progress: false",
    by: "cancel-in-progress: maybe",
    expect: /Unexpected value 'maybe'/,
  },
  {
    name: "a step that both runs and uses",
    from: "pull-request.yml",
    replace: "      - run: npm test",
    by: "      - run: npm test\n        uses: actions/checkout@v4",
    expect: /Unexpected value 'uses'/,
  },
  {
    name: "an unknown trigger",
    from: "pull-request.yml",
    replace: "  pull_request:\n",
    by: "  pull_requests:\n",
    expect: /Unexpected value 'pull_requests'/,
  },
];

describe("GitHub Actions workflows for users", () => {
  let results: Map<string, WorkflowProblems>;

  beforeAll(() => {
    const scratch = mkdtempSync(path.join(tmpdir(), "ami-guard-workflows-"));
    const files = WORKFLOW_FILES.map((file) => path.join(WORKFLOWS_DIR, file));
    for (const [index, variant] of BROKEN_VARIANTS.entries()) {
      const original = readWorkflow(variant.from);
      if (!original.includes(variant.replace)) {
        throw new Error(
          `${variant.from} no longer contains ${JSON.stringify(variant.replace)}; update the variant`,
        );
      }
      const file = path.join(scratch, `broken-${index}.yml`);
      writeFileSync(file, original.replace(variant.replace, variant.by));
      files.push(file);
    }
    results = new Map(lintWorkflowFiles(files).map((result) => [result.file, result]));
  });

  it("ships the pull-request and deploy workflows, and the wave workflow deploy calls", () => {
    expect(WORKFLOW_FILES).toEqual(["deploy-wave.yml", "deploy.yml", "pull-request.yml"]);
  });

  it.each(WORKFLOW_FILES)("%s passes GitHub's workflow parser", (file) => {
    expect(results.get(path.join(WORKFLOWS_DIR, file))?.errors).toEqual([]);
  });

  it.each(BROKEN_VARIANTS.map((variant, index) => [variant.name, index, variant.expect] as const))(
    "the parser rejects %s",
    (_name, index, expected) => {
      const errors = [...results.entries()].find(([file]) => file.endsWith(`broken-${index}.yml`))?.[1]
        .errors;
      expect(errors?.length).toBeGreaterThan(0);
      expect(errors?.join("\n")).toMatch(expected);
    },
  );
});
