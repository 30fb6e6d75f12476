import * as path from "node:path";
import { prepareRun, RUN_STATE_VARIABLES } from "../global-setup";
import { installTripwires } from "./tripwire";

/** The whole suite's setup, then the tripwires, inside the run's temporary folder (removed at the end). */
export default function fastTierSetup(): void {
  prepareRun();
  const root = process.env[RUN_STATE_VARIABLES.runTemporaryRoot];
  if (!root) throw new Error("the global setup set no temporary folder for the run");
  installTripwires(path.join(root, "fast-tier-tripwires"));
}
