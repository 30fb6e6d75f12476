import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { HANDLER_ENVIRONMENT } from "../../../lib/contract";
import type { AwsLoopback } from "../../loopback/aws-loopback";
import { invokeUnpacked, jsonLogLines, unpackZip } from "../../loopback/deployed-function";
import { DrillBreak, EC2_INSTANCE, type Say } from "../drill-break";
import { isObject, type PlannedResource, type PlanView } from "../plan-view";
import { DRILL_INSTANCE_ID, type DrillEvent } from "../sample-event";

/*
 * The function's code (the zip the plan deploys), its run on the recorded event against the loopback AWS
 * endpoint, and the StartRemediationExecution request it sends.
 */

interface FunctionRun {
  readonly view: PlanView;
  readonly fn: PlannedResource;
  readonly variables: Record<string, string>;
  readonly event: DrillEvent;
  readonly rule: string;
  readonly planDir: string;
  readonly aws: AwsLoopback;
}

interface HandlerResult {
  readonly outcome?: string;
  readonly reason?: string;
  readonly instanceId?: string;
}

function zipOf(run: FunctionRun): string {
  const filename = run.fn.values.filename;
  if (typeof filename !== "string") {
    throw new DrillBreak(
      "function-code",
      `✗ function ${run.fn.values.function_name} has no local zip in the plan (filename)`,
    );
  }
  const zip = path.resolve(run.planDir, filename);
  if (!existsSync(zip)) {
    throw new DrillBreak(
      "function-code",
      `✗ the function's zip ${filename} is not in the planned folder ${run.planDir}`,
    );
  }
  const hash = createHash("sha256").update(readFileSync(zip)).digest("base64");
  const planned = run.fn.values.source_code_hash;
  if (typeof planned === "string" && planned !== hash) {
    throw new DrillBreak(
      "function-code",
      `✗ the function's zip ${filename} hashes to ${hash}, but the plan deploys source_code_hash ${planned}`,
    );
  }
  return zip;
}

export async function runFunction(run: FunctionRun, say: Say): Promise<void> {
  const zip = zipOf(run);
  say(`✓ the function's zip ${path.basename(zip)} is the one the plan deploys (SHA-256 = source_code_hash)`);
  const codeDir = mkdtempSync(path.join(tmpdir(), "ami-guard-drill-"));
  try {
    unpackZip(zip, codeDir);
    const handler = typeof run.fn.values.handler === "string" ? run.fn.values.handler : "index.handler";
    const region = run.view.location.region;
    run.aws.clear();
    run.aws.evaluatedRuleName = run.rule;
    const invocation = await invokeUnpacked<HandlerResult>(
      { codeDir, handler, variables: run.variables },
      run.event,
      { endpointUrl: run.aws.url, region },
    );
    if (!invocation.ok) {
      throw new DrillBreak(
        "function-run",
        `✗ the function failed on the recorded event: ${invocation.error?.name}: ${invocation.error?.message}`,
      );
    }
    say(
      `✓ the function ran from its zip (${handler}) in its own process with the plan's environment, against the loopback AWS endpoint`,
    );
    checkOutcome(run, invocation.result ?? {}, invocation.stdout, say);
  } finally {
    rmSync(codeDir, { recursive: true, force: true });
  }
}

function ignoredDetails(stdout: string): string {
  const line = jsonLogLines(stdout).find((entry) => entry.decision === "ignored");
  return Array.isArray(line?.details) ? `: ${line.details.join("; ")}` : "";
}

function checkOutcome(run: FunctionRun, result: HandlerResult, stdout: string, say: Say): void {
  const described = run.aws.requestsFor("DescribeInstances");
  const starts = run.aws.requestsFor("StartRemediationExecution");
  if (result.outcome === "ignored") {
    throw new DrillBreak(
      "function-run",
      `✗ the function ignored the recorded event (${result.reason})${ignoredDetails(stdout)}`,
    );
  }
  if (described.length > 0) {
    say(`✓ the function read instance ${DRILL_INSTANCE_ID} first (DescribeInstances: running, untagged)`);
  }
  const dryRun = run.variables[HANDLER_ENVIRONMENT.dryRun] === "true";
  if (dryRun) {
    if (result.outcome !== "dry-run" || starts.length > 0) {
      throw new DrillBreak(
        "function-run",
        `✗ ${HANDLER_ENVIRONMENT.dryRun}=true, but the function's outcome was ${result.outcome} with ${starts.length} StartRemediationExecution request(s)`,
      );
    }
    say(
      `✓ dry run (${HANDLER_ENVIRONMENT.dryRun}=true): the function reported instance ${DRILL_INSTANCE_ID} and started nothing, as configured`,
    );
    return;
  }
  if (result.outcome !== "remediation-started") {
    throw new DrillBreak(
      "function-run",
      `✗ the function's outcome was ${result.outcome}${result.reason ? ` (${result.reason})` : ""}, not remediation-started`,
    );
  }
  const [start] = starts;
  if (!start || starts.length !== 1) {
    throw new DrillBreak(
      "remediation-request",
      `✗ the function reported a start but sent ${starts.length} StartRemediationExecution requests`,
    );
  }
  const body = isObject(start.json) ? start.json : {};
  const keys = Array.isArray(body.ResourceKeys) ? body.ResourceKeys : [];
  const [key] = keys;
  if (
    body.ConfigRuleName !== run.rule ||
    keys.length !== 1 ||
    !isObject(key) ||
    key.resourceType !== EC2_INSTANCE ||
    key.resourceId !== DRILL_INSTANCE_ID
  ) {
    throw new DrillBreak(
      "remediation-request",
      `✗ StartRemediationExecution names rule ${JSON.stringify(body.ConfigRuleName)} and resources ${JSON.stringify(keys)}, not rule "${run.rule}" and instance ${DRILL_INSTANCE_ID}`,
    );
  }
  const region = run.view.location.region;
  if (!start.headers.authorization?.includes(`/${region}/config/aws4_request`)) {
    throw new DrillBreak(
      "remediation-request",
      `✗ StartRemediationExecution was signed for another region than ${region}: ${start.headers.authorization}`,
    );
  }
  say(
    `✓ StartRemediationExecution names rule ${run.rule} and instance ${DRILL_INSTANCE_ID} (Config JSON 1.1, signed for ${region})`,
  );
}
