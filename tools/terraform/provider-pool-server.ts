import { ProviderPool, servePool } from "./provider-pool";

/**
 * The provider pool as a process of its own: `node --require tsx/cjs provider-pool-server.ts <socket>`.
 * Not in the test runner's own process, whose event loop a test may block (a `spawnSync` of a command
 * that itself asks the pool for a provider would wait forever). It prints `ready` once it listens, and
 * stops its providers and exits when its standard input closes, which happens however its parent ends.
 */
async function main(): Promise<void> {
  const socketPath = process.argv[2];
  if (!socketPath) throw new Error("usage: provider-pool-server.ts <socket path>");
  const pool = new ProviderPool();
  const server = await servePool(pool, socketPath);
  const stop = () => {
    server.close();
    pool.close().then(() => process.exit(0));
  };
  process.stdin.on("end", stop);
  process.stdin.on("error", stop);
  process.on("SIGTERM", stop);
  process.stdin.resume();
  process.stdout.write("ready\n");
}

main().catch((error: Error) => {
  process.stderr.write(`provider pool: ${error.message}\n`);
  process.exit(1);
});
