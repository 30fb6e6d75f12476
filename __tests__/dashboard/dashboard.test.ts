import {
  ConfigServiceClient,
  DescribeRemediationExecutionStatusCommand,
  GetComplianceDetailsByResourceCommand,
  StartRemediationExecutionCommand,
} from "@aws-sdk/client-config-service";
import { DescribeInstancesCommand, EC2Client } from "@aws-sdk/client-ec2";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { GetAutomationExecutionCommand, SSMClient } from "@aws-sdk/client-ssm";
import { mockClient } from "aws-sdk-client-mock";
import { TerraformStack, Testing } from "cdktf";
import type { AwsClients } from "../../handler/clients";
import { AUTO_SCALING_GROUP_TAG } from "../../handler/decision";
import { createHandler } from "../../handler/index";
import { createPowertoolsObservability } from "../../handler/observability";
import type { HandlerSettings } from "../../handler/settings";
import { ALARM_MEANINGS, AUTO_SCALING_GUARD_METRIC } from "../../lib/alarms";
import {
  AUTO_SCALING_GROUP_LOG_FIELD,
  DRY_RUN_INSTANCES_QUERY,
  GUARDS,
  INSTANCES_LEFT_RUNNING_QUERY,
  METRIC,
  METRIC_NAMESPACE,
  METRIC_SERVICE_DIMENSION,
  OUTCOME_METRICS,
  POWERTOOLS_ENVIRONMENT,
} from "../../lib/contract";
import {
  type DashboardMetric,
  DRY_RUN_INSTANCES_TITLE,
  dashboardBody,
  dashboardNameFor,
  functionDashboardMetrics,
  functionMetric,
  INSTANCES_LEFT_RUNNING_TITLE,
  ignoredEventsByReason,
  RemediationDashboard,
  type RemediationDashboardProps,
} from "../../lib/dashboard";
import { executionInProgress, sampleRunningEvent } from "../handler/fixtures";

const ACCOUNT = "111122223333";
const REGION = "eu-central-1";
const RULE = "approved-amis-by-id";
const INSTANCE = "i-0123456789abcdef0";
const APPROVED_IMAGE = "ami-0abcdef1234567890";
const UNAPPROVED_IMAGE = "ami-0123456789abcdef0";

const EVENT_DRIVEN: RemediationDashboardProps = {
  accountId: ACCOUNT,
  region: REGION,
  functionName: "ami-guard-remediate",
  functionLogGroupName: "/aws/lambda/ami-guard-remediate",
  deadLetterQueues: [
    { label: "function failures", queueName: "ami-guard-function-failures" },
    { label: "event delivery failures", queueName: "ami-guard-event-delivery-failures" },
  ],
  alarmNames: ["ami-guard-function-errors", "ami-guard-remediation-failures"],
};

