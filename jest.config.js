/**
 * @swc/jest strips types without checking them, which keeps the suite fast; `npm run typecheck`
 * (tsc --noEmit) is the type gate and runs in `npm test` before jest.
 * @type {import('jest').Config}
 */
module.exports = {
  // jest's node environment; see there for the one thing it changes.
  testEnvironment: "<rootDir>/__tests__/support/environment.ts",
  roots: ["<rootDir>/__tests__"],
  testMatch: ["**/*.test.ts"],
  transform: { "^.+\\.ts$": ["@swc/jest", { jsc: { target: "es2022" } }] },
  // One temporary folder for the whole run, removed at the end; the run fails if anything is left behind.
  globalSetup: "<rootDir>/__tests__/global-setup.ts",
  globalTeardown: "<rootDir>/__tests__/global-teardown.ts",
  testTimeout: 120000,
  // Jest's default on two cores is one worker, which sits idle while terraform and node children run: a
  // third of the suite's wall time went waiting. Three workers keep both cores busy.
  maxWorkers: 3,
  // The longest Terraform and emulator files start first, so the others fill the workers beside them.
  testSequencer: "<rootDir>/jest.sequencer.js",
};
