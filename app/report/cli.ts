import { ConfigServiceClient } from "@aws-sdk/client-config-service";
import { AGGREGATOR_NAME } from "../../lib/aggregator";
import type { CommandIo } from "../command-process";
import { loadConfig } from "../config/load";
import { collectNonCompliantInstances, ReportCallError } from "./collect";
import { formatReport, type ReportFormat } from "./format";
import { reportReaderPolicy } from "./reader-policy";

const REPORT_USAGE =
  "usage: npm run report -- [--json | --csv] [--region <aggregator region>] [--aggregator <name>] [--rule <Config rule name>]\n       npm run report -- --reader-policy   (the least IAM policy the report needs)";

/**
 * Read-only calls are cheap to retry: more attempts than the SDK's default 3 ride out the throttling a
 * large organization meets, with the SDK's own jittered backoff.
 */
const REPORT_MAX_ATTEMPTS = 6;

interface ReportOptions {
  readonly format: ReportFormat;
  readonly region: string;
  readonly aggregatorName: string;
  readonly ruleName: string;
}

/** Flags first; what they leave out comes from the ami-guard configuration (its aggregator and rule). */
function parseReportArguments(argv: readonly string[], env: NodeJS.ProcessEnv): ReportOptions {
  const values = new Map<string, string>();
  const formats: ReportFormat[] = [];
  for (let index = 0; index < argv.length; index += 1) {
    const name = argv[index] as string;
    if (name === "--json") formats.push("json");
    else if (name === "--csv") formats.push("csv");
    else if (["--region", "--aggregator", "--rule"].includes(name) && argv[index + 1] !== undefined)
      values.set(name, argv[++index] as string);
    else throw new Error(`unexpected argument ${JSON.stringify(name)}\n${REPORT_USAGE}`);
  }
  if (formats.length > 1) throw new Error(`choose one of --json and --csv\n${REPORT_USAGE}`);
  let region = values.get("--region");
  let ruleName = values.get("--rule");
  if (region === undefined || ruleName === undefined) {
    const config = loadConfig(env);
    region ??= config.aggregator?.region;
    ruleName ??= config.ruleName;
    if (region === undefined) {
      throw new Error(
        `the configuration names no aggregator (aggregator.region); pass --region\n${REPORT_USAGE}`,
      );
    }
  }
  return {
    format: formats[0] ?? "table",
    region,
    ruleName,
    aggregatorName: values.get("--aggregator") ?? AGGREGATOR_NAME,
  };
}

/**
 * Runs the report and returns the exit code: 0 with the report on stdout, 1 when an AWS call failed (a
 * denial names the IAM action), 2 for a bad command line or configuration.
 */
export async function runReportCommand(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  io: CommandIo,
  clientFor: (region: string) => ConfigServiceClient = (region) =>
    new ConfigServiceClient({ region, maxAttempts: REPORT_MAX_ATTEMPTS, retryMode: "standard" }),
): Promise<number> {
  if (argv.includes("--reader-policy")) return printReaderPolicy(env, io);
  let options: ReportOptions;
  try {
    options = parseReportArguments(argv, env);
  } catch (error) {
    io.err(`${(error as Error).message}\n`);
    return 2;
  }
  try {
    const rows = await collectNonCompliantInstances(clientFor(options.region), options);
    io.out(formatReport(rows, options.format));
    return 0;
  } catch (error) {
    if (error instanceof ReportCallError) {
      io.err(
        `report failed: ${error.message}\n(aggregator ${options.aggregatorName} in ${options.region}, rule ${options.ruleName})\n`,
      );
      return 1;
    }
    throw error;
  }
}

/** The least policy a principal in the aggregator's account needs to run the report. */
function printReaderPolicy(env: NodeJS.ProcessEnv, io: CommandIo): number {
  try {
    const aggregator = loadConfig(env).aggregator;
    if (!aggregator) throw new Error("the configuration names no aggregator: there is nothing to read");
    io.out(`${JSON.stringify(reportReaderPolicy(aggregator), null, 2)}\n`);
    return 0;
  } catch (error) {
    io.err(`${(error as Error).message}\n`);
    return 2;
  }
}
