import type { AmiGuardConfig } from "./config";
import { stackNameFor, stateKeyFor } from "./stack-names";

interface StackListing {
  readonly stack: string;
  readonly accountId: string;
  readonly region: string;
  readonly mode: string;
  readonly recorder: string;
  readonly dryRun: boolean;
  readonly state: string;
  readonly source: string;
}

/** What a configuration deploys, one row per stack, sorted by stack name so a diff of two listings is stable. */
export function listStacks(config: AmiGuardConfig): StackListing[] {
  return config.targets
    .map((target) => ({
      stack: stackNameFor(target),
      accountId: target.accountId,
      region: target.region,
      mode: target.mode,
      recorder: target.recorder,
      dryRun: target.dryRun,
      state:
        config.backend.type === "s3"
          ? `s3://${config.backend.bucket}/${stateKeyFor(config.backend.keyPrefix, target)}`
          : `terraform.${stackNameFor(target)}.tfstate`,
      source: target.source,
    }))
    .sort((a, b) => a.stack.localeCompare(b.stack));
}

export function formatStackListing(rows: readonly StackListing[]): string {
  const header = ["stack", "mode", "recorder", "dry-run", "state", "from"];
  const lines = rows.map((row) => [
    row.stack,
    row.mode,
    row.recorder,
    row.dryRun ? "yes" : "no",
    row.state,
    row.source,
  ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...lines.map((line) => line[column]?.length ?? 0)),
  );
  const render = (cells: readonly string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join("  ")
      .trimEnd();
  return [render(header), ...lines.map(render), `${rows.length} stack(s)`].join("\n");
}
