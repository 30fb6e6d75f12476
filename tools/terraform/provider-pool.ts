import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, realpathSync, rmSync } from "node:fs";
import { createServer, request, type Server } from "node:http";
import * as path from "node:path";
import { type SchemaCounts, SchemaScopingProxy } from "./schema-proxy";
import { typesInScope } from "./schema-scope";

/**
 * A test run's pool of AWS provider processes, each started once in debug mode and lent to one terraform
 * command at a time through TF_REATTACH_PROVIDERS. Starting the 675 MB provider and sending Terraform its
 * schema is most of what a small plan costs (about 5 of its 5.5 CPU-seconds here;
 * `AMI_GUARD_BENCH_TESTS_POOL_BASELINE=1 npm run bench -- tests` measures the suite with and without the
 * pool). Debug mode is HashiCorp's documented way to run a provider outside Terraform and attach to it
 * (https://developer.hashicorp.com/terraform/plugin/debugging#starting-a-provider-in-debug-mode);
 * a provider started with `Test: true` in that variable is not stopped by the command that used it.
 *
 * Three rules keep a lent provider equivalent to the one Terraform would have started itself:
 * - One command at a time per process: a provider keeps one configuration (ConfigureProvider replaces it),
 *   so two commands sharing a process would call AWS with each other's settings. For the same reason a
 *   working directory that declares more than one aws provider configuration (an alias, a module) is run
 *   without the pool: Terraform would configure each of them in the one process.
 * - The process gets only the environment that the key names, so two commands share a process only when
 *   everything the provider could read from its environment is the same for both.
 * - The binary is the one `terraform init` linked into the working directory, never another, and the
 *   process runs in that directory, as Terraform starts it: the provider opens relative paths (a Lambda
 *   function's `filename`) from its own working directory. So a process serves one directory's commands
 *   (an emulated stack's apply, plans and destroy); each new directory starts one.
 *
 * Each process is lent behind a proxy of its own (schema-proxy.ts) that passes every call through but the
 * schema, which it sends scoped to the types the command's directory names in its configuration and local
 * state (schema-scope.ts): Terraform decodes a schema of a few types instead of 2,141. A type left
 * out stops the command with an error naming it, so scoping can fail a command, never change its plan;
 * `npm run bench -- provider-schema` measures it.
 *
 * The pool is a process of its own that jest's global setup starts (startPoolProcess) and that answers on
 * a Unix socket whose path is in POOL_VARIABLE, so every jest worker and every command they start (a
 * workflow step that runs `npm run plan`) shares it. Without the variable, commands run as they always do.
 */
export const POOL_VARIABLE = "AMI_GUARD_TERRAFORM_PROVIDER_POOL";

/** What the provider reads from its environment: the AWS SDK's settings, Go's runtime, proxy and TLS settings. */
const PROVIDER_ENVIRONMENT = [
  /^AWS_/,
  /^GO(MAXPROCS|GC|MEMLIMIT)$/,
  /^TF_APPEND_USER_AGENT$/,
  /^(HTTP|HTTPS|NO)_PROXY$/i,
  /^SSL_CERT_(FILE|DIR)$/,
  /^HOME$/,
  /^TMPDIR$/,
];

/**
 * A second ConfigureProvider in a process started with AWS_CA_BUNDLE fails ("unable to add custom RootCAs
 * HTTPClient, has no WithTransportOptions, *http.Client"): the bundle is added to an HTTP client the first
 * configuration already replaced. Seen with provider 5.100.0; `provider-pool.test.ts` runs two plans in one
 * process to show it. The bundle only matters for HTTPS endpoints, and pooled commands reach none: offline
 * plans call nothing, and the emulator answers on loopback HTTP.
 */
const DROPPED_FOR_RECONFIGURATION = ["AWS_CA_BUNDLE"];

/** A lent provider's proxy (schema-proxy.ts) listens beside the provider's own socket, on its path plus this. */
export const PROXY_SOCKET_SUFFIX = ".scoped";

/** Commands that never start a provider: nothing to lend. `init` also installs what later commands run. */
const COMMANDS_WITHOUT_PROVIDER = new Set(["init", "fmt", "version", "output", "workspace", "providers"]);

/** A process serves this many commands, then is replaced, so no test run depends on a long-lived one. */
export const COMMANDS_PER_PROCESS = 40;

/**
 * Idle processes kept for another command in their directory; beyond this the longest idle stops. Up to
 * about 720 MB each at the test run's GOGC (go-runtime.ts): with the three jest workers' commands running,
 * a run holds a few GB at most.
 */
