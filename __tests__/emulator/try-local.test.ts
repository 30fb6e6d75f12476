import { execFile } from "node:child_process";
import * as path from "node:path";
import { promisify } from "node:util";
import { parseConfig } from "../../app/config/load";
import { targetToTry } from "../../tools/emulator/try-local";
import { REPO_ROOT, shippedRawConfig } from "./support";

const run = promisify(execFile);

describe("npm run try-local", () => {
  it("says it needs moto_server, and how to install it, when moto is missing", async () => {
    // Given a PATH with node and terraform but no moto_server
    const tsx = path.join(REPO_ROOT, "node_modules", "tsx", "dist", "cli.mjs");
    const outcome = await run(process.execPath, [tsx, "scripts/try-local.ts"], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        PATH: [path.dirname(process.execPath), "/usr/local/bin", "/usr/bin", "/bin"].join(":"),
      },
    }).then(
      () => ({ code: 0, stderr: "" }),
      (error: { code: number; stderr: string }) => ({ code: error.code, stderr: error.stderr }),
    );
    // Then it stops before doing anything, naming the tool and the install command
    expect(outcome.code).toBe(1);
    expect(outcome.stderr).toContain('needs "moto_server"');
    expect(outcome.stderr).toContain("pip install 'moto[server]==5.2.1'");
    expect(outcome.stderr).toContain("Nothing was tried.");
  });

  it("tries the shipped configuration's event-driven target, and refuses a configuration without one", () => {
    expect(targetToTry(parseConfig(shippedRawConfig(), "shipped")).accountId).toBe("111122223333");
    expect(() =>
      targetToTry(parseConfig({ ...shippedRawConfig(), remediation: { mode: "audit" } }, "audit only")),
    ).toThrow(/event-driven/);
  });
});
