import {
  emulatorEnvironment,
  emulatorOverride,
  refuseOwnEndpoints,
  refuseReroutingVariables,
} from "../../tools/emulator/emulator-stack";

const URL = "http://127.0.0.1:4566";
const ACCOUNT = "111122223333";
const EMPTY_FILE = "/work/stack/empty-aws-config";

function overrideProvider(): Record<string, unknown> {
  const override = emulatorOverride(ACCOUNT, EMPTY_FILE) as { provider: { aws: Record<string, unknown>[] } };
  return override.provider.aws[0] ?? {};
}

describe("how an emulated stack's calls reach the emulator", () => {
  it("routes through AWS_ENDPOINT_URL alone: every endpoint setting that could win over it is taken out", () => {
    // Given a shell that points some services elsewhere, turns the variables off, and names a profile and
    // shared files (whose ignore_configure_endpoint_urls would turn them off too)
    const env = emulatorEnvironment(
      {
        PATH: "/usr/bin",
        AWS_ENDPOINT_URL: "https://somewhere.else",
        AWS_ENDPOINT_URL_S3: "https://s3.example",
        AWS_ENDPOINT_URL_CONFIG_SERVICE: "https://config.example",
        AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: "true",
        AWS_PROFILE: "production",
        AWS_SESSION_TOKEN: "token",
        AWS_CONFIG_FILE: "/home/me/.aws/config",
        AWS_SHARED_CREDENTIALS_FILE: "/home/me/.aws/credentials",
        AWS_ACCESS_KEY_ID: "AKIAREAL",
        TF_REATTACH_PROVIDERS: '{"registry.terraform.io/hashicorp/aws":{"Pid":1}}',
      },
      URL,
      ACCOUNT,
      EMPTY_FILE,
    );
    // Then only the emulator's URL, its credentials and the empty shared file are left, beside what has
    // nothing to do with AWS
    expect(env).toEqual({
      PATH: "/usr/bin",
      AWS_ENDPOINT_URL: URL,
      AWS_ACCESS_KEY_ID: ACCOUNT,
      AWS_SECRET_ACCESS_KEY: "emulator",
      AWS_CONFIG_FILE: EMPTY_FILE,
      AWS_SHARED_CREDENTIALS_FILE: EMPTY_FILE,
    });
  });

  it("writes no endpoints block, which would cost the provider seconds at every command", () => {
    const provider = overrideProvider();
    expect(provider).not.toHaveProperty("endpoints");
    expect(provider).toMatchObject({ access_key: ACCOUNT, max_retries: 2, s3_use_path_style: true });
  });

  it("names the empty shared files in the provider too, over any the stack names itself", () => {
    expect(overrideProvider()).toMatchObject({
      shared_config_files: [EMPTY_FILE],
      shared_credentials_files: [EMPTY_FILE],
    });
  });

  it("refuses a stack whose own provider sets endpoints, naming the provider, in either JSON form", () => {
    expect(() =>
      refuseOwnEndpoints("stack-a", {
        provider: {
          aws: [{ region: "eu-west-1" }, { alias: "us", endpoints: [{ s3: "https://s3.example" }] }],
        },
      }),
    ).toThrow(/stack-a: the aws provider us sets endpoints/);
    expect(() =>
      refuseOwnEndpoints("stack-b", { provider: { aws: { endpoints: [{ sts: "https://sts.example" }] } } }),
    ).toThrow(/stack-b: the aws provider \(default\) sets endpoints/);
  });

  it("accepts a stack whose providers set no endpoints, or that has no aws provider block", () => {
    expect(() =>
      refuseOwnEndpoints("stack", { provider: { aws: [{ region: "eu-west-1" }, { alias: "us" }] } }),
    ).not.toThrow();
    expect(() => refuseOwnEndpoints("stack", {})).not.toThrow();
  });

  it("refuses a command's own AWS variables or provider attachment, and lets others through", () => {
    expect(() =>
      refuseReroutingVariables({ AWS_ENDPOINT_URL_S3: "https://s3.example", GOGC: "100" }),
    ).toThrow(/cannot set AWS_ENDPOINT_URL_S3: it would undo the emulator's routing/);
    expect(() => refuseReroutingVariables({ TF_REATTACH_PROVIDERS: "{}", AWS_PROFILE: "x" })).toThrow(
      /TF_REATTACH_PROVIDERS, AWS_PROFILE/,
    );
    expect(() => refuseReroutingVariables({ GOGC: "100", TF_LOG: "trace" })).not.toThrow();
  });
});
