import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import type { BenchRow, BenchSuite } from "./bench/harness";

/**
 * `npm run bench [-- suite …]`: runs every `scripts/bench/*.bench.ts` suite (or the named ones), prints one
 * table, and writes the rows to bench-results/latest.json. Every comparison is against a baseline measured
 * in the same run, because the machines are shared and absolute times drift between runs.
 */
async function main(): Promise<void> {
  const wanted = new Set(process.argv.slice(2));
  const suiteDir = path.join(__dirname, "bench");
  const files = readdirSync(suiteDir)
    .filter((file) => file.endsWith(".bench.ts"))
    .sort();
  const rows: BenchRow[] = [];
  for (const file of files) {
    const suite = (await import(path.join(suiteDir, file))).default as BenchSuite;
    if (wanted.size > 0 && !wanted.has(suite.name)) continue;
    process.stderr.write(`bench: ${suite.name} …\n`);
    rows.push(...(await suite.run()));
  }
  if (rows.length === 0) throw new Error(`no bench suite matched ${[...wanted].join(", ")}`);
  process.stdout.write(`${formatTable(rows)}\n`);
  mkdirSync("bench-results", { recursive: true });
  writeFileSync(
    path.join("bench-results", "latest.json"),
    `${JSON.stringify({ node: process.version, date: new Date().toISOString(), rows }, null, 2)}\n`,
  );
}

function formatNumber(value: number): string {
  return Math.abs(value) >= 100
    ? value.toFixed(0)
    : Math.abs(value) >= 10
      ? value.toFixed(1)
      : value.toFixed(2);
}

function formatTable(rows: readonly BenchRow[]): string {
  const lines = [
    "| suite | measurement | value | baseline (same run) | ratio | target |",
    "| --- | --- | --- | --- | --- | --- |",
  ];
  for (const row of rows) {
    const baseline = row.baseline
      ? `${row.baseline.name}: ${formatNumber(row.baseline.value)} ${row.unit}`
      : "";
    const ratio = row.baseline ? `${(row.value / row.baseline.value).toFixed(2)}×` : "";
    lines.push(
      `| ${row.suite} | ${row.name} | ${formatNumber(row.value)} ${row.unit} | ${baseline} | ${ratio} | ${row.target ?? ""} |`,
    );
  }
  return lines.join("\n");
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
