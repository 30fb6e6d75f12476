import * as z from "zod/mini";

/**
 * The schemas read only what the decision needs and let every other field through: AWS adds fields to its
 * events over time, and an unknown field must not turn a real compliance change into a "malformed" one.
 * `zod/mini` rather than `zod`: the same validation, tree-shaken to a fraction of the bundle.
 */

/** The EventBridge envelope every event has, whatever its source. */
export const eventEnvelopeSchema = z.looseObject({
  id: z.string().check(z.minLength(1)),
  source: z.string(),
  "detail-type": z.string(),
  account: z.string(),
  region: z.string(),
  detail: z.looseObject({}),
});

/** `detail` of a Config Rules Compliance Change: read only once source, detail-type and messageType match. */
export const complianceChangeDetailSchema = z.looseObject({
  messageType: z.string(),
  configRuleName: z.optional(z.string()),
  resourceType: z.optional(z.string()),
  resourceId: z.optional(z.string()),
  awsAccountId: z.optional(z.string()),
  awsRegion: z.optional(z.string()),
  newEvaluationResult: z.looseObject({
    evaluationResultIdentifier: z.looseObject({
      evaluationResultQualifier: z.looseObject({
        configRuleName: z.string(),
        resourceType: z.string(),
        resourceId: z.string(),
      }),
    }),
    complianceType: z.string(),
    resultRecordedTime: z.optional(z.string()),
  }),
});

/** `detail` of an EC2 Instance State-change Notification: read only once source and detail-type match. */
export const instanceStateChangeDetailSchema = z.looseObject({
  "instance-id": z.string(),
  state: z.string(),
});

/**
 * Validation problems as `path: message` lines, few enough for one log line. zod/mini ships no message
 * texts, so the line is built from the issue itself: what was expected and what arrived.
 */
export function describeIssues(error: z.core.$ZodError, limit = 10): string[] {
  return error.issues.slice(0, limit).map((issue) => {
    const where = issue.path.length > 0 ? issue.path.join(".") : "(event)";
    if (issue.code === "invalid_type") {
      return `${where}: expected ${issue.expected}, received ${describeInput(issue.input)}`;
    }
    if (issue.code === "too_small") return `${where}: must not be empty`;
    return `${where}: ${issue.code}`;
  });
}

function describeInput(input: unknown): string {
  if (input === undefined) return "nothing";
  if (input === null) return "null";
  return Array.isArray(input) ? "array" : typeof input;
}
