import { z } from "zod";

/**
 * The schemas read only what the decision needs and let every other field through: AWS adds fields to its
 * events over time, and an unknown field must not turn a real compliance change into a "malformed" one.
 */

/** The EventBridge envelope every event has, whatever its source. */
export const eventEnvelopeSchema = z.looseObject({
  id: z.string().min(1),
  source: z.string(),
  "detail-type": z.string(),
  account: z.string(),
  region: z.string(),
  detail: z.looseObject({}),
});

/** `detail` of a Config Rules Compliance Change: read only once source, detail-type and messageType match. */
export const complianceChangeDetailSchema = z.looseObject({
  messageType: z.string(),
  configRuleName: z.string().optional(),
  resourceType: z.string().optional(),
  resourceId: z.string().optional(),
  awsAccountId: z.string().optional(),
  awsRegion: z.string().optional(),
  newEvaluationResult: z.looseObject({
    evaluationResultIdentifier: z.looseObject({
      evaluationResultQualifier: z.looseObject({
        configRuleName: z.string(),
        resourceType: z.string(),
        resourceId: z.string(),
      }),
    }),
    complianceType: z.string(),
    resultRecordedTime: z.string().optional(),
  }),
});

export type EventEnvelope = z.output<typeof eventEnvelopeSchema>;
export type ComplianceChangeDetail = z.output<typeof complianceChangeDetailSchema>;

/** Validation problems as `path: message` lines, few enough for one log line. */
export function describeIssues(error: z.ZodError, limit = 10): string[] {
  return error.issues
    .slice(0, limit)
    .map((issue) => `${issue.path.length > 0 ? issue.path.join(".") : "(event)"}: ${issue.message}`);
}
