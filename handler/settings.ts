import {
  APPROVED_AMI_IDS_SEPARATOR,
  HANDLER_ENVIRONMENT,
  OPTIONAL_HANDLER_ENVIRONMENT,
} from "../lib/contract";

/** What the function was deployed for, read from the variables the stack sets (see HANDLER_ENVIRONMENT). */
export interface HandlerSettings {
  /** The only Config rule whose events may lead to a remediation. */
  readonly ruleName: string;
  readonly accountId: string;
  readonly region: string;
  /** Log and notify what would happen; start nothing. */
  readonly dryRun: boolean;
  readonly exemptionTagKey: string;
  readonly topicArn: string;
  /** The AMI ids the stack's rule approves now; an instance running one of them is not stopped. */
  readonly approvedAmiIds: readonly string[];
  /**
   * The tag an instance must carry for this pipeline to act on it; unset when the pipeline takes every
   * instance of its account and region.
   */
  readonly scopeTag?: { readonly key: string; readonly value: string };
  /** Set when failed runs of the stop runbook reach the function: only runs as this role are ours. */
  readonly automationRoleArn?: string;
}

/**
 * A deployment whose environment is incomplete must not quietly ignore every event: the invocation fails,
 * so the error reaches the failure destination and its alarm instead of looking like "nothing to do".
 */
export class SettingsError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`the function's environment is incomplete: ${problems.join("; ")}`);
    this.name = "SettingsError";
  }
}

const ACCOUNT_ID = /^\d{12}$/;
const REGION = /^[a-z]{2}(?:-[a-z]+)+-\d$/;
const AMI_ID = /^ami-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;

export function readSettings(env: NodeJS.ProcessEnv): HandlerSettings {
  const problems: string[] = [];
  const required = (key: keyof typeof HANDLER_ENVIRONMENT, pattern?: RegExp): string => {
    const name = HANDLER_ENVIRONMENT[key];
    const value = env[name]?.trim() ?? "";
    if (value === "") problems.push(`${name} is not set`);
    else if (pattern && !pattern.test(value)) problems.push(`${name}=${JSON.stringify(value)} is malformed`);
    return value;
  };
  const dryRunText = required("dryRun");
  if (dryRunText !== "" && dryRunText !== "true" && dryRunText !== "false") {
    problems.push(
      `${HANDLER_ENVIRONMENT.dryRun} must be "true" or "false", not ${JSON.stringify(dryRunText)}`,
    );
  }
  const amiIdsText = required("approvedAmiIds");
  const approvedAmiIds = amiIdsText === "" ? [] : amiIdsText.split(APPROVED_AMI_IDS_SEPARATOR);
  const malformedIds = approvedAmiIds.filter((id) => !AMI_ID.test(id));
  if (malformedIds.length > 0) {
    problems.push(
      `${HANDLER_ENVIRONMENT.approvedAmiIds} holds ${malformedIds.map((id) => JSON.stringify(id)).join(", ")}, which ${malformedIds.length === 1 ? "is not an AMI id" : "are not AMI ids"}`,
    );
  }
  const settings: HandlerSettings = {
    ruleName: required("ruleName"),
    accountId: required("accountId", ACCOUNT_ID),
    region: required("region", REGION),
    dryRun: dryRunText === "true",
    exemptionTagKey: required("exemptionTagKey"),
    topicArn: required("topicArn", /^arn:aws[\w-]*:sns:/),
    approvedAmiIds,
    ...optionalSettings(env, problems),
  };
  if (problems.length > 0) throw new SettingsError(problems);
  return settings;
}

function optionalSettings(
  env: NodeJS.ProcessEnv,
  problems: string[],
): Pick<HandlerSettings, "scopeTag" | "automationRoleArn"> {
  const read = (name: string) => {
    const value = env[name];
    return value === undefined || value === "" ? undefined : value;
  };
  const key = read(OPTIONAL_HANDLER_ENVIRONMENT.scopeTagKey);
  const value = read(OPTIONAL_HANDLER_ENVIRONMENT.scopeTagValue);
  // Half a scope would act on every instance: refuse it rather than guess.
  if ((key === undefined) !== (value === undefined))
    problems.push(
      `${OPTIONAL_HANDLER_ENVIRONMENT.scopeTagKey} and ${OPTIONAL_HANDLER_ENVIRONMENT.scopeTagValue} must be set together`,
    );
  const role = read(OPTIONAL_HANDLER_ENVIRONMENT.automationRoleArn);
  if (role !== undefined && !/^arn:aws[\w-]*:iam::\d{12}:role\//.test(role))
    problems.push(`${OPTIONAL_HANDLER_ENVIRONMENT.automationRoleArn}=${JSON.stringify(role)} is malformed`);
  return {
    ...(key !== undefined && value !== undefined ? { scopeTag: { key, value } } : {}),
    ...(role === undefined ? {} : { automationRoleArn: role }),
  };
}
