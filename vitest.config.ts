import { defineConfig } from 'vitest/config';

// Node-side tests: contract, relay (app.request and loopback HTTP), sandbox, and the end-to-end tests
// that drive Debian's browsers through the demo. Widget tests run in web-test-runner instead.

/**
 * Files that measure the relay under load or drive processes of their own: bursts, floods, kill -9,
 * fault waves. They run one at a time, after the rest, so that another file's CPU never decides
 * whether a burst meets its deadline.
 */
const ALONE = [
  'test/relay/fault-matrix.test.ts',
  'test/relay/crash.test.ts',
  'test/relay/limits-concurrency.test.ts',
  'test/relay/flood.test.ts',
  'test/relay/burst.test.ts',
  'test/relay/leak.test.ts',
  'test/relay/hostile.test.ts',
  'test/relay/rounds-at-scale.test.ts',
  'test/relay/same-pid-restart.test.ts',
  'test/relay/shared-outbox.test.ts',
  'test/relay/disconnects.test.ts',
];

/**
 * The end-to-end files: Debian's browsers through the demo, first visits typed at a person's pace.
 * Last, two at a time: they wait on people's timings (the fill time, a relay's delivery), which a
 * second browser does not move, and nothing of theirs races a deadline.
 */
const BROWSERS = ['test/e2e/**/*.test.ts'];

const shared = {
  // Fails any test whose relay or sandbox logged a secret, a full email or a full phone number.
  setupFiles: ['test/support/hygiene-setup.ts'],
  testTimeout: 20_000,
  hookTimeout: 30_000,
  // expect.poll waits for something that will happen (a lead delivered, a lease taken): on a loaded
  // 2-core machine that can take more than vitest's default second. What must not happen is never
  // polled for; a poll that times out is a failure either way.
  expect: { poll: { timeout: 10_000 } },
};

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          ...shared,
          name: 'together',
          include: ['test/build/**/*.test.ts', 'test/runtimes/**/*.test.ts', 'test/contract/**/*.test.ts', 'test/relay/**/*.test.ts'],
          exclude: [...ALONE, ...BROWSERS],
          // Two files at once even on two cores (vitest's default there is one): most of their time is
          // spent waiting on loopback, SQLite, PostgreSQL and workerd. On this 2-core machine the whole
          // run went from 524 s, one file at a time, to 393 s.
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      { test: { ...shared, name: 'alone', include: ALONE, maxWorkers: 1, sequence: { groupOrder: 1 } } },
      {
        test: {
          ...shared,
          name: 'browsers',
          include: BROWSERS,
          maxWorkers: 2,
          sequence: { groupOrder: 2 },
          // A test here waits, step after step, on a relay's real delivery (write jobs, backoffs, a sites
          // check): the operator's console test took 10 to 15 s of the 20 s given to the others, with
          // polls of up to 30 s in it. A minute bounds a hang without deciding how fast delivery is.
          testTimeout: 60_000,
        },
      },
    ],
  },
});
