import { GUARDS } from "../../lib/contract";
import { runStorm, STORM_MIX, STORM_WINDOW_MS, type StormReport } from "../../tools/loopback/storm";

/**
 * 1,000 instances entering running within 60 s of simulated time, half of them one Auto Scaling group's
 * scale-out on an unapproved AMI, then Config's compliance changes for the new ones, EventBridge duplicates
 * and Lambda's retries: through the real handler and SDK clients, against the loopback AWS server. Every
 * expected figure below is derived from the mix, never read from a run.
 */
/** What the storm's mix makes of each kind of event, derived from the mix alone. */
function expectedFrom(mix: typeof STORM_MIX) {
  const starts =
    mix.autoScalingNew +
    mix.autoScalingRestarts +
    mix.approvedNew +
    mix.approvedRestarts +
    mix.standaloneNew +
    mix.standaloneRestarts +
    mix.exemptNew;
  /** New instances Config then calls NON_COMPLIANT: each sends one compliance change the function receives. */
  const newUnapproved = mix.autoScalingNew + mix.standaloneNew + mix.exemptNew;
  const lambdaRetries = mix.notYetVisible + mix.throttledStarts;
  return {
    starts,
    newUnapproved,
    /** Started instances Config already calls NON_COMPLIANT: the only starts worth more than one Config read. */
    knownNonCompliantStarts: mix.autoScalingRestarts + mix.standaloneRestarts,
    /** Unapproved instances in no group and not exempt: the ones to stop. */
    toStop: mix.standaloneNew + mix.standaloneRestarts,
    lambdaRetries,
    invocations: starts + newUnapproved + mix.duplicates + lambdaRetries,
  };
}

describe("a scale-out storm of 1,000 starts in 60 s, against the loopback server", () => {
  const mix = STORM_MIX;
  const { starts, newUnapproved, knownNonCompliantStarts, toStop, lambdaRetries, invocations } =
    expectedFrom(mix);
  let report: StormReport;

  beforeAll(async () => {
    report = await runStorm(mix);
  }, 600_000);

  it("is the storm it claims to be: 1,000 starts in the window, half from one group", () => {
    expect(starts).toBe(1000);
    expect(STORM_WINDOW_MS).toBe(60_000);
    expect(mix.autoScalingNew).toBe(500);
  });

  it("delivers every start and every NON_COMPLIANT change, and the rule's pattern keeps COMPLIANT ones away", () => {
    expect(report.events).toEqual({
      instanceRunning: starts,
      complianceChanges: newUnapproved,
      duplicates: mix.duplicates,
      keptAwayByPattern: mix.approvedNew,
    });
    expect(report.invocations).toBe(invocations);
    expect(report.lambdaRetries).toBe(lambdaRetries);
  });

  it("asks Config once per start, and reads EC2 only for instances Config calls NON_COMPLIANT", () => {
    // Config: every start once, and three throttled attempts more for each start whose first invocation
    // Config throttled; a compliance change only on the way to a stop (groups and exemptions end before it).
    expect(report.calls["config:GetComplianceDetailsByResource"]).toBe(
      starts + 3 * mix.throttledStarts + mix.standaloneNew,
    );
    // EC2: the starts Config calls NON_COMPLIANT, every compliance change, the retries and the duplicates.
    expect(report.calls["ec2:DescribeInstances"]).toBe(
      knownNonCompliantStarts + newUnapproved + mix.notYetVisible + mix.duplicates,
    );
  });

  it("starts one remediation per instance to stop, confirms each, and calls nothing else", () => {
    expect(report.calls["config:StartRemediationExecution"]).toBe(toStop);
    expect(report.calls["config:DescribeRemediationExecutionStatus"]).toBe(toStop);
    expect(report.instancesStopped).toBe(toStop);
    expect(Object.keys(report.calls).sort()).toEqual([
      "config:DescribeRemediationExecutionStatus",
      "config:GetComplianceDetailsByResource",
      "config:StartRemediationExecution",
      "ec2:DescribeInstances",
      "sns:Publish",
    ]);
  });

  it("sends one message per stop, none per instance left running or throttled; each alarm sends one each way", () => {
    expect(report.notifications.published).toBe(toStop);
    expect(report.notifications.alarms).toEqual({
      "auto-scaling-guard": { toAlarm: 1, toOk: 1 },
      "remediation-failures": { toAlarm: 1, toOk: 1 },
      "function-errors": { toAlarm: 1, toOk: 1 },
    });
  });

  it("fails, and has Lambda retry, each start Config throttled on every attempt, naming none in a message", () => {
    expect(report.outcomes.RemediationsFailed).toBe(mix.throttledStarts);
  });

  it("leaves every group's and exempt instance running, and defers only what EC2 did not show yet", () => {
    expect(report.guarded).toEqual({
      "auto-scaling-group": mix.autoScalingNew + mix.autoScalingRestarts,
      exempt: mix.exemptNew,
      // A duplicate finds its instance already stopping.
      "not-running": mix.duplicates,
    });
    expect(Object.keys(report.guarded)).toEqual([...GUARDS]);
    expect(report.deferred).toBe(mix.notYetVisible);
  });

  it("counts approved launches on their own metric, and nothing as approved since", () => {
    expect(report.outcomes.ApprovedLaunches).toBe(mix.approvedRestarts);
    expect(report.outcomes.RunningNotNonCompliant).toBe(mix.approvedNew + newUnapproved);
    expect(report.outcomes.ApprovedSinceSkips).toBeUndefined();
  });

  it("loses nothing: each invocation has exactly one outcome, and each instance ends as its kind calls for", () => {
    expect(report.unaccounted).toEqual([]);
    expect(report.lost).toEqual([]);
    const outcomeTotal = Object.values(report.outcomes).reduce((sum, count) => sum + count, 0);
    expect(outcomeTotal).toBe(invocations);
  });
});

