import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

/** The moto release the emulator's gaps were checked against (docs/emulator.md). */
export const MOTO_VERSION = "5.2.1";
export const MOTO_SERVER_BINARY = "moto_server";
export const MOTO_INSTALL_HINT = `pip install 'moto[server]==${MOTO_VERSION}'`;

/** moto_server is not installed, or cannot run: the message names it and how to install it. */
export class MotoMissingError extends Error {
  constructor(detail: string) {
    super(
      `the local AWS emulator needs "${MOTO_SERVER_BINARY}" (moto ${MOTO_VERSION}, a Python package) on PATH, and ${detail}. Install it with: ${MOTO_INSTALL_HINT}`,
    );
    this.name = "MotoMissingError";
  }
}

/** Fails with MotoMissingError unless `moto_server --help` runs; cheap enough to call before any work. */
export function checkMotoServer(env: NodeJS.ProcessEnv = process.env): void {
  const probe = spawnSync(MOTO_SERVER_BINARY, ["--help"], { env, encoding: "utf8", timeout: 60_000 });
  if (probe.error) {
    const code = (probe.error as NodeJS.ErrnoException).code;
    throw new MotoMissingError(
      code === "ENOENT"
        ? `it was not found on PATH (${env.PATH ?? ""})`
        : `it cannot be run (${probe.error.message})`,
    );
  }
  if (probe.status !== 0)
    throw new MotoMissingError(`"${MOTO_SERVER_BINARY} --help" failed: ${probe.stderr}`);
}

/** A port nobody listens on right now; moto binds it a moment later (see the retry in MotoServer.start). */
async function freeLoopbackPort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no loopback port was assigned");
  return address.port;
}

export interface MotoServerOptions {
  /**
   * The account every request lands in (MOTO_ACCOUNT_ID). Leave it unset to serve several accounts from
   * one server: moto then takes the account from each request's `x-moto-account-id` header, which the
   * emulator proxy sets (moto/core/responses.py, `get_current_account`: the variable wins over the header).
   * @default - per request
   */
  readonly accountId?: string;
  /** Environment moto runs with (PATH). @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** How long to wait for moto to answer. @default 60000 */
  readonly readyTimeoutMs?: number;
}

/** moto_server as a child process on a free loopback port, stopped with everything it started. */
export class MotoServer {
  private constructor(
    private readonly child: ChildProcess,
    /** `http://127.0.0.1:<port>` */
    readonly url: string,
    private readonly output: () => string,
  ) {}

  static async start(options: MotoServerOptions = {}): Promise<MotoServer> {
    const env = options.env ?? process.env;
    checkMotoServer(env);
    let lastError: unknown;
    // Another process can take the free port between the probe and moto's bind: try a few ports.
    for (let attempt = 0; attempt < 3; attempt++) {
      const port = await freeLoopbackPort();
      const child = spawn(MOTO_SERVER_BINARY, ["-H", "127.0.0.1", "-p", String(port)], {
        env: {
          ...env,
          // Managed policies (service-role/AWS_ConfigRole) are loaded only on request: without them the
          // policy attachment fails with NoSuchEntity (moto/iam/models.py, `_init_managed_policies`).
          MOTO_IAM_LOAD_MANAGED_POLICIES: "true",
          ...(options.accountId ? { MOTO_ACCOUNT_ID: options.accountId } : {}),
        },
        stdio: ["ignore", "pipe", "pipe"],
        // Its own process group, so stop() ends moto and any worker it forked.
        detached: true,
      });
      const chunks: string[] = [];
      const keep = (chunk: Buffer) => {
        chunks.push(chunk.toString("utf8"));
        if (chunks.length > 200) chunks.splice(0, chunks.length - 200);
      };
      child.stdout?.on("data", keep);
      child.stderr?.on("data", keep);
      const server = new MotoServer(child, `http://127.0.0.1:${port}`, () => chunks.join(""));
      try {
        await server.waitUntilReady(options.readyTimeoutMs ?? 60_000);
        return server;
      } catch (error) {
        lastError = error;
        await server.stop();
      }
    }
    throw lastError;
  }

  private async waitUntilReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let exited: string | undefined;
    this.child.once("exit", (code, signal) => {
      exited = `exited (${code ?? signal}) before answering`;
    });
    while (Date.now() < deadline) {
      if (exited) throw new Error(`${MOTO_SERVER_BINARY} ${exited}:\n${this.output()}`);
      try {
        const response = await fetch(`${this.url}/moto-api/data.json`);
        if (response.ok) return;
      } catch {
        // not listening yet
      }
      await sleep(100);
    }
    throw new Error(
      `${MOTO_SERVER_BINARY} did not answer on ${this.url} within ${timeoutMs} ms:\n${this.output()}`,
    );
  }

  /** Everything moto holds, by service: what a test lists to prove nothing was left behind. */
  async data(): Promise<Record<string, Record<string, unknown>>> {
    const response = await fetch(`${this.url}/moto-api/data.json`);
    if (!response.ok) throw new Error(`moto-api/data.json answered ${response.status}`);
    return (await response.json()) as Record<string, Record<string, unknown>>;
  }

  /** What moto printed last (its request log and any traceback). */
  log(): string {
    return this.output();
  }

  /** Ends moto's whole process group and waits for it; safe to call twice. */
  async stop(): Promise<void> {
    const child = this.child;
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
    const exited = once(child, "exit");
    try {
      process.kill(-child.pid, "SIGTERM");
    } catch {
      return;
    }
    // The grace timer is cancelled once moto exits: left running, it would hold the caller's process (a
    // jest worker) open for its full 5 s.
    const grace = new AbortController();
    const killed = await Promise.race([
      exited.then(() => true),
      sleep(5_000, false, { signal: grace.signal }).catch(() => false),
    ]).finally(() => grace.abort());
    if (!killed) {
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        // already gone
      }
      await exited;
    }
  }
}
