import { execFile, spawnSync } from "node:child_process";
import * as path from "node:path";
import { promisify } from "node:util";

/**
 * A Lambda zip run the way Lambda's Node.js runtime runs it: unpacked, its module loaded in a fresh `node`
 * whose environment is only the function's variables and the AWS plumbing, so nothing of the calling
 * process (its PATH, its credentials) leaks into what is being proven.
 */

const run = promisify(execFile);
const RESULT_MARKER = "AMI_GUARD_INVOCATION_RESULT ";

/** Unpacks `zipFile` into `into` and lists its entries; a missing `unzip` is named, not guessed at. */
export function unpackZip(zipFile: string, into: string): string[] {
  const listing = spawnSync("unzip", ["-Z1", zipFile], { encoding: "utf8" });
  if (listing.error) {
    throw new Error(
      `unpacking the Lambda zip needs "unzip" on PATH, which is missing: ${listing.error.message}`,
    );
  }
  if (listing.status !== 0) throw new Error(`unzip cannot read ${zipFile}: ${listing.stderr}`);
  const extracted = spawnSync("unzip", ["-q", "-o", zipFile, "-d", into], { encoding: "utf8" });
  if (extracted.status !== 0) throw new Error(`unzip failed on ${zipFile}: ${extracted.stderr}`);
  return listing.stdout.split("\n").filter((line) => line !== "");
}

export interface UnpackedFunction {
  /** The folder the zip was unpacked into; the handler runs with it as its working directory. */
  readonly codeDir: string;
  /** Lambda's `handler` setting, `<module>.<export>` (`index.handler`). */
  readonly handler: string;
  /** Exactly the variables the function is deployed with. */
  readonly variables: Readonly<Record<string, string>>;
}

interface LoopbackAws {
  /** Where every SDK client is pointed (AWS_ENDPOINT_URL). */
  readonly endpointUrl: string;
  readonly region: string;
  /** The access key the function signs with; the emulator reads the account from it. @default "AKIDLOOPBACKTEST" */
  readonly accessKeyId?: string;
}

export interface Invocation<Result = unknown> {
  readonly ok: boolean;
  readonly result?: Result;
  readonly error?: { readonly name: string; readonly message: string };
  /** Everything the handler printed: its JSON log lines and EMF metrics. */
  readonly stdout: string;
}

/** The only variables the child gets besides the function's own: endpoint, region and fake credentials. */
function loopbackPlumbing(aws: LoopbackAws): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: aws.endpointUrl,
    AWS_REGION: aws.region,
    AWS_ACCESS_KEY_ID: aws.accessKeyId ?? "AKIDLOOPBACKTEST",
    AWS_SECRET_ACCESS_KEY: "loopback-secret",
  };
}

/** Resolves `index.handler` as Lambda's Node.js runtime does: module `index.js`, export `handler`. */
function handlerModule(fn: UnpackedFunction): {
  readonly moduleFile: string;
  readonly exportName: string;
} {
  const separator = fn.handler.lastIndexOf(".");
  if (separator <= 0) throw new Error(`handler ${JSON.stringify(fn.handler)} is not "<module>.<export>"`);
  return {
    moduleFile: path.join(fn.codeDir, `${fn.handler.slice(0, separator)}.js`),
    exportName: fn.handler.slice(separator + 1),
  };
}

/** Invokes the unpacked handler once with `event`, in its own process, and reads back what it returned. */
export async function invokeUnpacked<Result = unknown>(
  fn: UnpackedFunction,
  event: unknown,
  aws: LoopbackAws,
  options: { readonly moduleFile?: string; readonly timeoutMs?: number } = {},
): Promise<Invocation<Result>> {
  const resolved = handlerModule(fn);
  const runner = [
    "const mod = require(process.argv[1]);",
    "const event = JSON.parse(process.argv[2]);",
    `const say = (r) => process.stdout.write("\\n${RESULT_MARKER}" + JSON.stringify(r) + "\\n");`,
    "Promise.resolve().then(() => mod[process.argv[3]](event)).then(",
    "  (result) => say({ ok: true, result }),",
    "  (e) => say({ ok: false, error: { name: e.name, message: e.message } }),",
    ");",
  ].join("\n");
  const { stdout } = await run(
    process.execPath,
    ["-e", runner, options.moduleFile ?? resolved.moduleFile, JSON.stringify(event), resolved.exportName],
    {
      cwd: fn.codeDir,
      env: { ...fn.variables, ...loopbackPlumbing(aws) },
      timeout: options.timeoutMs ?? 30_000,
    },
  );
  const line = stdout.split("\n").find((candidate) => candidate.startsWith(RESULT_MARKER));
  if (!line) throw new Error(`the handler process printed no result:\n${stdout}`);
  return { ...JSON.parse(line.slice(RESULT_MARKER.length)), stdout };
}

/** The JSON lines a handler printed (Powertools logs and EMF metrics), skipping anything else. */
export function jsonLogLines(stdout: string): Array<Record<string, unknown>> {
  return stdout
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
}
