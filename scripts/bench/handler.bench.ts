import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import { buildSync } from "esbuild";
import { bundleHandlerSource, HANDLER_ENTRY } from "../../app/lambda-bundle";
import { HANDLER_ENVIRONMENT, POWERTOOLS_ENVIRONMENT } from "../../lib/contract";
import { AwsLoopback } from "../../tools/loopback/aws-loopback";
import { type BenchRow, type BenchSuite, measureProcess, median } from "./harness";

const IMPORT_RUNS = Math.max(10, Number(process.env.AMI_GUARD_BENCH_IMPORT_RUNS ?? 15));
const THROUGHPUT_EVENTS = Number(process.env.AMI_GUARD_BENCH_EVENTS ?? 1000);
const ACCOUNT = "111122223333";
const REGION = "eu-central-1";
const RULE = "approved-amis-by-id";

/** esbuild's defaults for a Node.js bundle: only what it takes to bundle at all. */
function defaultsBundle(): Buffer {
  const result = buildSync({
    entryPoints: [HANDLER_ENTRY],
    bundle: true,
    platform: "node",
    write: false,
    logLevel: "silent",
  });
  const output = result.outputFiles?.[0];
  if (!output) throw new Error("esbuild produced no defaults bundle");
  return Buffer.from(output.contents);
}

/**
 * Cold import: a fresh `node` that only requires the bundle, minus a bare `node -e 0`, so Node's own
 * start-up cancels out. The three kinds of run are interleaved, so drift on the shared machine hits all.
 */
function coldImportMs(files: Readonly<Record<string, string>>): Record<string, number> {
  const samples: Record<string, number[]> = { bare: [] };
  for (const name of Object.keys(files)) samples[name] = [];
  for (let run = 0; run < IMPORT_RUNS; run++) {
    samples.bare?.push(measureProcess(process.execPath, ["-e", "0"]).wallMs);
    for (const [name, file] of Object.entries(files)) {
      samples[name]?.push(
        measureProcess(process.execPath, ["-e", `require(${JSON.stringify(file)})`]).wallMs,
      );
    }
  }
  const bare = median(samples.bare ?? []);
  return Object.fromEntries(
    Object.entries(files).map(([name]) => [name, median(samples[name] ?? []) - bare]),
  );
}

/** Runs N NON_COMPLIANT events through one process against the loopback, one after the other as Lambda does. */
const THROUGHPUT_RUNNER = `
const [bundle, count, resultFile] = process.argv.slice(2);
const { handler } = require(bundle);
const template = JSON.parse(process.env.BENCH_EVENT);
(async () => {
  const started = process.hrtime.bigint();
  for (let i = 0; i < Number(count); i++) {
    const instanceId = "i-" + i.toString(16).padStart(17, "0");
    const event = structuredClone(template);
    event.id = "bench-" + i;
    event.detail.resourceId = instanceId;
    event.detail.newEvaluationResult.evaluationResultIdentifier.evaluationResultQualifier.resourceId = instanceId;
    const result = await handler(event);
    if (result.outcome !== "remediation-started") throw new Error("event " + i + ": " + JSON.stringify(result));
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  require("node:fs").writeFileSync(resultFile, JSON.stringify({
    eventsPerSecond: Number(count) / seconds,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
  }));
})().catch((error) => { console.error(error); process.exit(1); });
`;

function benchEvent(): unknown {
  return {
    version: "0",
    id: "bench",
    "detail-type": "Config Rules Compliance Change",
    source: "aws.config",
    account: ACCOUNT,
    time: new Date().toISOString(),
    region: REGION,
    resources: [],
    detail: {
      resourceId: "i-00000000000000000",
      awsRegion: REGION,
      awsAccountId: ACCOUNT,
      configRuleName: RULE,
      messageType: "ComplianceChangeNotification",
      newEvaluationResult: {
        evaluationResultIdentifier: {
          evaluationResultQualifier: {
            configRuleName: RULE,
            resourceType: "AWS::EC2::Instance",
            resourceId: "i-00000000000000000",
          },
        },
        complianceType: "NON_COMPLIANT",
        resultRecordedTime: new Date().toISOString(),
      },
      resourceType: "AWS::EC2::Instance",
    },
  };
}

