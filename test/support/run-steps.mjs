// Runs shell commands one after another, each whatever became of the ones before, and says which failed.
// A failed step's summary line is followed by the lines its own output named failures with: CI keeps
// only the end of a run's output, and "vitest failed" alone does not say which test to look at.
import { spawn } from 'node:child_process';
import { stripVTControlCharacters } from 'node:util';

/** vitest's `FAIL  project  file > test` and `× test`, web-test-runner's `❌ test` and `✗`, ANSI removed. */
const FAILURE_LINE = /^\s*(FAIL\s|×\s|❌|✗\s)/;
const MAX_FAILURE_LINES = 20;

/**
 * @param {ReadonlyArray<readonly [string, string]>} steps name and shell command
 * @param {{ log?: (line: string) => void, stdio?: 'inherit' | 'ignore' }} [options]
 * @returns {Promise<{ name: string, ok: boolean, seconds: number, failures: string[] }[]>}
 */
export async function runSteps(steps, { log = console.log, stdio = 'inherit' } = {}) {
  const results = [];
  for (const [name, command] of steps) {
    log(`\n▶ ${name}: ${command}\n`);
    const started = Date.now();
    const { status, failures } = await run(command, stdio === 'inherit');
    results.push({ name, ok: status === 0, seconds: Math.round((Date.now() - started) / 1000), failures });
  }
  return results;
}

/** Runs one command, echoing its output when asked, and keeps the distinct lines that name a failure. */
function run(command, echo) {
  return new Promise((resolve) => {
    const child = spawn(command, { shell: true, stdio: ['inherit', 'pipe', 'pipe'] });
    const failures = new Set();
    const scan = (out) => {
      let rest = '';
      return (chunk) => {
        if (echo) out.write(chunk);
        const lines = (rest + chunk.toString('utf8')).split('\n');
        rest = lines.pop() ?? '';
        for (const raw of lines) {
          // Progress bars redraw with \r: the last redraw is what was printed.
          const line = stripVTControlCharacters(raw).split('\r').at(-1).trimEnd();
          if (FAILURE_LINE.test(line) && failures.size < MAX_FAILURE_LINES) failures.add(line.trim());
        }
      };
    };
    child.stdout.on('data', scan(process.stdout));
    child.stderr.on('data', scan(process.stderr));
    child.on('close', (code) => resolve({ status: code, failures: [...failures] }));
  });
}

/** The closing lines: one per step (a failed one with its failures under it), then `steps: N passed, N failed`. */
export function summary(results) {
  const failed = results.filter((r) => !r.ok).length;
  return [
    'npm test',
    ...results.flatMap(({ name, ok, seconds, failures = [] }) => [
      `  ${ok ? 'ok  ' : 'FAIL'}  ${name} (${seconds} s)`,
      ...(ok ? [] : failures.map((line) => `          ${line}`)),
    ]),
    `steps: ${results.length - failed} passed, ${failed} failed`,
  ].join('\n');
}
