import { type AwsClients, createAwsClients } from "./clients";
import { createPowertoolsObservability } from "./observability";
import { type HandlerDependencies, type HandlerResult, handleEvent } from "./remediate";
import { type HandlerSettings, readSettings } from "./settings";

export type { HandlerResult } from "./remediate";

/**
 * Builds the entry point around its dependencies. Settings and clients are created on first use and
 * then reused by warm invocations; a broken environment fails each invocation with its reason.
 */
export function createHandler(deps: HandlerDependencies): (event: unknown) => Promise<HandlerResult> {
  return async (event: unknown) => {
    try {
      return await handleEvent(event, deps);
    } finally {
      deps.observability.endInvocation();
    }
  };
}

function lazily<T>(create: () => T): () => T {
  let value: T | undefined;
  return () => {
    value ??= create();
    return value;
  };
}

const settings = lazily<HandlerSettings>(() => readSettings(process.env));

export const handler = createHandler({
  settings,
  clients: lazily<AwsClients>(() => createAwsClients(settings().region)),
  observability: createPowertoolsObservability(),
  now: () => new Date(),
  sleep: (milliseconds) => new Promise((resolve) => setTimeout(resolve, milliseconds)),
});
