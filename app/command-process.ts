/** Where a command writes: standard output and standard error in a process, strings in a test. */
export interface CommandIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

/**
 * Runs a command as this process: what it returns is the exit code. An error it did not expect is printed
 * after `failure` and exits 1, so nothing waiting on the command takes it for a success.
 */
export function runAsProcess(
  failure: string,
  command: (io: CommandIo) => Promise<number>,
  options: { readonly withStack: boolean },
): void {
  command({
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
  }).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      const detail =
        error instanceof Error
          ? options.withStack
            ? (error.stack ?? error.message)
            : error.message
          : String(error);
      process.stderr.write(`${failure}: ${detail}\n`);
      process.exitCode = 1;
    },
  );
}
