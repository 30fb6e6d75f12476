import {
  emulatorEnvironment,
  emulatorOverride,
  refuseOwnEndpoints,
} from "../../tools/emulator/emulator-stack";

const URL = "http://127.0.0.1:4566";
const ACCOUNT = "111122223333";

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
      },
      URL,
      ACCOUNT,
      "/work/stack/empty-aws-config",
    );
    // Then only the emulator's URL, its credentials and the empty shared file are left, beside what has
    // nothing to do with AWS
    expect(env).toEqual({
      PATH: "/usr/bin",
      AWS_ENDPOINT_URL: URL,
      AWS_ACCESS_KEY_ID: ACCOUNT,
      AWS_SECRET_ACCESS_KEY: "emulator",
      AWS_CONFIG_FILE: "/work/stack/empty-aws-config",
      AWS_SHARED_CREDENTIALS_FILE: "/work/stack/empty-aws-config",
    });
  });

  it("writes no endpoints block, which would cost the provider seconds at every command", () => {
    const [provider] = (emulatorOverride(ACCOUNT) as { provider: { aws: Record<string, unknown>[] } })
      .provider.aws;
    expect(provider).not.toHaveProperty("endpoints");
    expect(provider).toMatchObject({ access_key: ACCOUNT, max_retries: 2, s3_use_path_style: true });
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
});
