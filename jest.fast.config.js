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
  globalSetup: "<rootDir>/__tests__/fast-tier/global-setup.ts",
  globalTeardown: "<rootDir>/__tests__/fast-tier/global-teardown.ts",
};
