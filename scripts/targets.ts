import { parseArgs } from "node:util";
import { ConfigError, loadConfig } from "../app/config/load";
import { parseShard, shardMatrix, stacksOfShard } from "../app/shards";
import { formatStackListing, listStacks } from "../app/targets";

// `npm run targets [-- --json]`: the stacks the configuration (AMI_GUARD_CONFIG or the default) deploys.
// `--shards [--stacks-per-shard N]` prints the CI matrix for them (`{"shard":["1/3","2/3","3/3"]}`), and
// `--shard I/N` the names of one shard's stacks, one per line: what any runner's matrix job needs.
try {
  const { values } = parseArgs({
    options: {
      json: { type: "boolean", default: false },
      shards: { type: "boolean", default: false },
      shard: { type: "string" },
      "stacks-per-shard": { type: "string" },
    },
    strict: true,
  });
  const rows = listStacks(loadConfig());
  if (values.shards) {
    const perShard =
      values["stacks-per-shard"] === undefined ? {} : { stacksPerShard: Number(values["stacks-per-shard"]) };
    process.stdout.write(`${JSON.stringify(shardMatrix(rows.length, perShard))}\n`);
  } else if (values.shard) {
    const names = stacksOfShard(
      rows.map((row) => row.stack),
      parseShard(values.shard),
    );
    process.stdout.write(names.map((name) => `${name}\n`).join(""));
  } else {
    process.stdout.write(
      values.json ? `${JSON.stringify(rows, null, 2)}\n` : `${formatStackListing(rows)}\n`,
    );
  }
} catch (error) {
  if (
    !(error instanceof ConfigError) &&
    !(error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS") &&
    !(error instanceof Error && error.message.startsWith("--shard"))
  )
    throw error;
  process.stderr.write(`${(error as Error).message}\n`);
  process.exitCode = 1;
}