describe("the dashboard body", () => {
  it("matches the reviewed snapshot for an event-driven stack", () => {
    expect(dashboardBody(EVENT_DRIVEN)).toMatchSnapshot();
  });

  it("shows no function metric for an automatic stack, only its queue and alarms", () => {
    // Given an automatic stack: no function
    const body = dashboardBody({
      accountId: ACCOUNT,
      region: REGION,
      deadLetterQueues: [{ label: "notification delivery failures", queueName: "q" }],
      alarmNames: ["ami-guard-event-delivery-failures-queue"],
    });
    // Then nothing reads the function's namespace, and the alarm widget names the alarm by ARN
    expect(JSON.stringify(body)).not.toContain(METRIC_NAMESPACE);
    expect(body.widgets.map((widget) => widget.type)).toEqual(["text", "metric", "alarm"]);
    expect(body.widgets.at(-1)?.properties.alarms).toEqual([
      `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:ami-guard-event-delivery-failures-queue`,
    ]);
  });

  it("is named per region, because dashboards are global to the account", () => {
    const app = Testing.app();
    const stack = new TerraformStack(app, "s");
    new RemediationDashboard(stack, "dashboard", EVENT_DRIVEN);
    const synthesized = JSON.parse(Testing.synth(stack));
    const [dashboard] = Object.values(synthesized.resource.aws_cloudwatch_dashboard) as {
      dashboard_name: string;
      dashboard_body: string;
    }[];
    expect(dashboard?.dashboard_name).toBe(dashboardNameFor(REGION));
    // Terraform encodes the body, so references to queues and alarms resolve inside it
    expect(dashboard?.dashboard_body).toMatch(/^\$\{jsonencode\(/);
    expect(dashboard?.dashboard_body).toContain("ami-guard-function-failures");
    // The search expression's quotes are escaped for HCL, or the string would end at the first one
    expect(dashboard?.dashboard_body).toContain('MetricName=\\"EventsIgnored\\" service=\\"ami-guard\\"');
  });

  it("ends with the table of instances left running that the Auto Scaling alarm's description names", () => {
    // Given an event-driven stack's dashboard
    const last = dashboardBody(EVENT_DRIVEN).widgets.at(-1);
    // Then its last widget runs the Logs Insights query on the function's log group, as a table
    expect(last).toMatchObject({
      type: "log",
      properties: {
        title: INSTANCES_LEFT_RUNNING_TITLE,
        region: REGION,
        view: "table",
        query: `SOURCE '/aws/lambda/ami-guard-remediate' | ${INSTANCES_LEFT_RUNNING_QUERY}`,
      },
    });
    // And the query reads the field the handler writes the group under, for both guards that leave instances running
    expect(INSTANCES_LEFT_RUNNING_QUERY).toContain(`by guard, ${AUTO_SCALING_GROUP_LOG_FIELD}, instanceId`);
    expect(INSTANCES_LEFT_RUNNING_QUERY).toContain("guard like /^(auto-scaling-group|exempt)$/");
    // And holds no double quote, which the dashboard's jsonencode would carry into HCL unescaped
    expect(INSTANCES_LEFT_RUNNING_QUERY).not.toContain('"');
    const [titleStart] = INSTANCES_LEFT_RUNNING_TITLE.split(" (");
    expect(ALARM_MEANINGS["auto-scaling-guard"]).toContain(`'${titleStart}'`);
  });

  it("adds, in dry run only, the table of instances the dry run would have stopped, which the dry-run alarm names", () => {
    // Given the same dashboard without and with dry run
    const plain = dashboardBody(EVENT_DRIVEN).widgets;
    const dryRun = dashboardBody({ ...EVENT_DRIVEN, dryRun: true }).widgets;
    // Then only the dry run's ends with the table, on the function's log group
    expect(plain.some((widget) => widget.properties.title === DRY_RUN_INSTANCES_TITLE)).toBe(false);
    expect(dryRun).toHaveLength(plain.length + 1);
    expect(dryRun.at(-1)).toMatchObject({
      type: "log",
      properties: {
        title: DRY_RUN_INSTANCES_TITLE,
        view: "table",
        query: `SOURCE '/aws/lambda/ami-guard-remediate' | ${DRY_RUN_INSTANCES_QUERY}`,
      },
    });
    // And the query reads the handler's dry-run line, with no double quote for jsonencode to carry into HCL
    expect(DRY_RUN_INSTANCES_QUERY).toContain("filter decision like /^dry-run$/");
    expect(DRY_RUN_INSTANCES_QUERY).not.toContain('"');
    const [titleStart] = DRY_RUN_INSTANCES_TITLE.split(", by");
    expect(ALARM_MEANINGS["dry-run"]).toContain(`'${titleStart}'`);
  });

  it("refuses a metric shown with dimensions the function does not emit it with", () => {
    expect(() => functionMetric("GuardSkips", "guard skips")).toThrow(/with the Guard dimension/);
    expect(() => functionMetric("RemediationsStarted", "started", "Sum", "x")).toThrow(/service alone/);
  });
});

/** What Powertools wrote as embedded metric format: one key per namespace, name and dimension set. */
interface EmittedMetric {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
}

const keyOf = (metric: EmittedMetric | DashboardMetric) =>
  `${metric.namespace} ${metric.metricName} ${JSON.stringify(
    Object.fromEntries(Object.entries(metric.dimensions).sort(([a], [b]) => a.localeCompare(b))),
  )}`;

function readEmf(lines: readonly string[]): EmittedMetric[] {
  const emitted: EmittedMetric[] = [];
  for (const line of lines) {
    if (!line.includes('"_aws"')) continue;
    const record = JSON.parse(line) as {
      _aws: {
        CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[];
      };
      [key: string]: unknown;
    };
    for (const directive of record._aws.CloudWatchMetrics) {
      for (const dimensionSet of directive.Dimensions) {
        for (const metric of directive.Metrics) {
          emitted.push({
            namespace: directive.Namespace,
            metricName: metric.Name,
            dimensions: Object.fromEntries(dimensionSet.map((name) => [name, String(record[name])])),
          });
        }
      }
    }
  }
  return emitted;
}

describe("every function metric the dashboard shows is one the function emits", () => {
  const clients: AwsClients = {
    config: new ConfigServiceClient({ region: REGION }),
    ec2: new EC2Client({ region: REGION }),
    sns: new SNSClient({ region: REGION }),
    ssm: new SSMClient({ region: REGION }),
  };
  const configMock = mockClient(clients.config);
  const ssmMock = mockClient(clients.ssm as SSMClient);
  const ec2Mock = mockClient(clients.ec2);
  const snsMock = mockClient(clients.sns);
  const savedEnvironment = { ...process.env };
  let written: string[] = [];
  let emitted: EmittedMetric[] = [];

  const settings = (overrides: Partial<HandlerSettings> = {}): HandlerSettings => ({
    ruleName: RULE,
    accountId: ACCOUNT,
    region: REGION,
    dryRun: false,
    exemptionTagKey: "ami-guard:exempt",
    topicArn: `arn:aws:sns:${REGION}:${ACCOUNT}:ami-guard-notifications`,
    approvedAmiIds: [APPROVED_IMAGE],
    ...overrides,
  });

  const event = (rule = RULE) => ({
    version: "0",
    id: "7c8bd4c1-3f2e-4b6a-9d0e-0a1b2c3d4e5f",
    "detail-type": "Config Rules Compliance Change",
    source: "aws.config",
    account: ACCOUNT,
    time: "2026-01-05T08:48:05Z",
    region: REGION,
    resources: [],
    detail: {
      resourceId: INSTANCE,
      awsRegion: REGION,
      awsAccountId: ACCOUNT,
      configRuleName: rule,
      recordVersion: "1.0",
      configRuleARN: `arn:aws:config:${REGION}:${ACCOUNT}:config-rule/config-rule-ojehlw`,
      messageType: "ComplianceChangeNotification",
      newEvaluationResult: {
        evaluationResultIdentifier: {
          evaluationResultQualifier: {
            configRuleName: rule,
            resourceType: "AWS::EC2::Instance",
            resourceId: INSTANCE,
          },
          orderingTimestamp: "2026-01-05T08:47:45.767Z",
        },
        complianceType: "NON_COMPLIANT",
        resultRecordedTime: "2026-01-05T08:48:05.184Z",
        configRuleInvokedTime: "2026-01-05T08:48:04.608Z",
      },
      notificationCreationTime: "2026-01-05T08:48:05.952Z",
      resourceType: "AWS::EC2::Instance",
    },
  });

  const instance = (state: string, tags: Record<string, string> = {}, imageId = UNAPPROVED_IMAGE) => {
    ec2Mock.on(DescribeInstancesCommand).resolves({
      Reservations: [
        {
          Instances: [
            {
              InstanceId: INSTANCE,
              ImageId: imageId,
              State: { Name: state as "running" },
              Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
            },
          ],
        },
      ],
    });
  };

  /** Runs the real handler with the real Powertools metrics, once per scenario. */
  async function invoke(handlerSettings: HandlerSettings, payload: unknown): Promise<void> {
    const handler = createHandler({
      settings: () => handlerSettings,
      clients: () => clients,
      observability: createPowertoolsObservability(),
      now: () => new Date("2026-01-05T08:48:07.184Z"),
      sleep: async () => {},
    });
    await handler(payload).catch(() => undefined);
  }

  beforeAll(async () => {
    // Given the environment the stack gives the function, and stdout captured where Powertools writes
    Object.assign(process.env, POWERTOOLS_ENVIRONMENT);
    delete process.env.POWERTOOLS_DEV;
    delete process.env.POWERTOOLS_METRICS_DISABLED;
    const spy = jest.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
      written.push(...String(chunk).split("\n").filter(Boolean));
      return true;
    });
    snsMock.on(PublishCommand).resolves({ MessageId: "m" });
    const nonCompliant = {
      EvaluationResults: [
        {
          EvaluationResultIdentifier: {
            EvaluationResultQualifier: { ConfigRuleName: RULE, ResourceId: INSTANCE },
          },
          ComplianceType: "NON_COMPLIANT" as const,
        },
      ],
    };
    configMock.on(GetComplianceDetailsByResourceCommand).resolves(nonCompliant);
    try {
      // When the function meets every outcome the dashboard draws
      instance("running");
      configMock.on(StartRemediationExecutionCommand).resolves({ FailedItems: [] });
      configMock.on(DescribeRemediationExecutionStatusCommand).resolves(executionInProgress(INSTANCE));
      await invoke(settings(), event());
      await invoke(settings({ dryRun: true }), event());
      await invoke(settings(), event("another-rule"));
      instance("running", { [AUTO_SCALING_GROUP_TAG]: "web" });
      await invoke(settings(), event());
      instance("running", { "ami-guard:exempt": "true" });
      await invoke(settings(), event());
      instance("stopped");
      await invoke(settings(), event());
      instance("running", {}, APPROVED_IMAGE);
      await invoke(settings(), event());
      instance("pending");
      await invoke(settings(), event());
      instance("running");
      configMock.on(GetComplianceDetailsByResourceCommand).resolves({ EvaluationResults: [] });
      await invoke(settings(), sampleRunningEvent({ account: ACCOUNT, region: REGION, instance: INSTANCE }));
      configMock.on(GetComplianceDetailsByResourceCommand).resolves({
        EvaluationResults: [
          {
            EvaluationResultIdentifier: {
              EvaluationResultQualifier: { ConfigRuleName: RULE, ResourceId: INSTANCE },
            },
            ComplianceType: "COMPLIANT" as const,
          },
        ],
      });
      await invoke(settings(), sampleRunningEvent({ account: ACCOUNT, region: REGION, instance: INSTANCE }));
      configMock.on(GetComplianceDetailsByResourceCommand).resolves(nonCompliant);
      instance("running");
      configMock
        .on(StartRemediationExecutionCommand)
        .resolves({ FailedItems: [{ resourceType: "AWS::EC2::Instance", resourceId: INSTANCE }] });
      configMock.on(DescribeRemediationExecutionStatusCommand).resolves({
        RemediationExecutionStatuses: [
          { ResourceKey: { resourceType: "AWS::EC2::Instance", resourceId: INSTANCE }, State: "IN_PROGRESS" },
        ],
      });
      await invoke(settings(), event());
      configMock.on(StartRemediationExecutionCommand).rejects(new Error("AccessDenied"));
      await invoke(settings(), event());
      // A stop run of this pipeline's that failed in SSM, routed through the function
      const automationRoleArn = `arn:aws:iam::${ACCOUNT}:role/ami-guard-remediation-${REGION}`;
      ssmMock.on(GetAutomationExecutionCommand).resolves({
        AutomationExecution: {
          Parameters: { AutomationAssumeRole: [automationRoleArn], InstanceId: [INSTANCE] },
        },
      });
      await invoke(settings({ automationRoleArn }), {
        id: "failed-run",
        source: "aws.ssm",
        "detail-type": "EC2 Automation Execution Status-change Notification",
        account: ACCOUNT,
        region: REGION,
        detail: {
          ExecutionId: "4f5c1a6e-2b7d-4c8e-9a01-23456789abcd",
          Definition: "AWS-StopEC2Instance",
          Status: "Failed",
        },
      });
      // A notification of a started stop the topic refuses (its key policy, say)
      configMock.on(StartRemediationExecutionCommand).resolves({ FailedItems: [] });
      snsMock.on(PublishCommand).rejects(new Error("KMSAccessDeniedException"));
      await invoke(settings(), event());
    } finally {
      spy.mockRestore();
    }
    emitted = readEmf(written);
  });

  afterAll(() => {
    process.env = savedEnvironment;
    written = [];
  });

  const dashboardMetrics = () => {
    const { received, outcomes, delay, notifications } = functionDashboardMetrics();
    return [...received, ...outcomes, ...delay, ...notifications];
  };

  it("captured the function's embedded-metric records", () => {
    expect(emitted.length).toBeGreaterThan(0);
    expect(new Set(emitted.map((metric) => metric.namespace))).toEqual(new Set([METRIC_NAMESPACE]));
  });

  it.each(dashboardMetrics().map((metric) => [metric.label, metric] as const))(
    "%s",
    (_, metric: DashboardMetric) => {
      // Then the dashboard's namespace, name and dimensions are exactly those of an emitted metric
      expect(emitted.map(keyOf)).toContain(keyOf(metric));
    },
  );

  it("shows a line for every outcome of an event the function acted on", () => {
    // Ignored events carry a Reason per event kind and are not drawn in the outcomes graph.
    const acted = OUTCOME_METRICS.filter((name) => name !== METRIC.eventsIgnored);
    expect(new Set(functionDashboardMetrics().outcomes.map((metric) => metric.metricName))).toEqual(
      new Set(acted),
    );
  });

  it("alarms on a count the function emits, with the dimensions it emits it with", () => {
    const alarmed: DashboardMetric = {
      namespace: AUTO_SCALING_GUARD_METRIC.namespace,
      metricName: AUTO_SCALING_GUARD_METRIC.metricName,
      dimensions: { service: METRIC_SERVICE_DIMENSION.service, ...AUTO_SCALING_GUARD_METRIC.dimension },
      label: "alarm",
      stat: "Sum",
    };
    expect(emitted.map(keyOf)).toContain(keyOf(alarmed));
  });

  it("searches ignored events with exactly the namespace, name and dimensions the function emits them with", () => {
    // Given the dashboard's search for ignored events
    const search = ignoredEventsByReason();
    // Then an event for another rule was emitted as that metric, with exactly the search's dimension set
    const ignored = emitted.filter((metric) => metric.metricName === search.metricName);
    expect(ignored.length).toBeGreaterThan(0);
    for (const metric of ignored) {
      expect(metric.namespace).toBe(search.namespace);
      expect(Object.keys(metric.dimensions).sort()).toEqual([...search.dimensionNames].sort());
      expect(metric.dimensions.service).toBe(POWERTOOLS_ENVIRONMENT.POWERTOOLS_SERVICE_NAME);
    }
    expect(ignored.map((metric) => metric.dimensions.Reason)).toContain("other-rule");
    // And the expression names them as CloudWatch's search schema does: {Namespace,Dimension,...}
    expect(search.expression).toBe(
      `SEARCH('{${METRIC_NAMESPACE},Reason,service} MetricName="EventsIgnored" service="ami-guard"', 'Sum', 300)`,
    );
  });

  it("draws the ignored-events search and the failed notifications beside it", () => {
    const body = dashboardBody(EVENT_DRIVEN);
    const byTitle = (title: string) =>
      body.widgets.find((widget) => widget.properties.title === title)?.properties.metrics;
    expect(byTitle("Events ignored, by reason (no API call made)")).toEqual([
      [{ expression: ignoredEventsByReason().expression, id: "ignored" }],
    ]);
    expect(JSON.stringify(byTitle("Notifications the function could not publish"))).toContain(
      '"NotificationsFailed"',
    );
  });

  it("shows a line for every guard the function has", () => {
    const guardLines = functionDashboardMetrics().outcomes.filter((metric) => "Guard" in metric.dimensions);
    expect(guardLines.map((metric) => metric.dimensions.Guard)).toEqual([...GUARDS]);
  });

  it("would catch a dashboard metric that lacks a dimension the function adds", () => {
    // Given a guard count drawn without its Guard dimension
    const wrong: DashboardMetric = {
      ...functionMetric("RemediationsStarted", "x"),
      metricName: "GuardSkips",
    };
    // Then no emitted metric matches it
    expect(emitted.map(keyOf)).not.toContain(keyOf(wrong));
  });
});
