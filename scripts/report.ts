/**
 * Which instances across the organization still run unapproved AMIs, from the Config aggregator:
 *
 *   npm run report                 # a table
 *   npm run report -- --json       # or --csv
 *   npm run report -- --region eu-central-1 --aggregator ami-guard --rule approved-amis-by-id
 *
 * Read-only. Run it with credentials of the aggregator account; see docs/operations.md for the permissions.
 */
import { runAsProcess } from "../app/command-process";
import { runReportCommand } from "../app/report/cli";

if (require.main === module) {
  runAsProcess("report failed", (io) => runReportCommand(process.argv.slice(2), process.env, io), {
    withStack: false,
  });
}
