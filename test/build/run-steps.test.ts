import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { runSteps, summary } from '../support/run-steps.mjs';

// `npm test` chains its suites through runSteps: a failing suite must not stop the ones after it.
describe('npm test runs every step', () => {
  it('runs the steps after a failed one and reports each', () => {
    const results = runSteps(
      [
        ['first', 'node -e "process.exit(0)"'],
        ['broken', 'node -e "process.exit(3)"'],
        ['after', 'node -e "process.exit(0)"'],
      ],
      { log: () => {}, stdio: 'ignore' },
    );
    expect(results.map((r) => [r.name, r.ok])).toEqual([
      ['first', true],
      ['broken', false],
      ['after', true],
    ]);
    expect(summary(results).split('\n').at(-1)).toBe('steps: 2 passed, 1 failed');
    expect(summary(results)).toContain('FAIL  broken');
  });

  it('npm test itself exits non-zero when a step failed, after running the rest', () => {
    const steps = [
      ['broken', 'node -e "process.exit(2)"'],
      ['after', 'node -e "console.log(\'after ran\')"'],
    ];
    const run = spawnSync(process.execPath, ['test/run.mjs'], {
      env: { ...process.env, RESMAN_TEST_STEPS: JSON.stringify(steps) },
      encoding: 'utf8',
    });
    expect(run.status).toBe(1);
    expect(run.stdout).toContain('after ran');
    expect(run.stdout.trim().split('\n').at(-1)).toBe('steps: 1 passed, 1 failed');
  });
});
