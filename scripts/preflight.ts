/**
 * `npm run preflight [-- <stack>...] [--json]`: read-only checks, with the deploy role, of what no offline
 * plan can know. Exit 0: nothing blocks; 1: something blocks a deploy; 2: usage or configuration error.
 */
import { runPreflightCommand } from "../app/preflight/cli";

if (require.main === module) {
  runPreflightCommand(process.argv.slice(2), process.env, {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
  }).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      // Nothing was vouched for, so a deploy waiting on this must not go ahead.
      process.stderr.write(`preflight failed: ${error instanceof Error ? error.stack : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
