import { CloudwatchDashboard } from "@cdktf/provider-aws/lib/cloudwatch-dashboard";
import { Fn } from "cdktf";
import { Construct } from "constructs";
import {
  DRY_RUN_INSTANCES_QUERY,
  GUARDS,
  INSTANCES_LEFT_RUNNING_QUERY,
  METRIC,
  METRIC_DIMENSION,
  METRIC_NAMESPACE,
  METRIC_SERVICE_DIMENSION,
  type MetricName,
} from "./contract";
import { DEFAULT_NAME_PREFIX, resourceNames } from "./names";
import { type AwsRegion, partitionOf } from "./regions";

/**
 * The dashboard body follows "Dashboard Body Structure and Syntax"
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html):
 * a metric is `[Namespace, MetricName, DimensionName, DimensionValue, ..., {rendering options}]`, and an
 * alarm status widget lists alarm ARNs.
 */
export const DASHBOARD_BODY_SYNTAX_URL =
  "https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html";

/**
 * Dashboards belong to the account, not to a region ("All dashboards in your account are global",
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-cloudwatch-dashboard.html),
 * so two stacks of one account in two regions need two names.
 */
export function dashboardNameFor(region: AwsRegion, namePrefix: string = DEFAULT_NAME_PREFIX): string {
  return resourceNames(namePrefix, region).dashboardName;
}

/**
 * The table the `auto-scaling-guard` alarm's description points to: a log widget (`"type": "log"`, its
 * `query` starting `SOURCE '<log group>' |`, DASHBOARD_BODY_SYNTAX_URL, "Properties of a Log Widget Object").
 */
export const INSTANCES_LEFT_RUNNING_TITLE =
  "Instances left running (Auto Scaling group or exempt), by instance and group";

/** The table the `dry-run` alarm's description points to: every instance a dry run would have stopped. */
export const DRY_RUN_INSTANCES_TITLE = "Instances the dry run would have stopped, by instance and AMI";

/** One metric as the dashboard shows it: namespace, name and every dimension, exactly as emitted. */
export interface DashboardMetric {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly label: string;
  readonly stat: "Sum" | "Maximum" | "p50" | "p90";
}

/** A metric the function emits: `service`, plus the metric's own dimension where the contract gives one. */
export function functionMetric(
  name: MetricName,
  label: string,
  stat: DashboardMetric["stat"] = "Sum",
  dimensionValue?: string,
  serviceName: string = METRIC_SERVICE_DIMENSION.service,
): DashboardMetric {
  const dimensionName = METRIC_DIMENSION[name];
  if ((dimensionName === undefined) !== (dimensionValue === undefined)) {
    throw new Error(
      `${name}: the function emits it ${dimensionName ? `with the ${dimensionName} dimension` : "with service alone"}`,
    );
  }
  return {
    namespace: METRIC_NAMESPACE,
    metricName: name,
    dimensions: {
      service: serviceName,
      ...(dimensionName && dimensionValue ? { [dimensionName]: dimensionValue } : {}),
    },
    label,
    stat,
  };
}

export interface RemediationDashboardProps {
  readonly accountId: string;
  readonly region: AwsRegion;
  /**
   * Event-driven mode: the function whose metrics the dashboard shows.
   * @default - no function widgets (manual and automatic modes: Config runs the remediation, and emits no metrics)
   */
  readonly functionName?: string;
  /**
   * Event-driven mode: the function's log group, which the table of instances left running queries.
   * @default - no such table
   */
  readonly functionLogGroupName?: string;
  /**
   * Event-driven mode in dry run: adds the table of instances the dry run would have stopped, which the
   * `dry-run` alarm's description points to.
   * @default false
   */
  readonly dryRun?: boolean;
  /** Queues whose every message is an event that was lost, by a label for the graph. */
  readonly deadLetterQueues: readonly { readonly label: string; readonly queueName: string }[];
  /** Names of the stack's alarms; the dashboard shows their state. */
  readonly alarmNames: readonly string[];
  /**
   * Prefix of the dashboard's name, and the service dimension of the function's metrics ({@link resourceNames}).
   * @default "ami-guard"
   */
  readonly namePrefix?: string;
}

const PERIOD_SECONDS = 300;
const FULL_WIDTH = 24;
const HALF_WIDTH = 12;
const HEIGHT = 6;

interface Widget {
  readonly type: "metric" | "alarm" | "text" | "log";
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly properties: Record<string, unknown>;
}

function metricLine(metric: DashboardMetric): unknown[] {
  return [
    metric.namespace,
    metric.metricName,
    ...Object.entries(metric.dimensions).flat(),
    { label: metric.label, stat: metric.stat },
  ];
}

