import { runAsProcess } from "./app/command-process";
import { runSynthCommand } from "./app/synth-command";

runAsProcess("ami-guard synthesis failed", (io) => runSynthCommand(process.env, io), { withStack: true });
