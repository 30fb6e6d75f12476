/**
 * A cdktf app of its own that uses ami-guard as a library: one existing platform stack, with its own
 * provider and resources, holds two pipelines side by side in one account and region, one per team, each
 * with its own approved AMIs, Config rule, function and names, acting only on the instances tagged
 * `team=<its team>` and paged only for its own failed stops.
 *
 *   AMI_GUARD_FUNCTION_ZIP=path/to/remediation-handler.zip npx tsx examples/embedded/main.ts
 */
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { SsmParameter } from "@cdktf/provider-aws/lib/ssm-parameter";
import { App, LocalBackend, TerraformOutput, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import {
  AmiGuard,
  type AwsRegion,
  type FunctionCode,
  functionCodeFromZip,
  InstanceScope,
  Recording,
  RemediationMode,
} from "../../index";

export interface PlatformStackProps {
  readonly accountId: string;
  readonly region: AwsRegion;
  /** The remediation handler both teams' functions run. */
  readonly functionCode: FunctionCode;
}

export const EXAMPLE_STACK_NAME = "platform";

/** The platform team's stack: its own resources, and a pipeline per team that asked for one. */
export class PlatformStack extends TerraformStack {
  readonly web: AmiGuard;
  readonly data: AmiGuard;

  constructor(scope: Construct, id: string, props: PlatformStackProps) {
    super(scope, id);
    const { accountId, region, functionCode } = props;
    new AwsProvider(this, "aws", { region, allowedAccountIds: [accountId] });
    new LocalBackend(this, { path: `terraform.${id}.tfstate` });

    // Something the stack held before any pipeline: the pipelines leave it alone.
    new SsmParameter(this, "owner", {
      name: "/platform/owner",
      type: "String",
      value: "platform-team",
    });

    // Account and region come from the provider above. Each team takes the instances tagged for it: one
    // key, a value per team, so no instance belongs to both.
    this.web = new AmiGuard(this, "web", {
      namePrefix: "web-amis",
      ruleName: "web-approved-amis",
      instanceScope: InstanceScope.tagged("team", "web"),
      approvedAmiIds: ["ami-0abcdef1234567890", "ami-0fedcba9876543210"],
      remediation: RemediationMode.eventDriven({ functionCode, exemptionTagKey: "web:exempt" }),
      // AWS Config has one recorder per account and region: the first pipeline creates it.
      recording: Recording.create(),
      notificationEmails: ["web-oncall@example.com"],
    });
    this.data = new AmiGuard(this, "data", {
      namePrefix: "data-amis",
      ruleName: "data-approved-amis",
      instanceScope: InstanceScope.tagged("team", "data"),
      approvedAmiIds: ["ami-01234567"],
      remediation: RemediationMode.eventDriven({ functionCode, dryRun: true }),
      // ...and the second evaluates with it, once it runs.
      recording: Recording.shared(this.web),
    });

    for (const [team, pipeline] of [
      ["web", this.web],
      ["data", this.data],
    ] as const) {
      new TerraformOutput(this, `${team}_rule_name`, { value: pipeline.rule.name });
      if (pipeline.topic) new TerraformOutput(this, `${team}_topic_arn`, { value: pipeline.topic.arn });
    }
  }
}

function main(): void {
  const zip = process.env.AMI_GUARD_FUNCTION_ZIP;
  if (!zip) {
    process.stderr.write(
      "Set AMI_GUARD_FUNCTION_ZIP to the remediation handler's zip (`npm run synth` builds one).\n",
    );
    process.exitCode = 1;
    return;
  }
  const app = new App({ outdir: process.env.CDKTF_OUTDIR ?? "cdktf.out.embedded" });
  new PlatformStack(app, EXAMPLE_STACK_NAME, {
    accountId: "111122223333",
    region: "eu-central-1",
    functionCode: functionCodeFromZip(zip),
  });
  app.synth();
}

if (require.main === module) main();
