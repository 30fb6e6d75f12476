import { chmodSync, cpSync, existsSync, mkdirSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import type { Server } from "node:http";
import * as path from "node:path";
import { resolveProviderInstallation, terraformEnvironment } from "../../tools/terraform/provider-mirror";
import {
  COMMANDS_PER_PROCESS,
  declaresOneAwsProvider,
  IDLE_PROCESSES,
  installedProviderBinary,
  POOL_VARIABLE,
  PROXY_SOCKET_SUFFIX,
  ProviderPool,
  providerEnvironment,
  servePool,
  startDebugProvider,
  unixSocketOf,
  withPooledProvider,
} from "../../tools/terraform/provider-pool";
import { SchemaScopingProxy } from "../../tools/terraform/schema-proxy";
import { typesInScope } from "../../tools/terraform/schema-scope";
import { checkTerraformBinary, runCommand } from "../../tools/terraform/terraform-cli";
import { terraformTimeout } from "../support/timeouts";
import { scratchFolder } from "./support";

/** A configuration of the shape cdktf writes, planned offline: fake credentials, no call to AWS. */
function offlineConfiguration(providers: ReadonlyArray<Record<string, unknown>>): Record<string, unknown> {
  return {
    terraform: { required_providers: { aws: { source: "hashicorp/aws", version: "5.100.0" } } },
    provider: {
      aws: providers.map((extra) => ({
        region: "eu-central-1",
        access_key: "offline",
        secret_key: "offline",
        skip_credentials_validation: true,
        skip_requesting_account_id: true,
        skip_metadata_api_check: true,
        ...extra,
      })),
    },
    resource: {
      aws_sqs_queue: { dead_letters: { name: "ami-guard-dead-letters", message_retention_seconds: 1209600 } },
      aws_s3_bucket: { history: { bucket: "ami-guard-history-111122223333" } },
    },
  };
}

let root: string;
let baseEnv: NodeJS.ProcessEnv;
let pool: ProviderPool;
let server: Server;
let pooledEnv: NodeJS.ProcessEnv;

/**
 * Terraform initializes the first directory; the others get a copy of what that init installed (the lock
 * file and `.terraform`, whose provider is a link into the mirror), which is what an init of the same
 * configuration would write.
 */
let initialized: string | undefined;
async function initializedDirectory(name: string, configuration: Record<string, unknown>): Promise<string> {
  const dir = path.join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, "cdk.tf.json"), JSON.stringify(configuration));
  if (initialized) {
    for (const installed of [".terraform", ".terraform.lock.hcl"]) {
      cpSync(path.join(initialized, installed), path.join(dir, installed), {
        recursive: true,
        verbatimSymlinks: true,
      });
    }
    return dir;
  }
  const init = await runCommand("terraform", ["init", "-input=false", "-no-color"], {
    cwd: dir,
    env: pooledEnv,
  });
  expect(init.stderr).toBe("");
  expect(init.exitCode).toBe(0);
  initialized = dir;
  return dir;
}

/** The provider `terraform init` installed in `dir`, started there in debug mode outside any pool. */
function startProviderOf(dir: string, env: Record<string, string>) {
  const binary = installedProviderBinary(dir);
  if (!binary) throw new Error(`terraform init installed no aws provider in ${dir}`);
  return startDebugProvider(binary, { cwd: dir, env });
}

/**
 * Terraform's plan as it prints it, and as `show -json` gives it (less the time it was made): the same
 * two resources, attribute by attribute.
 */
async function planOf(dir: string, env: NodeJS.ProcessEnv, planFile: string) {
  const plan = await runCommand("terraform", ["plan", "-input=false", "-no-color", `-out=${planFile}`], {
    cwd: dir,
    env,
  });
  if (plan.exitCode !== 0) throw new Error(`terraform plan failed:\n${plan.stderr}${plan.stdout}`);
  const shown = await runCommand("terraform", ["show", "-json", planFile], { cwd: dir, env });
  if (shown.exitCode !== 0) throw new Error(`terraform show failed:\n${shown.stderr}`);
  const { timestamp: _made, ...json } = JSON.parse(shown.stdout) as Record<string, unknown>;
  return { text: plan.stdout.replace(planFile, "<plan file>"), json };
}