/**
 * Ignored events by reason, as one CloudWatch search: every `Reason` the function emits gets its own line,
 * including reasons added later, with no list to keep in step. A search's schema
 * `{Namespace,DimensionName,…}` matches metrics with exactly those dimensions
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/search-expression-syntax.html), so
 * `dimensionNames` must be exactly what the function emits with the count: `service` and `Reason`.
 */
export function ignoredEventsByReason(serviceName: string = METRIC_SERVICE_DIMENSION.service): {
  readonly namespace: string;
  readonly metricName: MetricName;
  readonly dimensionNames: readonly string[];
  readonly expression: string;
} {
  const reason = METRIC_DIMENSION[METRIC.eventsIgnored];
  if (!reason) throw new Error(`${METRIC.eventsIgnored} has no per-reason dimension in lib/contract.ts`);
  const dimensionNames = [reason, "service"];
  return {
    namespace: METRIC_NAMESPACE,
    metricName: METRIC.eventsIgnored,
    dimensionNames,
    expression: `SEARCH('{${METRIC_NAMESPACE},${dimensionNames.join(",")}} MetricName="${METRIC.eventsIgnored}" service="${serviceName}"', 'Sum', ${PERIOD_SECONDS})`,
  };
}

/** Every metric the event-driven widgets show, in the order they appear. */
export function functionDashboardMetrics(serviceName: string = METRIC_SERVICE_DIMENSION.service): {
  readonly received: readonly DashboardMetric[];
  readonly outcomes: readonly DashboardMetric[];
  readonly delay: readonly DashboardMetric[];
  readonly notifications: readonly DashboardMetric[];
} {
  return {
    received: [functionMetric(METRIC.eventsReceived, "events received", "Sum", undefined, serviceName)],
    outcomes: [
      functionMetric(METRIC.remediationsStarted, "remediations started", "Sum", undefined, serviceName),
      functionMetric(
        METRIC.remediationsAlreadyRunning,
        "already running (duplicate delivery)",
        "Sum",
        undefined,
        serviceName,
      ),
      functionMetric(METRIC.dryRuns, "dry runs", "Sum", undefined, serviceName),
      ...GUARDS.map((guard) =>
        functionMetric(METRIC.guardSkips, `skipped: ${guard}`, "Sum", guard, serviceName),
      ),
      functionMetric(
        METRIC.approvedSinceSkips,
        "skipped: AMI approved since the event",
        "Sum",
        undefined,
        serviceName,
      ),
      functionMetric(
        METRIC.approvedLaunches,
        "started, approved (Config: COMPLIANT)",
        "Sum",
        undefined,
        serviceName,
      ),
      functionMetric(
        METRIC.runningNotNonCompliant,
        "started, no verdict from Config yet",
        "Sum",
        undefined,
        serviceName,
      ),
      functionMetric(
        METRIC.remediationsDeferred,
        "deferred (retried by Lambda)",
        "Sum",
        undefined,
        serviceName,
      ),
      functionMetric(METRIC.remediationsFailed, "failed", "Sum", undefined, serviceName),
      functionMetric(METRIC.stopRunsFailed, "stop failed in SSM (notified)", "Sum", undefined, serviceName),
    ],
    delay: [
      functionMetric(METRIC.remediationDelay, "p50", "p50", undefined, serviceName),
      functionMetric(METRIC.remediationDelay, "p90", "p90", undefined, serviceName),
      functionMetric(METRIC.remediationDelay, "maximum", "Maximum", undefined, serviceName),
    ],
    notifications: [
      functionMetric(METRIC.notificationsFailed, "notifications not sent", "Sum", undefined, serviceName),
    ],
  };
}

