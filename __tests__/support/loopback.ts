import { AwsLoopback } from "../../tools/loopback/aws-loopback";

/**
 * Starts a loopback before the enclosing block's tests and points this process's AWS SDK at it alone: the
 * variables `environment` names for its URL, and no profile or temporary credentials from the shell. Hands it to
 * `started`, forgets its requests and scripted answers before each test, and stops it and restores the
 * environment after the last.
 */
export function useAwsLoopback(
  environment: (url: string) => Record<string, string>,
  started: (aws: AwsLoopback) => void,
): void {
  let aws: AwsLoopback | undefined;
  const savedEnv = { ...process.env };

  beforeAll(async () => {
    aws = await AwsLoopback.start();
    Object.assign(process.env, environment(aws.url));
    delete process.env.AWS_PROFILE;
    delete process.env.AWS_SESSION_TOKEN;
    started(aws);
  });

  afterAll(async () => {
    process.env = savedEnv;
    await aws?.stop();
  });

  beforeEach(() => aws?.clear());
}
