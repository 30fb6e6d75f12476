/**
 * A scale-out storm through the real handler against the loopback AWS server, in simulated time: what it
 * costs in calls per API and what it sends. Needs nothing but this clone.
 *
 *   npm run storm
 *   npm run storm -- --dry-run     # the function in dry run: it stops nothing and sends no message per instance
 *
 * The mix and the outcome each instance must reach: tools/loopback/storm.ts. Exits 1 when an invocation
 * has no single outcome or an instance ends otherwise than its kind calls for.
 */
import { formatStormReport, runStorm } from "../tools/loopback/storm";

if (require.main === module) {
  runStorm(undefined, { dryRun: process.argv.slice(2).includes("--dry-run") })
    .then((report) => {
      process.stdout.write(formatStormReport(report));
      for (const line of [...report.unaccounted, ...report.lost]) process.stderr.write(`${line}\n`);
      if (report.unaccounted.length > 0 || report.lost.length > 0) process.exitCode = 1;
    })
    .catch((error: unknown) => {
      process.stderr.write(`storm failed: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    });
}