async function throughput(
  bundleFile: string,
  workDir: string,
  aws: AwsLoopback,
): Promise<{ eventsPerSecond: number; peakRssMiB: number }> {
  const runner = path.join(workDir, "throughput-runner.js");
  const resultFile = path.join(workDir, `throughput-${path.basename(bundleFile)}.json`);
  writeFileSync(runner, THROUGHPUT_RUNNER);
  // Asynchronous on purpose: the loopback answers from this process's event loop.
  await promisify(execFile)(process.execPath, [runner, bundleFile, String(THROUGHPUT_EVENTS), resultFile], {
    env: {
      AWS_ENDPOINT_URL: aws.url,
      AWS_REGION: REGION,
      AWS_ACCESS_KEY_ID: "AKIDLOOPBACKBENCH",
      AWS_SECRET_ACCESS_KEY: "loopback-secret",
      ...handlerVariables(),
      ...POWERTOOLS_ENVIRONMENT,
      BENCH_EVENT: JSON.stringify(benchEvent()),
    },
    maxBuffer: 512 * 1024 * 1024,
  });
  return JSON.parse(readFileSync(resultFile, "utf8"));
}

/**
 * The function's environment, keyed by the contract's own names: a variable added to the contract and
 * missing here fails the type check, rather than the bench at run time.
 */
function handlerVariables(): Record<(typeof HANDLER_ENVIRONMENT)[keyof typeof HANDLER_ENVIRONMENT], string> {
  return {
    [HANDLER_ENVIRONMENT.ruleName]: RULE,
    [HANDLER_ENVIRONMENT.accountId]: ACCOUNT,
    [HANDLER_ENVIRONMENT.region]: REGION,
    [HANDLER_ENVIRONMENT.dryRun]: "false",
    [HANDLER_ENVIRONMENT.exemptionTagKey]: "ami-guard:exempt",
    [HANDLER_ENVIRONMENT.topicArn]: `arn:aws:sns:${REGION}:${ACCOUNT}:ami-guard-notifications`,
    // An approved AMI other than the one the loopback's instances run, so every event is remediated.
    [HANDLER_ENVIRONMENT.approvedAmiIds]: "ami-0fedcba9876543210",
  };
}

const suite: BenchSuite = {
  name: "handler",
  async run() {
    const workDir = mkdtempSync(path.join(tmpdir(), "ami-guard-bench-handler-"));
    const aws = await AwsLoopback.start();
    try {
      const deployed = bundleHandlerSource();
      const defaults = defaultsBundle();
      const files = {
        deployed: path.join(workDir, "deployed.js"),
        defaults: path.join(workDir, "defaults.js"),
      };
      writeFileSync(files.deployed, deployed);
      writeFileSync(files.defaults, defaults);

      const importMs = coldImportMs(files);
      const deployedRun = await throughput(files.deployed, workDir, aws);
      aws.clear();
      const defaultsRun = await throughput(files.defaults, workDir, aws);

      const rows: BenchRow[] = [
        {
          suite: "handler",
          name: "bundle size, raw",
          value: deployed.length / 1024,
          unit: "KiB",
          baseline: { name: "esbuild defaults", value: defaults.length / 1024 },
          target: "≤ 0.6× defaults",
        },
        {
          suite: "handler",
          name: "bundle size, gzip",
          value: gzipSync(deployed).length / 1024,
          unit: "KiB",
          baseline: { name: "esbuild defaults", value: gzipSync(defaults).length / 1024 },
        },
        {
          suite: "handler",
          name: `cold import, median of ${IMPORT_RUNS} fresh node minus bare node`,
          value: importMs.deployed ?? Number.NaN,
          unit: "ms",
          baseline: { name: "esbuild defaults", value: importMs.defaults ?? Number.NaN },
          target: "≤ 1.0× defaults",
        },
        {
          suite: "handler",
          name: `throughput, ${THROUGHPUT_EVENTS} NON_COMPLIANT events, one process, loopback AWS`,
          value: deployedRun.eventsPerSecond,
          unit: "events/s",
          baseline: { name: "esbuild defaults", value: defaultsRun.eventsPerSecond },
        },
        {
          suite: "handler",
          name: `throughput run: peak RSS`,
          value: deployedRun.peakRssMiB,
          unit: "MiB",
          baseline: { name: "esbuild defaults", value: defaultsRun.peakRssMiB },
          note: "the function has 256 MB",
        },
      ];
      return rows;
    } finally {
      await aws.stop();
      rmSync(workDir, { recursive: true, force: true });
    }
  },
};

export default suite;
