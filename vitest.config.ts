import { defineConfig } from 'vitest/config';

// Node-side tests: contract, relay (app.request and loopback HTTP), sandbox, and the end-to-end test
// that drives Debian's Chromium through the demo. Widget tests run in web-test-runner instead.
export default defineConfig({
  test: {
    include: [
      'test/build/**/*.test.ts',
      'test/runtimes/**/*.test.ts',
      'test/contract/**/*.test.ts',
      'test/relay/**/*.test.ts',
      'test/e2e/**/*.test.ts',
    ],
    // Fails any test whose relay or sandbox logged a secret, a full email or a full phone number.
    setupFiles: ['test/support/hygiene-setup.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // expect.poll waits for something that will happen (a lead delivered, a lease taken): on a loaded
    // 2-core machine that can take more than vitest's default second. What must not happen is never
    // polled for; a poll that times out is a failure either way.
    expect: { poll: { timeout: 10_000 } },
  },
});
