import {
  accessSync,
  chmodSync,
  closeSync,
  constants,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  writeFileSync,
} from "node:fs";
import * as path from "node:path";

/** The commands the fast tier must never run, and the log of any attempt. */
export const TRIPWIRE_BINARIES = ["terraform", "tofu", "moto_server"] as const;
export const TRIPWIRE_LOG_VARIABLE = "AMI_GUARD_FAST_TIER_TRIPWIRE_LOG";
/** The exit status of a refused command: distinct from terraform's own 1 and a shell's 126/127. */
export const TRIPWIRE_EXIT_STATUS = 97;

/** Marks a tripwire script, so a second set of tripwires never takes the first for the real binary. */
const TRIPWIRE_MARKER = "# ami-guard fast-tier tripwire";

/**
 * The real binary on `searchPath`, skipping tripwires: resolved once, as an absolute path, because a
 * tripwire that looked the binary up again at run time would find itself (or another tripwire) and exec it
 * forever when tripwires are installed twice (a test of the tripwires inside the fast tier).
 */
function realBinary(binary: string, searchPath: string): string | undefined {
  for (const folder of searchPath.split(path.delimiter)) {
    if (!folder) continue;
    const candidate = path.join(folder, binary);
    try {
      accessSync(candidate, constants.X_OK);
      if (head(candidate, 200).includes(TRIPWIRE_MARKER)) continue;
      return candidate;
    } catch {
      // not here, or not executable: keep looking
    }
  }
  return undefined;
}

/** The first bytes of a file: enough to recognize a tripwire without reading a 100 MB terraform binary. */
function head(file: string, bytes: number): string {
  const descriptor = openSync(file, "r");
  try {
    const buffer = Buffer.alloc(bytes);
    return buffer.subarray(0, readSync(descriptor, buffer, 0, bytes, 0)).toString("latin1");
  } finally {
    closeSync(descriptor);
  }
}

/**
 * A shell script standing in for `binary`: `fmt` and `version` run the real one (found on the PATH the run
 * started with); anything else is logged and refused with a message saying where slow suites are listed.
 */
function tripwireScript(binary: string, real: string | undefined): string {
  const runReal = real ? `exec '${real}' "$@"` : `echo "${binary} is not on PATH" >&2; exit 127`;
  const passThrough =
    binary === "moto_server"
      ? ""
      : `case "$1" in fmt|version|-version|--version)
  ${runReal};;
esac
`;
  return `#!/bin/sh
${TRIPWIRE_MARKER}
${passThrough}printf '%s\\n' "${binary} $* (in $PWD)" >> "$${TRIPWIRE_LOG_VARIABLE}"
echo "${binary} $*: the fast tier (npm run test:fast) runs no ${binary}; list this suite in jest.tiers.js" >&2
exit ${TRIPWIRE_EXIT_STATUS}
`;
}

/** Writes the tripwires into `folder` and puts them first on this process's PATH (jest workers inherit it). */
export function installTripwires(folder: string, env: NodeJS.ProcessEnv = process.env): void {
  mkdirSync(folder, { recursive: true });
  for (const binary of TRIPWIRE_BINARIES) {
    const file = path.join(folder, binary);
    writeFileSync(file, tripwireScript(binary, realBinary(binary, env.PATH ?? "")));
    chmodSync(file, 0o755);
  }
  const log = path.join(folder, "tripwire.log");
  writeFileSync(log, "");
  env[TRIPWIRE_LOG_VARIABLE] = log;
  env.PATH = `${folder}${path.delimiter}${env.PATH ?? ""}`;
}

/** Every refused command, one a line. */
export function trippedCommands(env: NodeJS.ProcessEnv = process.env): string[] {
  const log = env[TRIPWIRE_LOG_VARIABLE];
  if (!log) return [];
  return readFileSync(log, "utf8")
    .split("\n")
    .filter((line) => line.length > 0);
}
