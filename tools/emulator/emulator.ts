import { EmulatorProxy } from "./emulator-proxy";
import { MotoServer } from "./moto-server";

export interface AwsEmulatorOptions {
  /**
   * The accounts the stacks deploy to. With one, moto runs with MOTO_ACCOUNT_ID set to it; with several,
   * one moto serves them all and the proxy names each request's account (see EmulatorProxy).
   */
  readonly accountIds: readonly string[];
  /** Environment moto runs with. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * A local AWS for applying ami-guard's stacks: moto_server (a child process) behind the emulator proxy,
 * both on loopback. `stop()` ends both; a test calls it in `afterAll`.
 *
 * ```ts
 * const emulator = await AwsEmulator.start({ accountIds: ["111122223333"] });
 * // point Terraform at it: EmulatedStack.prepare({ ..., endpointUrl: emulator.url })
 * await emulator.stop();
 * ```
 */
export class AwsEmulator {
  private constructor(
    readonly moto: MotoServer,
    readonly proxy: EmulatorProxy,
  ) {}

  /** The one endpoint for every service (the proxy's URL). */
  get url(): string {
    return this.proxy.url;
  }

  static async start(options: AwsEmulatorOptions): Promise<AwsEmulator> {
    const [first, ...others] = options.accountIds;
    if (!first) throw new Error("the emulator needs at least one account id");
    const moto = await MotoServer.start({
      ...(others.length === 0 ? { accountId: first } : {}),
      ...(options.env ? { env: options.env } : {}),
    });
    try {
      const proxy = await EmulatorProxy.start({ motoUrl: moto.url, defaultAccountId: first });
      return new AwsEmulator(moto, proxy);
    } catch (error) {
      await moto.stop();
      throw error;
    }
  }

  async stop(): Promise<void> {
    try {
      await this.proxy.stop();
    } finally {
      await this.moto.stop();
    }
  }
}
