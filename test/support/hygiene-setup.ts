/**
 * Registered in vitest.config.ts: fails the test during which a checked sink (test/support/hygiene.ts)
 * saw a log line with a secret, a bearer credential, a full email or a full phone number; and the
 * file, for lines written after its last test (a relay closing in afterAll, a late deliverer).
 */
import { afterAll, afterEach } from 'vitest';
import { formatViolations, takeViolations } from './hygiene.js';

function assertClean(when: string): void {
  const violations = takeViolations();
  if (violations.length > 0) {
    throw new Error(`log hygiene: ${violations.length} violation(s) ${when}:\n${formatViolations(violations)}`);
  }
}

afterEach(() => assertClean('during this test'));
afterAll(() => assertClean('after the last test of this file'));
