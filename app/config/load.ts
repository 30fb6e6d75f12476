import { readFileSync } from "node:fs";
import * as path from "node:path";
import { DEFAULT_NAME_PREFIX } from "../../lib/names";
import { defaultRuleName } from "../../lib/pipeline-names";
import type { AutomaticRetrySettings } from "../../lib/remediation";
import { stackNameFor } from "../stack-names";
import type { AmiGuardConfig } from "./index";
import { configSchema } from "./schema";
import { resolveTargets } from "./targets";

export const DEFAULT_CONFIG_FILE = "ami-guard.config.json";
export const CONFIG_PATH_VARIABLE = "AMI_GUARD_CONFIG";

export const DEFAULT_AUTOMATIC_RETRY: AutomaticRetrySettings = {
  maximumAutomaticAttempts: 5,
  retryAttemptSeconds: 60,
};
export const DEFAULT_EXEMPTION_TAG_KEY = "ami-guard:exempt";

/** Every problem in a configuration, one per line, each starting with the field it is about. */
export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: readonly string[],
  ) {
    super(
      `${source}: ${problems.length} problem${problems.length === 1 ? "" : "s"} in the ami-guard configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`,
    );
    this.name = "ConfigError";
  }
}

/**
 * The configuration for a command, or undefined once its problems are on stderr with what the command
 * therefore did not do (`consequence`, such as "Nothing was changed.") and the exit code is 1.
 */
export function loadConfigForCommand(consequence: string): AmiGuardConfig | undefined {
  try {
    return loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n${consequence}\n`);
    process.exitCode = 1;
    return undefined;
  }
}

/** The configuration's warnings as the commands print them, one `warning:` line each; "" when none. */
export function formatWarnings(config: AmiGuardConfig): string {
  return (config.warnings ?? []).map((warning) => `warning: ${warning}\n`).join("");
}

/** `targets[0].accountId`, the way a reader finds the field in the JSON file. */
function formatFieldPath(fieldPath: readonly PropertyKey[]): string {
  if (fieldPath.length === 0) return "(the whole file)";
  return fieldPath.reduce<string>((text, key) => {
    if (typeof key === "number") return `${text}[${key}]`;
    const name = String(key);
    return text === "" ? name : `${text}.${name}`;
  }, "");
}

/**
 * Validates raw JSON and resolves target groups and defaults into one target per account and region.
 * Files named by approvedAmiFiles are read relative to `baseDir`, the configuration file's folder.
 */
export function parseConfig(raw: unknown, source = "configuration", baseDir = process.cwd()): AmiGuardConfig {
  const result = configSchema.safeParse(raw, {
    // Only for issues the schema has no message of its own for: a missing field reads better as "is required".
    error: (issue) =>
      issue.code === "invalid_type" && issue.input === undefined ? "is required" : undefined,
  });
  if (!result.success) {
    throw new ConfigError(
      source,
      result.error.issues.map((issue) => `${formatFieldPath(issue.path)}: ${issue.message}`),
    );
  }
  const config = result.data;
  const { targets, problems: targetProblems, warnings } = resolveTargets(config, baseDir);
  const targetStacks = new Set(targets.map(stackNameFor));
  const canary = (config.deployment?.canary ?? []).map((entry) =>
    stackNameFor({ ...entry, ...(config.namePrefix === undefined ? {} : { namePrefix: config.namePrefix }) }),
  );
  const problems = [
    ...targetProblems,
    ...canary.flatMap((stack, index) =>
      targets.length === 0 || targetStacks.has(stack)
        ? []
        : [
            `deployment.canary[${index}]: ${stack} is not one of the targets; name an account and region that targets or targetGroups deploy to`,
          ],
    ),
  ];
  if (problems.length > 0) throw new ConfigError(source, problems);
  return {
    ruleName: config.ruleName ?? defaultRuleName(config.namePrefix ?? DEFAULT_NAME_PREFIX),
    ...(config.namePrefix === undefined ? {} : { namePrefix: config.namePrefix }),
    reevaluationIntervalHours: config.reevaluationIntervalHours,
    automatic: {
      maximumAutomaticAttempts:
        config.remediation.maximumAutomaticAttempts ?? DEFAULT_AUTOMATIC_RETRY.maximumAutomaticAttempts,
      retryAttemptSeconds:
        config.remediation.retryAttemptSeconds ?? DEFAULT_AUTOMATIC_RETRY.retryAttemptSeconds,
    },
    exemptionTagKey: config.remediation.exemptionTagKey ?? DEFAULT_EXEMPTION_TAG_KEY,
    ...(config.remediation.reservedConcurrentExecutions === undefined
      ? {}
      : { reservedConcurrentExecutions: config.remediation.reservedConcurrentExecutions }),
    notificationEmails: config.notifications.emails,
    targets,
    backend: config.backend,
    tags: config.tags,
    ...(config.aggregator ? { aggregator: config.aggregator } : {}),
    ...(config.prevention ? { prevention: config.prevention } : {}),
    ...(config.deployment
      ? {
          deployment: {
            canary: [...new Set(canary)],
            firstWaveSize: config.deployment.firstWaveSize,
            growthFactor: config.deployment.growthFactor,
            maxWaves: config.deployment.maxWaves,
          },
        }
      : {}),
    ...(warnings.length > 0 ? { warnings } : {}),
  };
}

/** Reads the file named by AMI_GUARD_CONFIG, or the shipped default, and validates it. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): AmiGuardConfig {
  const file = path.resolve(cwd, env[CONFIG_PATH_VARIABLE] || DEFAULT_CONFIG_FILE);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new ConfigError(file, [`cannot be read: ${(error as Error).message}`]);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(file, [`is not valid JSON: ${(error as Error).message}`]);
  }
  return parseConfig(raw, file, path.dirname(file));
}
