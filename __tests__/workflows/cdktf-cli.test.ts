import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { stackNameFor } from "../../app/ami-guard-stack";
import { CONFIG_PATH_VARIABLE, DEFAULT_CONFIG_FILE, loadConfig } from "../../app/config/load";

const ROOT = path.resolve(__dirname, "../..");

/**
 * deploy.yml and docs/cli.md rely on `npx cdktf` working from this repository: cdktf.json's app command,
 * the CLI's `--output` reaching main.ts as CDKTF_OUTDIR, and no network on the way.
 */
describe("npx cdktf synth", () => {
  it("synthesizes every stack into the folder the CLI names, offline", () => {
    const cli = path.join(ROOT, "node_modules/cdktf-cli/bundle/bin/cdktf");
    if (!existsSync(cli)) throw new Error(`cdktf-cli is not installed (${cli}); run npm ci`);
    const outdir = path.join(mkdtempSync(path.join(tmpdir(), "ami-guard-cdktf-cli-")), "out");

    const result = spawnSync(process.execPath, [cli, "synth", "--output", outdir], {
      cwd: ROOT,
      encoding: "utf8",
      env: { ...process.env, CHECKPOINT_DISABLE: "1", CI: "1", CDKTF_OUTDIR: "", [CONFIG_PATH_VARIABLE]: "" },
    });

    const output = `${result.stdout}\n${result.stderr}`;
    expect([result.status, output]).toEqual([0, expect.stringContaining("Synthesized")]);
    const stacks = readdirSync(path.join(outdir, "stacks"));
    const expected = loadConfig({ [CONFIG_PATH_VARIABLE]: DEFAULT_CONFIG_FILE }, ROOT).targets.map(
      stackNameFor,
    );
    expect(stacks).toEqual([...expected].sort());
    const manifest = JSON.parse(readFileSync(path.join(outdir, "manifest.json"), "utf8"));
    expect(Object.keys(manifest.stacks)).toEqual(stacks);
    expect(existsSync(path.join(outdir, "stacks", stacks[0] as string, "cdk.tf.json"))).toBe(true);
  });
});
