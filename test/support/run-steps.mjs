// Runs shell commands one after another, each whatever became of the ones before, and says which failed.
import { spawnSync } from 'node:child_process';

/**
 * @param {ReadonlyArray<readonly [string, string]>} steps name and shell command
 * @param {{ log?: (line: string) => void, stdio?: 'inherit' | 'ignore' }} [options]
 * @returns {{ name: string, ok: boolean, seconds: number }[]}
 */
export function runSteps(steps, { log = console.log, stdio = 'inherit' } = {}) {
  const results = [];
  for (const [name, command] of steps) {
    log(`\n▶ ${name}: ${command}\n`);
    const started = Date.now();
    const run = spawnSync(command, { stdio, shell: true });
    results.push({ name, ok: run.status === 0, seconds: Math.round((Date.now() - started) / 1000) });
  }
  return results;
}

/** The closing lines: one per step, then `steps: N passed, N failed`. */
export function summary(results) {
  const failed = results.filter((r) => !r.ok).length;
  return [
    'npm test',
    ...results.map(({ name, ok, seconds }) => `  ${ok ? 'ok  ' : 'FAIL'}  ${name} (${seconds} s)`),
    `steps: ${results.length - failed} passed, ${failed} failed`,
  ].join('\n');
}