/** A stand-in that prints what a provider in debug mode prints and waits: the pool's bookkeeping alone. */
function standInProvider(): string {
  const standIn = path.join(root, "terraform-provider-aws-stand-in");
  const reattach = `{\\"registry.terraform.io/hashicorp/aws\\":{\\"Pid\\":$$,\\"Addr\\":{\\"Network\\":\\"unix\\",\\"String\\":\\"${root}/stand-in-$$.sock\\"}}}`;
  writeFileSync(standIn, `#!/bin/sh\necho "TF_REATTACH_PROVIDERS='${reattach}'"\nexec sleep 600\n`);
  chmodSync(standIn, 0o755);
  return standIn;
}

beforeAll(async () => {
  await checkTerraformBinary(process.env);
  root = scratchFolder("provider-pool");
  // The commands run with this test's own pool or none, never the run's.
  const withoutRunPool = { ...process.env };
  delete withoutRunPool[POOL_VARIABLE];
  baseEnv = terraformEnvironment(withoutRunPool, resolveProviderInstallation(process.env), root);
  pool = new ProviderPool();
  const socketPath = path.join(root, "pool.sock");
  server = await servePool(pool, socketPath);
  pooledEnv = { ...baseEnv, [POOL_VARIABLE]: socketPath };
}, terraformTimeout(1));

afterAll(async () => {
  await pool?.close();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  if (root) rmSync(root, { recursive: true, force: true });
});