export const IDLE_PROCESSES = 4;

const AWS_PROVIDER_DIR = path.join("registry.terraform.io", "hashicorp", "aws");

/**
 * Started by Terraform, a provider's log lines go to Terraform, which keeps them only when TF_LOG asks. A
 * lent one would write them (about 1.3 MB a plan) to a pipe nobody reads, so it logs nothing; a command run
 * with TF_LOG set runs without the pool, where its logs reach it.
 */
const SILENT = { TF_LOG_PROVIDER: "off", TF_LOG_SDK: "off" };

/** The environment a provider process starts with, keyed by everything in it. */
export function providerEnvironment(env: NodeJS.ProcessEnv): Record<string, string> {
  const kept: Record<string, string> = { ...SILENT };
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || DROPPED_FOR_RECONFIGURATION.includes(name)) continue;
    if (PROVIDER_ENVIRONMENT.some((pattern) => pattern.test(name))) kept[name] = value;
  }
  return Object.fromEntries(Object.entries(kept).sort(([a], [b]) => a.localeCompare(b)));
}

/**
 * The aws provider binary `terraform init` installed in `dir` (a link into the mirror, resolved), or
 * undefined when there is not exactly one.
 */
export function installedProviderBinary(dir: string): string | undefined {
  const root = path.join(dir, ".terraform", "providers", AWS_PROVIDER_DIR);
  if (!existsSync(root)) return undefined;
  const binaries = readdirSync(root).flatMap((version) =>
    readdirSync(path.join(root, version)).flatMap((platform) => {
      const platformDir = path.join(root, version, platform);
      return readdirSync(platformDir)
        .filter((file) => file.startsWith("terraform-provider-aws"))
        .map((file) => realpathSync(path.join(platformDir, file)));
    }),
  );
  return binaries.length === 1 ? binaries[0] : undefined;
}

/**
 * True when every configuration file in `dir` is JSON and together they declare one aws provider
 * configuration at most, with no alias and no module: then Terraform configures one provider instance.
 */
export function declaresOneAwsProvider(dir: string): boolean {
  const files = readdirSync(dir);
  if (files.some((file) => file.endsWith(".tf"))) return false;
  for (const file of files.filter((name) => name.endsWith(".tf.json"))) {
    const parsed = JSON.parse(readFileSync(path.join(dir, file), "utf8")) as {
      provider?: Record<string, unknown>;
      module?: unknown;
    };
    if (parsed.module !== undefined) return false;
    const aws = parsed.provider?.aws;
    const configurations = aws === undefined ? [] : Array.isArray(aws) ? aws : [aws];
    if (configurations.length > 1) return false;
    if (configurations.some((entry) => typeof entry === "object" && entry !== null && "alias" in entry))
      return false;
  }
  return true;
}

interface PooledProcess {
  readonly key: string;
  readonly child: ChildProcess;
  readonly proxy: SchemaScopingProxy;
  readonly reattach: string;
  busy: boolean;
  commands: number;
  idleSince: number;
}

/** What a lease asks for: the binary `terraform init` linked, the directory, the provider's environment. */
export interface LeaseRequest {
  readonly binary: string;
  readonly dir: string;
  readonly env: Record<string, string>;
  /** The provider's whole schema, not one scoped to the directory's types: for a command given `-state`. */
  readonly wholeSchema?: boolean;
}

/** Provider processes by binary and environment; each lent to one command at a time. */
export class ProviderPool {
  private readonly processes = new Set<PooledProcess>();
  private readonly leases = new Map<string, PooledProcess>();
  private nextLease = 1;
  private clock = 0;
  private closed = false;
  /** Processes started and commands served, for the run's summary and the pool's tests. */
  readonly counts: { started: number; leases: number; schemas: SchemaCounts } = {
    started: 0,
    leases: 0,
    schemas: { scoped: 0, whole: 0, fromCopy: 0 },
  };

  async lease(request: LeaseRequest): Promise<{ id: string; reattach: string }> {
    if (this.closed) throw new Error("the provider pool is closed");
    const key = JSON.stringify([request.binary, request.dir, request.env]);
    let process = [...this.processes].find((candidate) => candidate.key === key && !candidate.busy);
    if (!process) process = await this.start(key, request);
    process.proxy.scopeTo(request.wholeSchema ? undefined : typesInScope(request.dir));
    process.busy = true;
    process.commands += 1;
    this.counts.leases += 1;
    const id = String(this.nextLease++);
    this.leases.set(id, process);
    return { id, reattach: process.reattach };
  }

