/**
 * The Node relay as a real child process (test/relay/support/relay-child.ts): for tests that kill it
 * or run several relays side by side. Every child started here is tracked so afterAll can end it.
 *
 * With `samePid`, the relay runs as process 1 of a new PID namespace (`unshare --pid --fork`), as
 * the one process of a container does: every relay started so has the same pid, 1, as a container
 * restarted on the same volume would. `child` is then the `unshare` process, and `hostPid` the
 * relay's own pid as this process sees it, which `killRelay` and `stopRelay` signal.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '../../..');
const running = new Set<ChildProcess>();

export interface RelayChild {
  /** The process spawned: the relay itself, or with `samePid` the `unshare` holding its namespace. */
  child: ChildProcess;
  url: string;
  /** The relay's pid as the relay sees it (`process.pid` in it). */
  pid: number;
  /** The relay's pid in this process's namespace: `pid` unless it runs in a namespace of its own. */
  hostPid: number;
  /** Everything it printed so far (JSON log lines, one per line). */
  output(): string;
}

export interface SpawnOptions {
  /** Process 1 of a new PID namespace (see above). Linux only: root, or unprivileged user namespaces. */
  samePid?: boolean;
}

const asRoot = () => process.getuid?.() === 0;
const unshareArgs = () => ['--pid', '--fork', '--kill-child', ...(asRoot() ? [] : ['--map-root-user']), '--'];

/** Whether this machine lets a process start in a new PID namespace; the reason when not. */
export function pidNamespaces(): { ok: true } | { ok: false; why: string } {
  const probe = spawnSync('unshare', [...unshareArgs(), 'sh', '-c', 'echo $$'], { encoding: 'utf8', timeout: 10_000 });
  if (probe.status === 0 && probe.stdout.trim() === '1') return { ok: true };
  return { ok: false, why: probe.error ? String(probe.error) : `unshare: ${(probe.stderr || probe.stdout).trim()} (${probe.status})` };
}

/** The only child of `pid` (the relay under `unshare`). */
function onlyChildOf(pid: number): number {
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
  if (children.length !== 1) throw new Error(`unshare (${pid}) has ${children.length} children, expected the relay alone`);
  return Number(children[0]);
}

/** Starts a relay child with exactly `env` (plus PATH); resolves once it prints RELAY_READY. */
export function spawnRelay(env: Record<string, string>, options: SpawnOptions = {}): Promise<RelayChild> {
  const node = [process.execPath, '--import', 'tsx', 'test/relay/support/relay-child.ts'];
  const [command, ...args] = options.samePid ? ['unshare', ...unshareArgs(), ...node] : node;
  const child = spawn(command!, args, {
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
      const m = /^RELAY_READY (\S+) (\d+)$/m.exec(out);
      if (!m) return;
      clearTimeout(timer);
      child.stdout!.off('data', check);
      try {
        const pid = Number(m[2]);
        resolve({ child, url: m[1]!, pid, hostPid: options.samePid ? onlyChildOf(child.pid!) : pid, output: () => out });
      } catch (error) {
        reject(error);
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`relay child exited (${code ?? signal}) before it was ready:\n${out}`));
    });
  });
}

/** Sends the signal with `send`; resolves once `child` has exited (SIGKILL to it after 3 s if it lingers). */
function exited(child: ChildProcess, send: () => void): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    send();
  });
}

/** Ends a child with `signal` (SIGKILL after 3 s if it lingers); resolves once it has exited. */
export const stopChild = (child: ChildProcess, signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> =>
  exited(child, () => child.kill(signal));

/**
 * Sends `signal` to the relay process itself (not to an `unshare` around it) and resolves once the
 * child spawned has exited (SIGKILL to it after 3 s if it lingers).
 */
export const stopRelay = (relay: RelayChild, signal: 'SIGTERM' | 'SIGKILL'): Promise<void> =>
  exited(relay.child, () => process.kill(relay.hostPid, signal));

/** kill -9 of the relay process: nothing of it runs, not even its exit handlers. */
export const killRelay = (relay: RelayChild) => stopRelay(relay, 'SIGKILL');

/** Ends every child still running (for afterAll). */
export const stopAllChildren = () => Promise.all([...running].map((c) => stopChild(c, 'SIGKILL')));
