const base = require("./jest.config");
const { SLOW_SUITES } = require("./jest.tiers");

/**
 * `npm run test:fast`: every suite but those jest.tiers.js lists, with tripwires for terraform, tofu and
 * moto_server on PATH (set up and checked by the fast tier's global setup and teardown).
 * @type {import('jest').Config}
 */
module.exports = {
  ...base,
  testPathIgnorePatterns: [
    "/node_modules/",
    ...SLOW_SUITES.map((suite) => `<rootDir>/${suite.path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`),
  ],
  // Two workers, not the three of npm test: the third keeps both cores busy while terraform and node children
  // run, and the fast tier starts almost none. Measured 2026-12-07 on the shared two-core machine (load
  // average 6 to 10 from other work), three alternating runs each of `npx jest -c jest.fast.config.js
  // --maxWorkers=N`: median 69.7 s with two, 71.4 s with three (within what the load varies), CPU time alike (71.8 and
  // 71.3 s).
  maxWorkers: 2,
  globalSetup: "<rootDir>/__tests__/fast-tier/global-setup.ts",
  globalTeardown: "<rootDir>/__tests__/fast-tier/global-teardown.ts",
};
