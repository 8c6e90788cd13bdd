/**
 * The Node entry: configuration from the environment, in-memory limiter and store, the global fetch,
 * the socket's address (or a trusted header) as client IP, the widget from WIDGET_DIR.
 * `startRelay` is exported so the demo and end-to-end tests can run the relay in-process.
 */
import { readFileSync, realpathSync } from 'node:fs';
import type { Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import { serve } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import { createRelay, type RelayDeps } from './app.js';
import { clientIpGetter } from './client-ip.js';
import { ConfigError, parseConfig, type Env, type RelayConfig } from './config.js';
import { createMemoryLimiter } from './limits/memory.js';
import { createLogger } from './log.js';
import { createFsAssets } from './node-assets.js';
import { createMemoryLeadStore } from './store/memory.js';

export interface RunningRelay {
  /** Base URL without a trailing slash, e.g. http://127.0.0.1:8787. */
  url: string;
  config: RelayConfig;
  logger: RelayDeps['logger'];
  close(): Promise<void>;
}

type FetchHandler = (request: Request, env?: unknown) => Response | Promise<Response>;

export interface StartRelayOptions {
  /** Puts something in front of the relay on the same server (the demo site serves its pages so). */
  wrap?: (relay: { fetch: FetchHandler }) => { fetch: FetchHandler };
}

/** Parses `env` (throws ConfigError), builds the relay and listens; overrides replace any dependency. */
export async function startRelay(
  env: Env,
  overrides: Partial<Omit<RelayDeps, 'config'>> = {},
  options: StartRelayOptions = {},
): Promise<RunningRelay> {
  const config = parseConfig(env, { readFile: (path) => readFileSync(path, 'utf8') });
  const socketIp = (c: Parameters<RelayDeps['getClientIp']>[0]) => getConnInfo(c).remote.address;
  const deps: RelayDeps = {
    config,
    fetch: globalThis.fetch,
    clock: Date,
    limiter: createMemoryLimiter(),
    store: createMemoryLeadStore(),
    logger: createLogger({ level: config.logLevel, secrets: [config.propexo.token] }),
    getClientIp: clientIpGetter(config.trustedIpHeader, socketIp),
    assets: createFsAssets(config.widgetDir),
    ...overrides,
  };
  const relayApp = createRelay(deps);
  const app = options.wrap ? options.wrap(relayApp) : relayApp;
  const server = await new Promise<Server>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, () => resolve(s as Server)) as Server;
    s.once('error', reject);
  });
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${config.port}`;
  deps.logger.info('listening', { url, sites: [...config.sites.keys()] });
  return {
    url,
    config,
    logger: deps.logger,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeIdleConnections();
      }),
  };
}

function isMain(): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMain()) {
  try {
    const relay = await startRelay(process.env);
    const stop = (signal: string) => {
      relay.logger.info('shutting_down', { signal });
      // In-flight requests finish; a stuck one cannot hold the process past the grace period.
      setTimeout(() => process.exit(1), 10_000).unref();
      void relay.close().then(() => process.exit(0), () => process.exit(1));
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`Configuration error:\n${err.message}\n`);
    process.exit(1);
  }
}
