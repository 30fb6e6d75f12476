import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import type { MetricDimensionName, MetricName } from "../lib/contract";

export interface MetricDimension {
  readonly name: MetricDimensionName;
  readonly value: string;
}

export type LogFields = Readonly<Record<string, unknown>>;

/**
 * What the handler needs from logging and metrics. The Powertools implementation below is what runs in
 * Lambda; tests hand in a recorder and assert on the log lines and metrics themselves.
 */
export interface Observability {
  /** Keys carried by every following log line of this invocation (event id, rule, instance). */
  appendKeys(keys: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  count(name: MetricName, dimension?: MetricDimension): void;
  milliseconds(name: MetricName, value: number): void;
  /** Writes the invocation's metrics and forgets its log keys. */
  endInvocation(): void;
}

/** Powertools: JSON log lines on stdout, metrics as CloudWatch embedded metric format (EMF) records. */
export function createPowertoolsObservability(): Observability {
  // Service and namespace come from POWERTOOLS_SERVICE_NAME and POWERTOOLS_METRICS_NAMESPACE, set by the stack.
  const logger = new Logger();
  const metrics = new Metrics();
  return {
    appendKeys: (keys) => logger.appendKeys({ ...keys }),
    info: (message, fields) => logger.info(message, { ...fields }),
    warn: (message, fields) => logger.warn(message, { ...fields }),
    error: (message, fields) => logger.error(message, { ...fields }),
    count(name, dimension) {
      if (dimension) {
        // A per-reason dimension must not attach to the invocation's other metrics, so it goes out on its own.
        metrics
          .singleMetric()
          .addDimension(dimension.name, dimension.value)
          .addMetric(name, MetricUnit.Count, 1);
      } else {
        metrics.addMetric(name, MetricUnit.Count, 1);
      }
    },
    milliseconds: (name, value) => metrics.addMetric(name, MetricUnit.Milliseconds, value),
    endInvocation() {
      if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
      logger.resetKeys();
    },
  };
}
