import { readFileSync } from "node:fs";
import * as path from "node:path";
import Ajv2020 from "ajv/dist/2020";
import { TerraformStack, Testing } from "cdktf";
import {
  ALLOWED_AMIS_LIMITS,
  ALLOWED_IMAGES_STATES,
  ALLOWED_IMAGES_STATES_FACT,
  AllowedImagesPolicy,
  allowedImagesPolicyContent,
  DECLARATIVE_POLICY_SYNTAX_URL,
  isValidImageName,
} from "../../lib/prevention";

const readJson = (file: string) => JSON.parse(readFileSync(path.join(__dirname, file), "utf8"));
const schema = readJson("allowed-images-declarative-policy.schema.json");
const documented = readJson("fixtures/documented-allowed-images-example.json");
const documentedMessage = readJson("fixtures/documented-exception-message-example.json");

const validate = new Ajv2020({ allErrors: true, strict: true }).compile(schema);
const problemsOf = (policy: unknown): string[] =>
  validate(policy) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);

const GOLDEN_IMAGE_ACCOUNT = "444455556666";

describe("the declarative policy schema, written from AWS's page", () => {
  it("accepts the examples the page itself gives", () => {
    // Given the page's own examples, copied with their source
    expect(documented.source).toBe(DECLARATIVE_POLICY_SYNTAX_URL);
    // Then the schema accepts both
    expect(problemsOf(documented.policy)).toEqual([]);
    expect(problemsOf(documentedMessage.policy)).toEqual([]);
  });

  it.each([
    ["a state the page does not list", { state: { "@@assign": "audit-mode" } }],
    ["a state no page shows a policy assigning", { state: { "@@assign": "disabled" } }],
    ["a criterion past criteria_10", { image_criteria: { criteria_11: {} } }],
    [
      "a provider alias spelled as EC2's API spells it",
      { image_criteria: { criteria_1: { allowed_image_providers: { "@@assign": ["aws-marketplace"] } } } },
    ],
    [
      "a list without a value-setting operator",
      { image_criteria: { criteria_1: { allowed_image_providers: ["amazon"] } } },
    ],
    ["a field the page does not name", { image_ids: { "@@assign": ["ami-0123456789abcdef0"] } }],
  ])("refuses %s", (_, settings) => {
    // Given an allowed_images_settings the page does not allow
    const policy = { ec2_attributes: { allowed_images_settings: settings } };
    // Then the schema names a problem
    expect(problemsOf(policy)).not.toEqual([]);
  });

  it("refuses a policy without the fixed top-level key", () => {
    expect(problemsOf({ allowed_images_settings: {} })).not.toEqual([]);
  });
});

describe("the states", () => {
  it("are exactly those the schema, written from the page, accepts, with the page as their source", () => {
    // Given the states the configuration accepts, and the page they come from
    expect(ALLOWED_IMAGES_STATES_FACT.source).toBe(DECLARATIVE_POLICY_SYNTAX_URL);
    // Then each makes valid content, and nothing else the page's schema lists is missing
    const schemaStates = schema.properties.ec2_attributes.properties.allowed_images_settings.properties.state
      .properties["@@assign"].enum as string[];
    expect([...ALLOWED_IMAGES_STATES].sort()).toEqual([...schemaStates].sort());
  });
});