  release(id: string): void {
    const process = this.leases.get(id);
    if (!process) throw new Error(`no provider lease ${id}`);
    this.leases.delete(id);
    process.busy = false;
    process.idleSince = this.clock++;
    if (process.commands >= COMMANDS_PER_PROCESS || process.child.exitCode !== null) this.stop(process);
    const idle = [...this.processes].filter((candidate) => !candidate.busy);
    idle.sort((a, b) => a.idleSince - b.idleSince);
    for (const stale of idle.slice(0, Math.max(0, idle.length - IDLE_PROCESSES))) this.stop(stale);
  }

  /** The process ids of the providers running now. */
  processIds(): number[] {
    return [...this.processes].flatMap((process) => (process.child.pid ? [process.child.pid] : []));
  }

  /** Stops every provider and resolves once each has exited, so a run leaves none behind. */
  async close(): Promise<void> {
    this.closed = true;
    const children = [...this.processes].map((process) => process.child);
    const exited = children.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) resolve();
          else child.once("exit", () => resolve());
        }),
    );
    for (const process of this.processes) this.stop(process);
    await Promise.all(exited);
  }

  private stop(process: PooledProcess): void {
    this.processes.delete(process);
    // Its exit closes the proxy in front of it (start).
    process.child.kill("SIGTERM");
  }

  private async start(key: string, request: LeaseRequest): Promise<PooledProcess> {
    const { child, reattach } = await startDebugProvider(request.binary, {
      cwd: request.dir,
      env: request.env,
    });
    const providerSocket = unixSocketOf(reattach);
    if (!providerSocket) {
      child.kill("SIGTERM");
      throw new Error(`the aws provider ${request.binary} listens on no Unix socket: ${reattach}`);
    }
    const proxySocket = `${providerSocket}${PROXY_SOCKET_SUFFIX}`;
    const proxy = await SchemaScopingProxy.start(providerSocket, proxySocket, this.counts.schemas);
    child.once("exit", () => {
      void proxy.close();
      rmSync(proxySocket, { force: true });
    });
    const pooled: PooledProcess = {
      key,
      child,
      proxy,
      reattach: withAddress(reattach, proxySocket),
      busy: false,
      commands: 0,
      idleSince: 0,
    };
    this.processes.add(pooled);
    this.counts.started += 1;
    child.once("exit", () => this.processes.delete(pooled));
    return pooled;
  }
}

/** The Unix socket a TF_REATTACH_PROVIDERS value names, if it names one. */
export function unixSocketOf(reattach: string): string | undefined {
  try {
    const providers = JSON.parse(reattach) as Record<
      string,
      { Addr?: { Network?: string; String?: string } }
    >;
    const addr = Object.values(providers)[0]?.Addr;
    return addr?.Network === "unix" ? addr.String : undefined;
  } catch {
    // Terraform itself refuses a value that is not JSON, naming it: nothing to clean up here.
    return undefined;
  }
}

/** `reattach` with its provider's address replaced by the Unix socket `socketPath`; the process id stays. */
function withAddress(reattach: string, socketPath: string): string {
  const providers = JSON.parse(reattach) as Record<string, { Addr?: unknown }>;
  return JSON.stringify(
    Object.fromEntries(
      Object.entries(providers).map(([name, value]) => [
        name,
        { ...value, Addr: { Network: "unix", String: socketPath } },
      ]),
    ),
  );
}

/**
 * Starts the provider `binary` in debug mode and resolves with the process and the TF_REATTACH_PROVIDERS
 * value it prints, or rejects with what it printed when it cannot start.
 */
export function startDebugProvider(
  binary: string,
  options: { readonly cwd: string; readonly env: Record<string, string> },
): Promise<{ child: ChildProcess; reattach: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, ["-debug"], { ...options, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    const collect = (chunk: Buffer) => {
      output += chunk.toString("utf8");
    };
    const fail = (reason: string) => {
      child.kill("SIGKILL");
      reject(new Error(`the aws provider ${binary} did not start in debug mode: ${reason}\n${output}`));
    };
    const onError = (error: Error) => fail(error.message);
    const onExit = (code: number | null, signal: NodeJS.Signals | null) =>
      fail(`it exited (${signal ?? code}) before printing how to attach`);
    const onData = (chunk: Buffer) => {
      collect(chunk);
      // The provider prints the value to export: TF_REATTACH_PROVIDERS='{...}'
      const match = /TF_REATTACH_PROVIDERS='([^']+)'/.exec(output);
      if (!match?.[1]) return;
      child.stdout?.off("data", onData);
      child.stderr?.off("data", collect);
      child.off("error", onError);
      child.off("exit", onExit);
      // Drain what it logs later, so a full pipe never blocks it.
      child.stdout?.resume();
      child.stderr?.resume();
      // Stopped by a signal, the provider leaves its socket in TMPDIR (seen after every SIGTERM).
      const socket = unixSocketOf(match[1]);
      if (socket) child.once("exit", () => rmSync(socket, { force: true }));
      resolve({ child, reattach: match[1] });
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", collect);
    child.once("error", onError);
    child.once("exit", onExit);
  });
}

