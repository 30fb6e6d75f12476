/**
 * The one list of suites `npm run test:fast` leaves out: those that run Terraform (init, validate, plan,
 * apply), the AWS emulator (moto_server) or a whole toolchain in child processes, and the few that run none
 * of these but spend many CPU-seconds by their nature (each says why). `npm test` runs them all.
 * The fast tier puts tripwires named terraform, tofu and moto_server first on PATH, so a suite missing here
 * fails the fast run (jest.fast.config.js) rather than slowly passing. `terraform fmt` and `terraform
 * version` go through: a formatter and a version print, with no provider, state or network.
 */
const SLOW_SUITES = [
  {
    path: "__tests__/terraform/",
    reason: "terraform init, validate and plan of every mode and organization",
  },
  { path: "__tests__/emulator/", reason: "applies, changes and destroys stacks on moto_server" },
  {
    path: "__tests__/package/consumer.test.ts",
    reason: "packs the package and installs it in a consumer project",
  },
  { path: "__tests__/drill/drill.test.ts", reason: "drills the every-mode Terraform plans" },
  { path: "__tests__/examples/embedded.test.ts", reason: "validates and plans the embedded example" },
  { path: "__tests__/hostile/terraform.test.ts", reason: "terraform validate of hostile samples" },
  { path: "__tests__/workflows/cdktf-cli.test.ts", reason: "runs the cdktf CLI's synth end to end" },
  {
    path: "__tests__/workflows/workflow-lint.test.ts",
    reason: "validates the workflows with GitHub's workflow parser, run through tsx in a child process",
  },
  {
    path: "__tests__/workflows/shard-steps.test.ts",
    reason: "runs the workflows' shard, plan and aggregate steps with terraform",
  },
  {
    path: "__tests__/synth/synth-threads.test.ts",
    reason: "synthesizes in real worker threads, each loading tsx, cdktf and the provider anew",
  },
  {
    path: "__tests__/handler/storm.test.ts",
    reason: "replays a 1,000-start storm through the real handler and AWS SDK over HTTP",
  },
  {
    path: "__tests__/handler/as-deployed.test.ts",
    reason: "synthesizes a stack and runs its bundled function zip in a Node.js process of its own per case",
  },
  {
    path: "__tests__/handler/teams-isolation.test.ts",
    reason:
      "synthesizes two teams' pipelines and runs each function zip in a Node.js process of its own per event",
  },
  {
    path: "__tests__/preflight/preflight-command.test.ts",
    reason: "runs scripts/preflight.ts under tsx in a child process against the loopback",
  },
  {
    path: "__tests__/report/report-command.test.ts",
    reason: "runs scripts/report.ts under tsx in a child process against the loopback",
  },
  {
    path: "__tests__/synth/synth-command.test.ts",
    reason: "runs main.ts under tsx in a child process on a bad configuration",
  },
  {
    path: "__tests__/synth/bundle-reproducible.test.ts",
    reason: "bundles the function twice with esbuild's child process, uncached, to compare the zips",
  },
  {
    path: "__tests__/fast-tier/tier-lists.test.ts",
    reason: "runs jest --listTests in a child process for each tier to compare what they run",
  },
];

module.exports = { SLOW_SUITES };
