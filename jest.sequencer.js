const Sequencer = require("@jest/test-sequencer").default;
const path = require("node:path");

/**
 * The files on the suite's critical path, longest first: each waits on Terraform and the emulator for
 * minutes, so the run ends no sooner than the last of them started plus its own length. Jest's own order
 * (failed files first, then the longest recorded duration, then the largest file) only knows them from a
 * warm cache; started first, they overlap everything else on the other workers.
 */
const CRITICAL_PATH = [
  "__tests__/emulator/lifecycle.test.ts",
  "__tests__/emulator/reevaluation-lifecycle.test.ts",
  "__tests__/workflows/shard-steps.test.ts",
  "__tests__/package/consumer.test.ts",
];

/**
 * Then every other slow-tier file (jest.tiers.js), then the fast ones: the run ends on files of a second or
 * two, which fill both cores to the end, rather than on a Terraform file started late.
 */
const { SLOW_SUITES } = require("./jest.tiers");

class CriticalPathFirst extends Sequencer {
  async sort(tests) {
    const sorted = await super.sort(tests);
    const rank = (test) => {
      const relative = path.relative(test.context.config.rootDir, test.path);
      const index = CRITICAL_PATH.indexOf(relative);
      if (index !== -1) return index;
      return SLOW_SUITES.some((suite) => relative.startsWith(suite.path))
        ? CRITICAL_PATH.length
        : CRITICAL_PATH.length + 1;
    };
    // Array.prototype.sort is stable: every other file keeps jest's order.
    return [...sorted].sort((a, b) => rank(a) - rank(b));
  }
}

module.exports = CriticalPathFirst;