/** The dashboard body as a value; the construct serializes it. */
export function dashboardBody(props: RemediationDashboardProps): { readonly widgets: readonly Widget[] } {
  const widgets: Widget[] = [];
  let y = 0;
  let ignoredRow: number | undefined;
  let ignoredMetrics: readonly DashboardMetric[] = [];
  const graph = (
    title: string,
    metrics: readonly DashboardMetric[],
    x: number,
    width: number,
    extra: Record<string, unknown> = {},
  ) => {
    widgets.push({
      type: "metric",
      x,
      y,
      width,
      height: HEIGHT,
      properties: {
        title,
        region: props.region,
        view: "timeSeries",
        period: PERIOD_SECONDS,
        metrics: metrics.map(metricLine),
        ...extra,
      },
    });
  };

  if (props.functionName !== undefined) {
    const metrics = functionDashboardMetrics(props.namePrefix ?? DEFAULT_NAME_PREFIX);
    graph("Events received", metrics.received, 0, HALF_WIDTH);
    graph("What the function did with them", metrics.outcomes, HALF_WIDTH, HALF_WIDTH, { stacked: true });
    y += HEIGHT;
    graph(
      "From NON_COMPLIANT (Config's resultRecordedTime) to the remediation start, milliseconds",
      metrics.delay,
      0,
      HALF_WIDTH,
    );
    ignoredRow = y + HEIGHT;
    ignoredMetrics = metrics.notifications;
  } else {
    widgets.push({
      type: "text",
      x: 0,
      y,
      width: HALF_WIDTH,
      height: HEIGHT,
      properties: {
        markdown:
          "## Remediation by AWS Config\nConfig runs the stop runbook (automatic mode: itself, with retries; manual mode: when an operator presses Remediate) and publishes no metrics of it. `npm run report` lists what is still NON_COMPLIANT; failed runbook executions notify the topic.",
      },
    });
  }
  graph(
    "Dead-letter queues: messages waiting (each one is an event that was lost)",
    props.deadLetterQueues.map(({ label, queueName }) => ({
      namespace: "AWS/SQS",
      metricName: "ApproximateNumberOfMessagesVisible",
      dimensions: { QueueName: queueName },
      label,
      stat: "Maximum" as const,
    })),
    HALF_WIDTH,
    HALF_WIDTH,
  );
  y += HEIGHT;
  if (ignoredRow !== undefined) {
    y = ignoredRow;
    const search = ignoredEventsByReason(props.namePrefix ?? DEFAULT_NAME_PREFIX);
    widgets.push({
      type: "metric",
      x: 0,
      y,
      width: HALF_WIDTH,
      height: HEIGHT,
      properties: {
        title: "Events ignored, by reason (no API call made)",
        region: props.region,
        view: "timeSeries",
        stacked: true,
        period: PERIOD_SECONDS,
        metrics: [[{ expression: search.expression, id: "ignored" }]],
      },
    });
    // The failed-notifications alarm notifies through the topic that failed: the graph is the other place to see it.
    graph("Notifications the function could not publish", ignoredMetrics, HALF_WIDTH, HALF_WIDTH);
    y += HEIGHT;
  }
  const partition = partitionOf(props.region);
  widgets.push({
    type: "alarm",
    x: 0,
    y,
    width: FULL_WIDTH,
    height: 3,
    properties: {
      title: "Alarms",
      alarms: props.alarmNames.map(
        (name) => `arn:${partition}:cloudwatch:${props.region}:${props.accountId}:alarm:${name}`,
      ),
    },
  });
  if (props.functionLogGroupName !== undefined) {
    const logGroup = props.functionLogGroupName;
    const logTable = (title: string, query: string): Widget => ({
      type: "log",
      x: 0,
      y,
      width: FULL_WIDTH,
      height: HEIGHT,
      properties: { title, region: props.region, view: "table", query: `SOURCE '${logGroup}' | ${query}` },
    });
    y += 3;
    widgets.push(logTable(INSTANCES_LEFT_RUNNING_TITLE, INSTANCES_LEFT_RUNNING_QUERY));
    if (props.dryRun) {
      y += HEIGHT;
      widgets.push(logTable(DRY_RUN_INSTANCES_TITLE, DRY_RUN_INSTANCES_QUERY));
    }
  }
  return { widgets };
}

/**
 * cdktf writes the strings inside jsonencode(...) into HCL without escaping double quotes, so a search
 * expression's `MetricName="EventsIgnored"` would end the string early; Fn.rawString escapes them.
 */
function withQuotesEscaped(value: unknown): unknown {
  if (typeof value === "string") return value.includes('"') ? Fn.rawString(value) : value;
  if (Array.isArray(value)) return value.map(withQuotesEscaped);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, withQuotesEscaped(item)]));
  }
  return value;
}

/** The stack's CloudWatch dashboard: what the function received and did, what was lost, what is alarming. */
export class RemediationDashboard extends Construct {
  readonly dashboard: CloudwatchDashboard;

  constructor(scope: Construct, id: string, props: RemediationDashboardProps) {
    super(scope, id);
    this.dashboard = new CloudwatchDashboard(this, "dashboard", {
      dashboardName: dashboardNameFor(props.region, props.namePrefix),
      // jsonencode, not JSON.stringify: queue and alarm names are references, and a reference inside a
      // pre-serialized JSON string is not escaped when cdktf writes HCL.
      dashboardBody: Fn.jsonencode(withQuotesEscaped(dashboardBody(props))),
    });
  }
}
