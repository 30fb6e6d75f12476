import { finishRun } from "../global-teardown";
import { trippedCommands } from "./tripwire";

/**
 * Fails the fast run when any suite tried terraform, tofu or moto_server, even one that tolerated the
 * refusal, naming each command; then the whole suite's teardown.
 */
export default function fastTierTeardown(): void {
  const problems: string[] = [];
  const tripped = trippedCommands();
  if (tripped.length > 0)
    problems.push(
      `The fast tier ran what it must not (list the suite in jest.tiers.js):\n  ${tripped.join("\n  ")}`,
    );
  try {
    finishRun();
  } catch (error) {
    problems.push(error instanceof Error ? error.message : String(error));
  }
  if (problems.length > 0) throw new Error(problems.join("\n"));
}
