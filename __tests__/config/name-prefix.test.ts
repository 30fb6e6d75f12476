import { Testing } from "cdktf";
import { stackNameFor, stateKeyFor } from "../../app/ami-guard-stack";
import { buildApp } from "../../app/app";
import type { AmiGuardConfig } from "../../app/config";
import { parseConfig } from "../../app/config/load";
import type { LambdaBundle } from "../../app/lambda-bundle";
import { listStacks } from "../../app/targets";
import { NAME_PREFIX_MAX_LENGTH } from "../../lib/ami-guard";
import { NAMED_RESOURCE_TYPES, physicalNames } from "../construct/support";
import { problemsOf, rawConfig } from "../support/configs";
import { handlerBundle } from "../support/synth";

const ACCOUNT = "111122223333";
const REGION = "eu-central-1";
const sharedBackend = { type: "s3", bucket: "org-terraform-state", keyPrefix: "ami-guard", region: REGION };

/** One team's configuration: its prefix, beside another team's in the same account and region. */
function teamConfig(namePrefix: string | undefined, recorder: "create" | "existing"): AmiGuardConfig {
  return parseConfig(
    rawConfig({
      ...(namePrefix === undefined ? {} : { namePrefix }),
      remediation: { mode: "event-driven" },
      notifications: { emails: ["oncall@example.com"] },
      targets: [{ accountId: ACCOUNT, region: REGION, recorder }],
      backend: sharedBackend,
    }),
  );
}

interface Synthesized {
  readonly stack: string;
  readonly json: {
    readonly resource?: Record<string, Record<string, Record<string, unknown>>>;
    readonly terraform: { readonly backend: { readonly s3: { readonly key: string } } };
  };
}

function synthesizeOnly(config: AmiGuardConfig, bundle: LambdaBundle): Synthesized {
  const app = buildApp(config, { outdir: Testing.app().outdir, bundle });
  const [target] = config.targets;
  if (!target) throw new Error("the configuration has no target");
  const stack = stackNameFor(target);
  return { stack, json: JSON.parse(Testing.synth(app.node.findChild(stack) as never)) };
}

describe("namePrefix: two teams' configurations in one account and region", () => {
  let bundle: LambdaBundle;
  beforeAll(async () => {
    bundle = await handlerBundle();
  });

  it("synthesizes two stacks with no resource name, stack name or state key in common", () => {
    // Given two teams' configurations for the same account and region; the first creates the recorder
    const web = synthesizeOnly(teamConfig("web", "create"), bundle);
    const data = synthesizeOnly(teamConfig("data", "existing"), bundle);
    // Then every physical name is the team's own
    const webNames = physicalNames(web.json);
    const dataNames = physicalNames(data.json);
    expect(webNames.length).toBeGreaterThan(20);
    expect(dataNames.length).toBeGreaterThan(20);
    expect(webNames.filter((name) => dataNames.includes(name))).toEqual([]);
    // And the rule, named from the prefix when no ruleName is given
    expect(webNames).toContain("aws_config_config_rule web-approved-amis");
    expect(dataNames).toContain("aws_config_config_rule data-approved-amis");
    // And the stacks (their names, output folders and local states) and their state keys differ
    expect([web.stack, data.stack]).toEqual([`web-${ACCOUNT}-${REGION}`, `data-${ACCOUNT}-${REGION}`]);
    expect(web.json.terraform.backend.s3.key).toBe(`ami-guard/web/${ACCOUNT}/${REGION}/terraform.tfstate`);
    expect(data.json.terraform.backend.s3.key).toBe(`ami-guard/data/${ACCOUNT}/${REGION}/terraform.tfstate`);
  });

  it("reads every named type a pipeline creates, so a shared name could not hide", () => {
    const types = Object.keys(synthesizeOnly(teamConfig("web", "create"), bundle).json.resource ?? {});
    const named = types.filter((type) => NAMED_RESOURCE_TYPES.includes(type));
    expect(named.length).toBeGreaterThanOrEqual(10);
  });

  it("keeps the stack name, state key and rule of a configuration without a prefix", () => {
    // Given the configuration every existing user has: no namePrefix
    const config = teamConfig(undefined, "create");
    const [target] = config.targets;
    if (!target) throw new Error("no target");
    // Then nothing moves: the same stack, key and rule as before the setting existed
    expect(stackNameFor(target)).toBe(`ami-guard-${ACCOUNT}-${REGION}`);
    expect(stateKeyFor("ami-guard", target)).toBe(`ami-guard/${ACCOUNT}/${REGION}/terraform.tfstate`);
    expect(config.ruleName).toBe("approved-amis-by-id");
    // And the default written out changes nothing either
    const explicit = teamConfig("ami-guard", "create");
    expect(listStacks(explicit)).toEqual(listStacks(config));
    expect(explicit.ruleName).toBe(config.ruleName);
  });

  it("names the canary stack with the prefix", () => {
    const config = parseConfig(
      rawConfig({
        namePrefix: "web",
        targets: [{ accountId: ACCOUNT, region: REGION }],
        deployment: { canary: [{ accountId: ACCOUNT, region: REGION }] },
      }),
    );
    expect(config.deployment?.canary).toEqual([`web-${ACCOUNT}-${REGION}`]);
  });

  it("reports a prefix the construct would refuse, with every other problem, in one error", () => {
    // Given a prefix too long for the bucket's prefix and with capitals S3 refuses, and a bad account id
    const problems = problemsOf(
      rawConfig({
        namePrefix: `Web${"x".repeat(NAME_PREFIX_MAX_LENGTH)}`,
        targets: [{ accountId: "123", region: REGION }],
      }),
    );
    // Then both fields are reported, the prefix by the construct's own rules, each rule once
    expect(problems).toEqual([
      expect.stringMatching(/^targets\[0\]\.accountId: /),
      expect.stringMatching(
        /^namePrefix: the S3 bucket_prefix "Webx+-config-" would have \d+ characters; at most 37/,
      ),
      expect.stringMatching(/^namePrefix: the S3 bucket_prefix "Webx+-config-" may hold only lowercase/),
    ]);
    expect(problemsOf(rawConfig({ namePrefix: "" }))).toEqual(["namePrefix: must not be empty"]);
  });

  it("accepts the longest prefix the construct promises, in every region", () => {
    const longest = "a".repeat(NAME_PREFIX_MAX_LENGTH);
    expect(() =>
      parseConfig(
        rawConfig({ namePrefix: longest, targets: [{ accountId: ACCOUNT, region: "ap-southeast-5" }] }),
      ),
    ).not.toThrow();
    expect(problemsOf(rawConfig({ namePrefix: `${longest}a` })).length).toBeGreaterThan(0);
  });
});
