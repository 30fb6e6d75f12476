// The stack of main.ts from plain CommonJS: require("ami-guard") with no compiler in between.
const { AwsProvider } = require("@cdktf/provider-aws/lib/provider");
const { AmiGuard, FunctionCode, InstanceScope, Recording, RemediationMode } = require("ami-guard");
const { App, TerraformOutput, TerraformStack } = require("cdktf");

const accountId = "111122223333";
const region = "eu-central-1";

const app = new App();
const stack = new TerraformStack(app, "platform");
new AwsProvider(stack, "aws", { region, allowedAccountIds: [accountId] });

const functionCode = FunctionCode.bundled();

const web = new AmiGuard(stack, "web", {
  namePrefix: "web-amis",
  ruleName: "web-approved-amis",
  // Each team takes the instances tagged for it: one key, a value per team.
  instanceScope: InstanceScope.tagged("team", "web"),
  accountId,
  region,
  approvedAmiIds: ["ami-0abcdef1234567890"],
  remediation: RemediationMode.eventDriven({ functionCode }),
  recording: Recording.create(),
});
const data = new AmiGuard(stack, "data", {
  namePrefix: "data-amis",
  ruleName: "data-approved-amis",
  instanceScope: InstanceScope.tagged("team", "data"),
  accountId,
  region,
  approvedAmiIds: ["ami-01234567"],
  remediation: RemediationMode.eventDriven({ functionCode, dryRun: true }),
  recording: Recording.shared(web),
});

new TerraformOutput(stack, "web_rule_name", { value: web.rule.name });
new TerraformOutput(stack, "data_rule_name", { value: data.rule.name });
app.synth();