/** Serves `pool` on a Unix socket: POST /lease (a LeaseRequest) → {id, reattach}; POST /release {id}. */
export function servePool(pool: ProviderPool, socketPath: string): Promise<Server> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const answer = async (): Promise<unknown> => {
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}");
        if (req.url === "/lease") return pool.lease(body as LeaseRequest);
        if (req.url === "/release") {
          pool.release(body.id);
          return {};
        }
        throw new Error(`unknown request ${req.url}`);
      };
      answer().then(
        (value) => {
          res.writeHead(200, { "content-type": "application/json" });
          res.end(JSON.stringify(value));
        },
        (error: Error) => {
          res.writeHead(500, { "content-type": "text/plain" });
          res.end(error.message);
        },
      );
    });
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(socketPath, () => resolve(server));
  });
}

function ask(socketPath: string, route: string, body: unknown): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path: route, method: "POST" }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        if (res.statusCode === 200) resolve(JSON.parse(text));
        else reject(new Error(`the provider pool at ${socketPath} refused ${route}: ${text}`));
      });
    });
    req.once("error", (error) =>
      reject(
        new Error(
          `the provider pool at ${socketPath} (${POOL_VARIABLE}) cannot be reached: ${error.message}`,
        ),
      ),
    );
    req.end(JSON.stringify(body));
  });
}

/**
 * Runs `work` with the environment a terraform command should get: with a lent provider when the pool is
 * on and the command and working directory qualify, as given otherwise. The lease ends when `work` does.
 */
export async function withPooledProvider<T>(
  args: readonly string[],
  options: { readonly cwd?: string; readonly env: NodeJS.ProcessEnv },
  work: (env: NodeJS.ProcessEnv) => Promise<T>,
): Promise<T> {
  const socketPath = options.env[POOL_VARIABLE];
  const command = args.find((arg) => !arg.startsWith("-"));
  const dir = options.cwd ?? process.cwd();
  const qualifies =
    socketPath &&
    command &&
    !COMMANDS_WITHOUT_PROVIDER.has(command) &&
    !options.env.TF_REATTACH_PROVIDERS &&
    !Object.keys(options.env).some((name) => name.startsWith("TF_LOG"));
  const binary = qualifies ? installedProviderBinary(dir) : undefined;
  if (!socketPath || !binary || !declaresOneAwsProvider(dir)) return work(options.env);
  const request: LeaseRequest = {
    binary,
    dir: path.resolve(dir),
    env: providerEnvironment(options.env),
    // A state file named on the command line may hold types the directory does not show.
    wholeSchema: args.some((arg) => /^-state(-out)?(=|$)/.test(arg)),
  };
  const lease = (await ask(socketPath, "/lease", request)) as { id: string; reattach: string };
  try {
    return await work({ ...options.env, TF_REATTACH_PROVIDERS: lease.reattach });
  } finally {
    await ask(socketPath, "/release", { id: lease.id });
  }
}

/** The pool server started in a process of its own (provider-pool-server.ts), and how to stop it. */
export interface PoolProcess {
  readonly socketPath: string;
  stop(): Promise<void>;
}

export function startPoolProcess(socketPath: string): Promise<PoolProcess> {
  const child = spawn(
    process.execPath,
    ["--require", require.resolve("tsx/cjs"), path.join(__dirname, "provider-pool-server.ts"), socketPath],
    { stdio: ["pipe", "pipe", "inherit"] },
  );
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return new Promise((resolve, reject) => {
    let output = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8");
      if (!output.includes("ready\n")) return;
      child.stdout?.removeAllListeners("data");
      child.stdout?.resume();
      resolve({
        socketPath,
        stop: async () => {
          // Closing its input is the signal it stops on, whatever ended the run.
          child.stdin?.end();
          await exited;
        },
      });
    });
    child.once("exit", (code) =>
      reject(new Error(`the provider pool process exited (${code}) before it was ready: ${output}`)),
    );
  });
}