describe("the test run's pool of AWS provider processes", () => {
  test(
    "plans with a lent provider exactly what Terraform plans with a provider of its own",
    async () => {
      const dir = await initializedDirectory("same-plan", offlineConfiguration([{}]));
      const before = { ...pool.counts, schemas: { ...pool.counts.schemas } };
      const own = await planOf(dir, baseEnv, "own.tfplan");
      expect(pool.counts).toEqual(before);
      const lent = await planOf(dir, pooledEnv, "lent.tfplan");
      expect(lent.text).toContain("Plan: 2 to add, 0 to change, 0 to destroy.");
      expect(lent.text).toEqual(own.text);
      expect(lent.json).toEqual(own.json);
      expect(pool.counts.leases - before.leases).toBe(2);
      expect(pool.counts.started - before.started).toBe(1);
      // Both commands got the schema of the directory's two types only; the second, the provider's copy.
      expect(pool.counts.schemas.scoped - before.schemas.scoped).toBe(2);
      expect(pool.counts.schemas.fromCopy - before.schemas.fromCopy).toBe(1);
    },
    terraformTimeout(2),
  );

  test("keeps a process to one directory and one environment, started in that directory, and reuses it there", async () => {
    const standIn = standInProvider();
    const keyed = new ProviderPool();
    try {
      const dirs = ["keyed-a", "keyed-b"].map((name) => {
        const dir = path.join(root, name);
        mkdirSync(dir, { recursive: true });
        return dir;
      });
      const env = { AWS_DEFAULT_REGION: "eu-central-1" };
      const lendOnce = async (dir: string, providerEnv: Record<string, string>) => {
        const lease = await keyed.lease({ binary: standIn, dir, env: providerEnv });
        keyed.release(lease.id);
        return lease.reattach;
      };
      // Two commands at once, one per directory (two in one would wait on each other's state lock).
      const [a, b] = await Promise.all(dirs.map((dir) => lendOnce(dir, env)));
      expect(a).not.toBe(b);
      expect(keyed.counts.started).toBe(2);
      // Each process runs in its directory, as Terraform starts its provider: relative paths resolve there.
      expect(
        keyed
          .processIds()
          .map((pid) => realpathSync(`/proc/${pid}/cwd`))
          .sort(),
      ).toEqual(dirs.map((dir) => realpathSync(dir)).sort());
      expect(await lendOnce(dirs[1] as string, env)).toBe(b);
      expect(keyed.counts.started).toBe(2);
      const otherRegion = await lendOnce(dirs[0] as string, { AWS_DEFAULT_REGION: "eu-west-1" });
      expect(otherRegion).not.toBe(a);
      expect(keyed.counts.started).toBe(3);
    } finally {
      await keyed.close();
    }
  });

  test("runs a configuration with an aliased aws provider without the pool", async () => {
    const dir = path.join(root, "aliased");
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      path.join(dir, "cdk.tf.json"),
      JSON.stringify(offlineConfiguration([{}, { alias: "replica", region: "eu-west-1" }])),
    );
    expect(declaresOneAwsProvider(dir)).toBe(false);
    const before = { ...pool.counts };
    const seen = await withPooledProvider(
      ["plan", "-input=false"],
      { cwd: dir, env: pooledEnv },
      async (env) => env,
    );
    expect(seen.TF_REATTACH_PROVIDERS).toBeUndefined();
    expect(pool.counts).toEqual(before);
  });

  test("starts each process with the provider's own settings only, keyed by all of them", () => {
    const kept = providerEnvironment({
      AWS_ACCESS_KEY_ID: "111122223333",
      AWS_ENDPOINT_URL: "http://127.0.0.1:5000",
      AWS_CONFIG_FILE: "/work/empty-aws-config",
      AWS_SHARED_CREDENTIALS_FILE: "/work/empty-aws-config",
      AWS_CA_BUNDLE: "/etc/ssl/certs/ca-certificates.crt",
      HTTPS_PROXY: "http://proxy:3128",
      TF_CLI_CONFIG_FILE: "/tmp/terraform.tfrc",
      JEST_WORKER_ID: "2",
      PATH: "/usr/bin",
    });
    expect(kept).toEqual({
      AWS_ACCESS_KEY_ID: "111122223333",
      AWS_CONFIG_FILE: "/work/empty-aws-config",
      AWS_ENDPOINT_URL: "http://127.0.0.1:5000",
      AWS_SHARED_CREDENTIALS_FILE: "/work/empty-aws-config",
      HTTPS_PROXY: "http://proxy:3128",
      TF_LOG_PROVIDER: "off",
      TF_LOG_SDK: "off",
    });
  });

  test(
    "stops every provider it started when it closes, removes their sockets, and lends none after",
    async () => {
      const dir = await initializedDirectory("closing", offlineConfiguration([{}]));
      const closing = new ProviderPool();
      const binary = installedProviderBinary(dir) as string;
      const lease = await closing.lease({ binary, dir, env: providerEnvironment(baseEnv) });
      closing.release(lease.id);
      const running = closing.processIds();
      expect(running).toHaveLength(1);
      // Terraform attaches to the proxy's socket, which listens beside the provider's own.
      const proxySocket = unixSocketOf(lease.reattach) as string;
      expect(proxySocket.endsWith(PROXY_SOCKET_SUFFIX)).toBe(true);
      const sockets = [proxySocket, proxySocket.slice(0, -PROXY_SOCKET_SUFFIX.length)];
      for (const socket of sockets) expect(existsSync(socket)).toBe(true);
      await closing.close();
      for (const pid of running) expect(() => process.kill(pid, 0)).toThrow(/ESRCH/);
      // Nor their sockets: a provider stopped by a signal leaves its own behind.
      for (const socket of sockets) expect(existsSync(socket)).toBe(false);
      await expect(closing.lease({ binary, dir, env: providerEnvironment(baseEnv) })).rejects.toThrow(
        "the provider pool is closed",
      );
    },
    terraformTimeout(1),
  );

  test("over a long run, replaces a process after its share of commands and keeps only a few idle", async () => {
    const standIn = standInProvider();
    const longRun = new ProviderPool();
    try {
      const lendOnce = async (dir: string) => {
        const lease = await longRun.lease({ binary: standIn, dir, env: {} });
        longRun.release(lease.id);
        return lease.reattach;
      };
      const first = await lendOnce(root);
      for (let command = 1; command < COMMANDS_PER_PROCESS; command++)
        expect(await lendOnce(root)).toBe(first);
      expect(await lendOnce(root)).not.toBe(first);
      expect(longRun.counts).toMatchObject({ started: 2, leases: COMMANDS_PER_PROCESS + 1 });
      // One directory after another, as a run's stacks come and go: only the most recent stay.
      const dirs = Array.from({ length: IDLE_PROCESSES + 3 }, (_, index) => {
        const dir = path.join(root, `idle-${index}`);
        mkdirSync(dir, { recursive: true });
        return dir;
      });
      for (const dir of dirs) await lendOnce(dir);
      expect(longRun.processIds()).toHaveLength(IDLE_PROCESSES);
    } finally {
      await longRun.close();
    }
  });

  test(
    "sends Terraform the schema of the directory's types, and a type left out stops the command, naming it",
    async () => {
      const dir = await initializedDirectory("scoped", offlineConfiguration([{}]));
      expect([...(typesInScope(dir) ?? [])].sort()).toEqual(["aws_s3_bucket", "aws_sqs_queue"]);
      const { child: provider, reattach } = await startProviderOf(dir, providerEnvironment(baseEnv));
      const providerSocket = unixSocketOf(reattach) as string;
      const counts = { scoped: 0, whole: 0, fromCopy: 0 };
      const proxy = await SchemaScopingProxy.start(providerSocket, `${providerSocket}.scoped`, counts);
      try {
        const [[name, attach]] = Object.entries(JSON.parse(reattach)) as [[string, Record<string, unknown>]];
        const env = {
          ...baseEnv,
          TF_REATTACH_PROVIDERS: JSON.stringify({
            [name]: { ...attach, Addr: { Network: "unix", String: proxy.socketPath } },
          }),
        };
        const validate = () => runCommand("terraform", ["validate", "-no-color"], { cwd: dir, env });
        proxy.scopeTo(new Set(["aws_sqs_queue"]));
        const withoutBucket = await validate();
        expect(withoutBucket.exitCode).toBe(1);
        expect(withoutBucket.stderr).toContain("Invalid resource type");
        expect(withoutBucket.stderr).toContain(
          'The provider hashicorp/aws does not support resource type "aws_s3_bucket"',
        );
        proxy.scopeTo(typesInScope(dir));
        const scoped = await validate();
        expect(scoped.stderr).toBe("");
        expect(scoped.exitCode).toBe(0);
        // The provider says Terraform may use a cached copy of its schema: the second came from the proxy's.
        expect(counts).toEqual({ scoped: 2, whole: 0, fromCopy: 1 });
      } finally {
        provider.kill("SIGTERM");
        await proxy.close();
      }
    },
    terraformTimeout(2),
  );

  test(
    "drops AWS_CA_BUNDLE because a provider started with it fails its second configuration",
    async () => {
      const dir = await initializedDirectory("ca-bundle", offlineConfiguration([{}]));
      const bundle = process.env.SSL_CERT_FILE ?? "/etc/ssl/certs/ca-certificates.crt";
      const { child: provider, reattach } = await startProviderOf(dir, {
        ...providerEnvironment(baseEnv),
        AWS_CA_BUNDLE: bundle,
      });
      try {
        const env = { ...baseEnv, TF_REATTACH_PROVIDERS: reattach };
        const plan = () => runCommand("terraform", ["plan", "-input=false", "-no-color"], { cwd: dir, env });
        const first = await plan();
        const second = await plan();
        expect(first.exitCode).toBe(0);
        expect(second.exitCode).toBe(1);
        expect(second.stderr).toContain("unable to add custom RootCAs HTTPClient");
      } finally {
        provider.kill("SIGTERM");
      }
    },
    terraformTimeout(2),
  );
});
