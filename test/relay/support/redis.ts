/**
 * Redis for the limiter tests: CI's (REDIS_URL, started by .ci/run) or a private redis-server this
 * process starts on a free loopback port, without persistence, and stops by its own pid.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { vi } from 'vitest';
import { freePort } from '../../support/free-port.js';

export interface TestRedis {
  url: string;
  port: number;
  /** The server's pid when this process started it (a test may SIGSTOP it); undefined for CI's. */
  pid: number | undefined;
  stop(): Promise<void>;
}

export const hasRedisServer = (): boolean => {
  const out = spawnSync('redis-server', ['--version'], { encoding: 'utf8', timeout: 5000 });
  return out.status === 0;
};

/** One PING to the server at `port`: true when it answers +PONG. */
function ping(port: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const finish = (v: boolean) => {
      socket.destroy();
      resolve(v);
    };
    socket.setTimeout(300, () => finish(false));
    socket.once('error', () => finish(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (d) => finish(d.toString().startsWith('+PONG')));
  });
}

/** Answers true once the server at `port` replies +PONG, within `timeoutMs`. */
export function waitForPong(port: number, timeoutMs = 5000): Promise<boolean> {
  return vi
    .waitFor(
      async () => {
        if (!(await ping(port))) throw new Error(`no PONG from 127.0.0.1:${port}`);
        return true;
      },
      { timeout: timeoutMs, interval: 25 },
    )
    .catch(() => false);
}

/** Starts a private redis-server (on `port`, or a free one) and waits until it answers. */
export async function startRedisServer(port?: number): Promise<TestRedis> {
  const p = port ?? (await freePort());
  const child: ChildProcess = spawn(
    'redis-server',
    ['--bind', '127.0.0.1', '--port', String(p), '--save', '', '--appendonly', 'no', '--loglevel', 'warning'],
    { stdio: 'ignore' },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  if (!(await waitForPong(p))) {
    child.kill('SIGKILL');
    throw new Error(`redis-server did not start on port ${p}`);
  }
  return {
    url: `redis://127.0.0.1:${p}`,
    port: p,
    pid: child.pid,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      // A stopped (SIGSTOPped) server must be continued to act on SIGTERM; SIGKILL if it lingers.
      child.kill('SIGCONT');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** CI's Redis when REDIS_URL is set, else a private one; null when neither is possible. */
export async function testRedis(): Promise<TestRedis | null> {
  const url = process.env.REDIS_URL;
  if (url) return { url, port: Number(new URL(url).port || 6379), pid: undefined, stop: async () => {} };
  if (!hasRedisServer()) return null;
  return startRedisServer();
}
