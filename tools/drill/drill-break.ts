import { isObject } from "./plan-view";

/** The links of the path, in the order the drill walks them; a break names the one that failed. */
const DRILL_LINKS = [
  "plan",
  "config-rule",
  "reevaluation",
  "event-pattern",
  "event-target",
  "invoke-permission",
  "instance-running",
  "function-environment",
  "function-code",
  "function-run",
  "remediation-request",
  "remediation-configuration",
  "remediation-parameters",
] as const;
export type DrillLink = (typeof DRILL_LINKS)[number];

export class DrillBreak extends Error {
  constructor(
    readonly link: DrillLink,
    message: string,
  ) {
    super(message);
    this.name = "DrillBreak";
  }
}

/** Receives each step's line as it passes (`✓ …`) or is noted (`· …`). */
export type Say = (line: string) => void;

export const EC2_INSTANCE = "AWS::EC2::Instance";

export function firstObject(value: unknown): Record<string, unknown> | undefined {
  const [first] = Array.isArray(value) ? value : [];
  return isObject(first) ? first : undefined;
}
