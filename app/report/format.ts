import { stringify } from "csv-stringify/sync";
import type { NonCompliantInstance } from "./collect";

const REPORT_FORMATS = ["table", "json", "csv"] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

const COLUMNS = [
  { header: "account", value: (row: NonCompliantInstance) => row.accountId },
  { header: "region", value: (row: NonCompliantInstance) => row.region },
  { header: "instance", value: (row: NonCompliantInstance) => row.instanceId },
  { header: "ami", value: (row: NonCompliantInstance) => row.imageId ?? "" },
  { header: "since", value: (row: NonCompliantInstance) => row.since },
  { header: "remediation state", value: (row: NonCompliantInstance) => row.remediationState },
] as const;

function table(rows: readonly NonCompliantInstance[]): string {
  const cells = rows.map((row) => COLUMNS.map((column) => column.value(row) || "-"));
  const widths = COLUMNS.map((column, index) =>
    Math.max(column.header.length, ...cells.map((line) => line[index]?.length ?? 0)),
  );
  const render = (line: readonly string[]) =>
    line
      .map((cell, index) => cell.padEnd(widths[index] ?? 0))
      .join("  ")
      .trimEnd();
  return [
    render(COLUMNS.map((column) => column.header)),
    ...cells.map(render),
    `${rows.length} NON_COMPLIANT instance(s)`,
  ].join("\n");
}

/** The report as text, ending with a newline. */
export function formatReport(rows: readonly NonCompliantInstance[], format: ReportFormat): string {
  switch (format) {
    case "json":
      return `${JSON.stringify(rows, null, 2)}\n`;
    case "csv":
      return stringify(
        rows.map((row) => COLUMNS.map((column) => column.value(row))),
        { header: true, columns: COLUMNS.map((column) => column.header) },
      );
    case "table":
      return `${table(rows)}\n`;
  }
}
