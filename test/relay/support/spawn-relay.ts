/**
 * The Node relay as a real child process (test/relay/support/relay-child.ts): for tests that kill it
 * or run several relays side by side. Every child started here is tracked so afterAll can end it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '../../..');
const running = new Set<ChildProcess>();

export interface RelayChild {
  child: ChildProcess;
  url: string;
  /** Everything it printed so far (JSON log lines, one per line). */
  output(): string;
}

/** Starts a relay child with exactly `env` (plus PATH); resolves once it prints RELAY_READY. */
export function spawnRelay(env: Record<string, string>): Promise<RelayChild> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/relay/support/relay-child.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`relay child not ready in 15 s:\n${out}`)), 15_000);
    const check = () => {
      const m = /^RELAY_READY (\S+)$/m.exec(out);
      if (!m) return;
      clearTimeout(timer);
      child.stdout!.off('data', check);
      resolve({ child, url: m[1]!, output: () => out });
    };
    child.stdout!.on('data', check);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`relay child exited (${code ?? signal}) before it was ready:\n${out}`));
    });
  });
}

/** Ends a child with `signal` (SIGKILL after 3 s if it lingers); resolves once it has exited. */
export function stopChild(child: ChildProcess, signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill(signal);
  });
}

/** Ends every child still running (for afterAll). */
export const stopAllChildren = () => Promise.all([...running].map((c) => stopChild(c, 'SIGKILL')));
