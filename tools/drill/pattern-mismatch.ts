import { matchesEventPattern } from "./event-pattern-matcher";
import { isObject } from "./plan-view";

/** The first field where a pattern and an event disagree, for a message that names it. */
interface PatternMismatch {
  /** `detail.configRuleName` */
  readonly field: string;
  /** The values the pattern accepts there. */
  readonly expected: readonly unknown[];
  /** What the event holds there; undefined when the field is missing. */
  readonly actual: unknown;
}

/**
 * Walks the pattern in its own order and returns the first leaf that does not match, judged by the same
 * matcher the drill uses (so the explanation never disagrees with the verdict).
 */
export function firstPatternMismatch(
  pattern: unknown,
  event: unknown,
  at: readonly string[] = [],
): PatternMismatch | undefined {
  if (!isObject(pattern)) return undefined;
  for (const [field, expected] of Object.entries(pattern)) {
    const here = [...at, field];
    const present = isObject(event) && field in event;
    const actual = present ? (event as Record<string, unknown>)[field] : undefined;
    if (Array.isArray(expected)) {
      if (!matchesEventPattern({ [field]: expected }, present ? { [field]: actual } : {})) {
        return { field: here.join("."), expected, actual };
      }
    } else {
      const nested = firstPatternMismatch(expected, actual, here);
      if (nested) return nested;
    }
  }
  return undefined;
}

export function describeMismatch(mismatch: PatternMismatch): string {
  const actual =
    mismatch.actual === undefined ? "has no such field" : `has ${JSON.stringify(mismatch.actual)}`;
  return `${mismatch.field} must be one of ${JSON.stringify(mismatch.expected)}, the event ${actual}`;
}
