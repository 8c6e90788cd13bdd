import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { runSteps, summary } from '../support/run-steps.mjs';

// `npm test` chains its suites through runSteps: a failing suite must not stop the ones after it.
describe('npm test runs every step', () => {
  it('runs the steps after a failed one and reports each', async () => {
    const results = await runSteps(
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

  it('names the failed tests under a failed step, as the tools printed them, so the tail of a CI log says which', async () => {
    // What vitest prints for a failed test (colours and all), and a passing line that must not be listed.
    const printed = [
      '\\x1b[31m FAIL \\x1b[39m  together  test/relay/a.test.ts > books > races',
      ' ✓ test/relay/b.test.ts > fine',
      '   × races 216ms',
    ].join('\\n');
    const results = await runSteps(
      [
        ['passing', `node -e "console.log(' FAIL  not listed: the step passed')"`],
        ['vitest', `node -e "console.log('${printed}'); process.exit(1)"`],
      ],
      { log: () => {}, stdio: 'ignore' },
    );
    expect(results[1]!.failures).toEqual(['FAIL   together  test/relay/a.test.ts > books > races', '× races 216ms']);
    const lines = summary(results).split('\n');
    expect(lines.indexOf('  FAIL  vitest (0 s)')).toBeGreaterThan(0);
    expect(lines).toContain('          FAIL   together  test/relay/a.test.ts > books > races');
    expect(summary(results)).not.toContain('not listed');
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
