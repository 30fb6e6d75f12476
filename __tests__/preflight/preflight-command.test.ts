import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";
import type { AwsLoopback } from "../../tools/loopback/aws-loopback";
import { RECORDS_EC2_CONTINUOUSLY, STACK, scriptAccount } from "./account";
import { rawPreflightConfig, useConfigFile, useLoopbackAccount } from "./support";

const ROOT = path.resolve(__dirname, "../..");

let aws: AwsLoopback;
useLoopbackAccount((started) => {
  aws = started;
});

/** `npm run preflight` as a CI step runs it: scripts/preflight.ts under tsx, in a process of its own. */
describe("npm run preflight", () => {
  const configFile = useConfigFile();

  it("in its own process, exits 1 when something blocks and prints the table", async () => {
    // One real process: the script's argv, output and exit code, end to end.
    const tsx = path.join(ROOT, "node_modules/tsx/dist/cli.mjs");
    if (!existsSync(tsx)) throw new Error(`tsx is not installed (${tsx}); run npm ci`);
    scriptAccount(aws, { recorders: [RECORDS_EC2_CONTINUOUSLY] });
    // Asynchronous on purpose: the loopback answers from this process's event loop.
    const result = await promisify(execFile)(
      process.execPath,
      [tsx, path.join(ROOT, "scripts/preflight.ts"), STACK],
      {
        cwd: ROOT,
        env: { ...process.env, AMI_GUARD_CONFIG: configFile(rawPreflightConfig()), NODE_NO_WARNINGS: "1" },
      },
    ).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (error: { code: number; stdout: string; stderr: string }) => error,
    );
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(new RegExp(`${STACK}\\s+recorder\\s+block`));
  });
});
