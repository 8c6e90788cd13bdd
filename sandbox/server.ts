/**
 * Serves a sandbox over real HTTP, so faults that need a socket (resets, hangs) can happen and a
 * test in another process can drive it. Binds to 127.0.0.1: the /__sandbox control routes and the
 * leads page have no auth and must not be reachable from other machines.
 */
import { serve } from '@hono/node-server';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSandbox, type Sandbox, type SandboxOptions } from './app.js';

export interface StartSandboxOptions extends SandboxOptions {
  /** 0 (the default) picks a free port; read the real one from `url`. */
  port?: number;
  /** Default 127.0.0.1. Anything but loopback exposes the unauthenticated control surface. */
  hostname?: string;
}

export interface RunningSandbox extends Sandbox {
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:8788`. */
  url: string;
  /** Drops open connections (ending any held by a fault) and stops listening. */
  close(): Promise<void>;
}

export async function startSandbox(options: StartSandboxOptions): Promise<RunningSandbox> {
  const { port = 0, hostname = '127.0.0.1', ...sandboxOptions } = options;
  const sandbox = createSandbox(sandboxOptions);
  const server = await new Promise<Server>((resolve, reject) => {
    const s = serve({ fetch: sandbox.app.fetch, port, hostname }, () => resolve(s as Server)) as Server;
    s.once('error', reject);
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    ...sandbox,
    url: `http://${host}:${address.port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