/**
 * The same storm with the function in dry run: it stops nothing, and must still send no message per
 * instance. Each instance it would have stopped is logged and counted; the `dry-run` alarm on the count
 * notifies once each way, as the Auto Scaling guard's does.
 */
describe("the same storm in dry run", () => {
  const mix = STORM_MIX;
  const {
    starts,
    newUnapproved,
    knownNonCompliantStarts,
    /** The instances a real run would stop: the dry run's to report. */
    toStop: wouldStop,
    invocations,
  } = expectedFrom(mix);
  let report: StormReport;

  beforeAll(async () => {
    report = await runStorm(mix, { dryRun: true });
  }, 600_000);

  it("sends no message per instance: the function publishes nothing, and the dry-run alarm one each way", () => {
    expect(report.dryRun).toBe(true);
    expect(report.notifications.published).toBe(0);
    expect(report.notifications.alarms["dry-run"]).toEqual({ toAlarm: 1, toOk: 1 });
    const alarmMessages = Object.values(report.notifications.alarms).reduce(
      (sum, { toAlarm, toOk }) => sum + toAlarm + toOk,
      0,
    );
    // However many starts: the alarms' transitions, never one message per instance.
    expect(alarmMessages).toBeLessThanOrEqual(2 * Object.keys(report.notifications.alarms).length);
    expect(alarmMessages).toBeLessThan(wouldStop);
  });

  it("stops nothing and calls nothing but the reads", () => {
    expect(report.instancesStopped).toBe(0);
    expect(Object.keys(report.calls).sort()).toEqual([
      "config:GetComplianceDetailsByResource",
      "ec2:DescribeInstances",
    ]);
    // A duplicate finds its instance still running, so it is read and counted again, as a real run's is not.
    expect(report.calls["config:GetComplianceDetailsByResource"]).toBe(
      starts + 3 * mix.throttledStarts + mix.standaloneNew + mix.duplicates,
    );
    expect(report.calls["ec2:DescribeInstances"]).toBe(
      knownNonCompliantStarts + newUnapproved + mix.notYetVisible + mix.duplicates,
    );
  });

  it("loses nothing: every instance it would stop is logged and counted, every invocation has one outcome", () => {
    expect(report.outcomes.DryRuns).toBe(wouldStop + mix.duplicates);
    expect(report.guarded).toEqual({
      "auto-scaling-group": mix.autoScalingNew + mix.autoScalingRestarts,
      exempt: mix.exemptNew,
      "not-running": 0,
    });
    expect(report.unaccounted).toEqual([]);
    expect(report.lost).toEqual([]);
    expect(report.invocations).toBe(invocations);
    const outcomeTotal = Object.values(report.outcomes).reduce((sum, count) => sum + count, 0);
    expect(outcomeTotal).toBe(invocations);
  });
});
