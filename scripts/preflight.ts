/**
 * `npm run preflight [-- <stack>...] [--json]`: read-only checks, with the deploy role, of what no offline
 * plan can know. Exit 0: nothing blocks; 1: something blocks a deploy; 2: usage or configuration error.
 */
import { runAsProcess } from "../app/command-process";
import { runPreflightCommand } from "../app/preflight/cli";

if (require.main === module) {
  // Nothing was vouched for when it fails, so a deploy waiting on it must not go ahead.
  runAsProcess("preflight failed", (io) => runPreflightCommand(process.argv.slice(2), process.env, io), {
    withStack: true,
  });
}
