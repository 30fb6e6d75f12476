import { TestEnvironment } from "jest-environment-node";

/** V8's own rendering of a stack: `name: message`, then one `at` line per frame. */
function v8Stack(error: { name?: unknown; message?: unknown }, frames: readonly NodeJS.CallSite[]): string {
  const name = error.name === undefined ? "Error" : String(error.name);
  const message = error.message === undefined ? "" : String(error.message);
  return `${message ? `${name}: ${message}` : name}${frames.map((frame) => `\n    at ${frame}`).join("")}`;
}

/**
 * jest's node environment, with one change: a stack captured on an object that is not an Error is rendered
 * the way V8 renders it, rather than through jest's source maps.
 *
 * cdktf captures a complete stack (`Error.captureStackTrace` on a plain object, with no depth limit) for
 * every token it creates, to say where a token came from should it ever fail to resolve: a stack it keeps
 * and almost never prints. jest maps every frame of every such stack through the source maps of cdktf's
 * and the project's files, about a tenth of the CPU time of the suites that synthesize (measured with
 * --cpu-prof). Errors, and so every failure a test reports, still go through jest's source maps.
 */
export default class ProjectEnvironment extends TestEnvironment {
  constructor(...args: ConstructorParameters<typeof TestEnvironment>) {
    super(...args);
    const testError = this.global.Error;
    testError.prepareStackTrace = (error: unknown, frames: NodeJS.CallSite[]) => {
      // jest installs its formatter on this worker's own Error after the environment is built: read it now.
      const jestFormatter = Error.prepareStackTrace;
      const isError = error instanceof testError || error instanceof Error;
      if (isError && jestFormatter) return jestFormatter(error, frames);
      return v8Stack((error ?? {}) as { name?: unknown; message?: unknown }, frames);
    };
  }
}
