import { readFileSync } from "node:fs";

/**
 * Validates workflow files with GitHub's own workflow parser (the one behind the Actions language server),
 * which checks them against the current workflow schema and parses every `${{ }}` expression.
 *
 * The package is ESM only and imports its schema JSON without an import attribute, which jest's CommonJS
 * runtime and plain Node cannot load; tsx can, through a dynamic import (the package exports no `require`
 * entry). So the test runs this file in a child process:
 *   tsx lint-workflows.ts <file>...   prints a JSON array of { file, errors } on stdout.
 */

export interface WorkflowProblems {
  readonly file: string;
  readonly errors: readonly string[];
}

async function lintWorkflow(file: string, content: string): Promise<WorkflowProblems> {
  const { convertWorkflowTemplate, NoOperationTraceWriter, parseWorkflow } = await import(
    "@actions/workflow-parser"
  );
  const parsed = parseWorkflow({ name: file, content }, new NoOperationTraceWriter());
  const errors = parsed.context.errors.getErrors().map((error) => error.message);
  if (parsed.value) {
    const template = await convertWorkflowTemplate(parsed.context, parsed.value);
    for (const error of template.errors ?? []) {
      const message = error.Message;
      if (!errors.includes(message)) errors.push(message);
    }
  }
  return { file, errors };
}

async function main(files: readonly string[]): Promise<void> {
  const results = await Promise.all(files.map((file) => lintWorkflow(file, readFileSync(file, "utf8"))));
  process.stdout.write(`${JSON.stringify(results)}\n`);
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 2;
  });
}
