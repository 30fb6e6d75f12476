/**
 * A project of its own that installs ami-guard from the registry: one stack, two teams' pipelines in one
 * account and region, both running the remediation function that ships inside the package.
 *
 *   npm install && npx tsc && node main.js    (or point cdktf.json's "app" at it)
 *
 * main.cjs and main.mjs build the same stack from plain JavaScript; keep the three alike.
 */
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { AmiGuard, FunctionCode, InstanceScope, Recording, RemediationMode } from "ami-guard";
import { App, TerraformOutput, TerraformStack } from "cdktf";

const accountId = "111122223333";
const region = "eu-central-1";

const app = new App();
const stack = new TerraformStack(app, "platform");
new AwsProvider(stack, "aws", { region, allowedAccountIds: [accountId] });

// The handler zip packed with this version of ami-guard: no bundler needed here.
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
  // One recorder per account and region: the first pipeline creates it...
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
  // ...and the second uses it, waiting for it to run.
  recording: Recording.shared(web),
});

new TerraformOutput(stack, "web_rule_name", { value: web.rule.name });
new TerraformOutput(stack, "data_rule_name", { value: data.rule.name });
app.synth();
