/**
 * EventBridge's matching for the part of the pattern language ami-guard uses: exact values (strings,
 * numbers, booleans, null) in leaf arrays, and nested objects. No npm package implements EventBridge's
 * semantics faithfully, so this stays deliberately small and refuses, rather than guesses at, any
 * content-filtering operator (`prefix`, `anything-but`, `numeric`, `exists`, `$or`, ...).
 *
 * Semantics (EventBridge User Guide, "Event pattern syntax" and "Arrays in event patterns"):
 * - every field the pattern names must be present in the event, at the same nesting;
 * - a leaf array matches when any of its values equals the event's value, exactly and case-sensitively;
 * - when the event's value is an array, the pattern matches when the two arrays intersect.
 */
export class UnsupportedPatternError extends Error {
  constructor(where: string, what: string) {
    super(`${where}: ${what} is not implemented by ami-guard's pattern matcher; extend it before using it`);
    this.name = "UnsupportedPatternError";
  }
}

export function matchesEventPattern(pattern: unknown, event: unknown): boolean {
  return matchObject(pattern, event, "pattern");
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function matchObject(pattern: unknown, event: unknown, where: string): boolean {
  if (!isPlainObject(pattern)) throw new UnsupportedPatternError(where, "a pattern that is not an object");
  // Every field is checked, so an unsupported operator anywhere is reported even when another field fails.
  let matched = true;
  for (const [field, expected] of Object.entries(pattern)) {
    const at = `${where}.${field}`;
    if (field.startsWith("$")) throw new UnsupportedPatternError(at, `the "${field}" operator`);
    const actual = isPlainObject(event) ? event[field] : undefined;
    const fieldMatches = Array.isArray(expected)
      ? matchLeaf(expected, actual, event, field, at)
      : matchNested(expected, actual, at);
    matched &&= fieldMatches;
  }
  return matched;
}

function matchNested(expected: unknown, actual: unknown, where: string): boolean {
  if (!isPlainObject(expected))
    throw new UnsupportedPatternError(where, "a value that is neither an array nor an object");
  if (!isPlainObject(actual)) {
    // Still walk the pattern so unsupported operators below are found.
    matchObject(expected, {}, where);
    return false;
  }
  return matchObject(expected, actual, where);
}

function matchLeaf(
  expected: readonly unknown[],
  actual: unknown,
  container: unknown,
  field: string,
  where: string,
): boolean {
  for (const value of expected) {
    if (typeof value === "object" && value !== null) {
      throw new UnsupportedPatternError(where, `the content filter ${JSON.stringify(value)}`);
    }
  }
  if (!isPlainObject(container) || !(field in container)) return false;
  const candidates = Array.isArray(actual) ? actual : [actual];
  return candidates.some((candidate) => expected.some((value) => value === candidate));
}