describe("allowedImagesPolicyContent", () => {
  it("writes audit mode with the golden-image account as the only provider", () => {
    // Given the first rollout step
    const content = allowedImagesPolicyContent({
      state: "audit_mode",
      imageProviders: [GOLDEN_IMAGE_ACCOUNT],
    });
    // Then the content is valid and says exactly that
    expect(problemsOf(content)).toEqual([]);
    expect(content).toEqual({
      ec2_attributes: {
        allowed_images_settings: {
          state: { "@@assign": "audit_mode" },
          image_criteria: {
            criteria_1: { allowed_image_providers: { "@@assign": [GOLDEN_IMAGE_ACCOUNT] } },
          },
        },
      },
    });
  });

  it("adds name patterns to the same criterion when they are configured", () => {
    const content = allowedImagesPolicyContent({
      state: "enabled",
      imageProviders: [GOLDEN_IMAGE_ACCOUNT, "amazon"],
      imageNames: ["golden-*", "base-???-*"],
    });
    expect(problemsOf(content)).toEqual([]);
    expect(JSON.stringify(content)).toContain('"image_names":{"@@assign":["golden-*","base-???-*"]}');
  });

  it("produces content the schema refuses when a name breaks AWS's rules, so the schema is not a rubber stamp", () => {
    const content = allowedImagesPolicyContent({
      state: "enabled",
      imageProviders: [GOLDEN_IMAGE_ACCOUNT],
      imageNames: ["a?"],
    });
    expect(problemsOf(content)).not.toEqual([]);
    expect(isValidImageName("a?")).toBe(false);
    expect(isValidImageName("abc?")).toBe(true);
    expect(isValidImageName("name{with}braces")).toBe(false);
  });
});

describe("AllowedImagesPolicy", () => {
  const synth = (targetIds: string[]) => {
    const app = Testing.app();
    const stack = new TerraformStack(app, "prevention");
    new AllowedImagesPolicy(stack, "allowed-images", {
      state: "audit_mode",
      imageProviders: [GOLDEN_IMAGE_ACCOUNT],
      targetIds,
    });
    return JSON.parse(Testing.synth(stack));
  };

  it("declares a DECLARATIVE_POLICY_EC2 policy attached to the root and each unit", () => {
    // Given the root and one organizational unit
    const stack = synth(["r-ab12", "ou-ab12-cdef3456"]);
    // Then one policy of the declarative EC2 type holds valid content, attached twice
    const policies = Object.values(stack.resource.aws_organizations_policy) as Record<string, string>[];
    expect(policies).toHaveLength(1);
    expect(policies[0]?.type).toBe("DECLARATIVE_POLICY_EC2");
    expect(problemsOf(JSON.parse(policies[0]?.content ?? "{}"))).toEqual([]);
    const targets = Object.values(stack.resource.aws_organizations_policy_attachment).map(
      (attachment) => (attachment as { target_id: string }).target_id,
    );
    expect(targets.sort()).toEqual(["ou-ab12-cdef3456", "r-ab12"]);
  });

  it.each(ALLOWED_IMAGES_STATES)("says in its %s description what it does not stop", (state) => {
    // Given the policy in this state
    const app = Testing.app();
    const stack = new TerraformStack(app, "prevention");
    new AllowedImagesPolicy(stack, "allowed-images", {
      state,
      imageProviders: [GOLDEN_IMAGE_ACCOUNT],
      targetIds: ["r-ab12"],
    });
    const [policy] = Object.values(JSON.parse(Testing.synth(stack)).resource.aws_organizations_policy) as {
      description: string;
    }[];
    // Then the description promises no more than Allowed AMIs does
    expect(ALLOWED_AMIS_LIMITS.value).toEqual({ restrictsOwnAmis: false, touchesRunningInstances: false });
    expect(policy?.description).toContain(
      "Never restricts AMIs the account owns and never touches running instances",
    );
    expect(policy?.description).not.toMatch(/launches only from/);
    expect(policy?.description).toMatch(state === "enabled" ? /blocks launches/ : /without blocking/);
    // CreatePolicy takes a description of at most 512 characters
    expect(policy?.description.length).toBeLessThanOrEqual(512);
  });

  it("refuses an account id or a typo as a target, naming each", () => {
    expect(() => synth(["111122223333", "ou-short"])).toThrow(
      /111122223333 is neither a root id.*ou-short is neither a root id/,
    );
    expect(() => synth([])).toThrow(/name the root or at least one organizational unit/);
  });
});
