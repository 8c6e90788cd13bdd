/**
 * The Node entry: configuration from the environment, the outbox (PostgreSQL at DATABASE_URL, shared
 * by every instance, else SQLite in DATA_DIR) with its delivery lease, the limiter
 * (Redis when REDIS_URL is set, else in memory), the deliverer running behind the requests, the
 * socket's address (or a trusted header) as client IP, the widget from WIDGET_DIR.
 * `startRelay` is exported so the demo and tests can run the relay in-process.
 */
import { readFileSync, realpathSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import { createRelay } from '../../app.js';
import { clientIpGetter } from '../../http/client-ip.js';
import { ConfigError } from '../../config/config-error.js';
import { parseAlertEmail } from '../../config/alert-email-env.js';
import { parseConfig, secretsOf, type Env, type RelayConfig } from '../../config/env.js';
import { realSleep, type Sleep } from '../../outbox/delivery/budget.js';
import { createDeliverer, type Deliverer } from '../../outbox/delivery/deliverer.js';
import { DEFAULT_POLICY, type DeliveryPolicy } from '../../outbox/delivery/policy.js';
import { createMemoryLimiter } from '../../limits/memory.js';
import { createRedisLimiter } from '../../limits/redis.js';
import type { RateLimiter } from '../../limits/types.js';
import { createLogger } from '../../lib/log.js';
import { nodeAlerting } from './alerting.js';
import { readinessCheck } from '../../lib/readiness.js';
import { prepareDataDir, prepareOutboxFiles, settleOutboxFiles } from './data-dir.js';
import { nodeHashing } from './hash.js';
import { createFsAssets } from './assets.js';
import { createPropexoClient } from '../../propexo/client.js';
import { OUTBOX_FILE, openSqliteLeadStore } from '../../outbox/store/sqlite.js';
import { createOutboxLock, deliveryLockPath } from './outbox-lock.js';
import { describeDatabaseUrl } from '../../outbox/store/postgres-schema.js';
import { openPostgresLeadStore } from '../../outbox/store/postgres.js';
import { hasLeases, type LeadStore } from '../../outbox/store/types.js';
import { DeliveryLease, type DeliveryLeaseOptions } from '../../outbox/delivery/lease.js';
import type { RelayDeps } from '../../types.js';
import { keepChecking } from '../../sites/keep-checking.js';
import { createSiteChecks, type SiteChecks } from '../../sites/monitor.js';
import { pacedDirectory } from '../../sites/paced.js';
import type { SiteGate } from '../../sites/types.js';
import { nodeSites } from './sites.js';

export interface RunningRelay {
  /** Base URL without a trailing slash, e.g. http://127.0.0.1:8787. */
  url: string;
  config: RelayConfig;
  logger: RelayDeps['logger'];
  store: LeadStore;
  deliverer: Deliverer;
  /** The sites checked against Propexo: `siteChecks.subscribe(listener)` hears every change of a site's verdict (an alerting module's hook). */
  siteChecks: SiteChecks;
  /** Re-reads SITES_FILE now, as SIGHUP does (no-op with SITES_JSON). */
  reloadSites(): Promise<void>;
  /** Stops accepting, lets the lead in hand finish, closes the outbox and the limiter. */
  close(): Promise<void>;
}

type FetchHandler = (request: Request, env?: unknown) => Response | Promise<Response>;

export interface StartRelayOptions {
  /** Puts something in front of the relay on the same server (the demo site serves its pages so). */
  wrap?: (relay: { fetch: FetchHandler }) => { fetch: FetchHandler };
}

/** Any dependency can be replaced; tests pass a faster delivery policy or a fake upstream. */
export interface RelayOverrides extends Partial<Omit<RelayDeps, 'config' | 'outbox'>> {
  /** The upstream fetch (Propexo). */
  fetch?: typeof fetch;
  policy?: Partial<DeliveryPolicy>;
  sleep?: Sleep;
  random?: () => number;
  /** The delivery lease's timing (tests); with an injected store, also asks for the lease at all. */
  lease?: Pick<DeliveryLeaseOptions, 'ttlMs' | 'renewEveryMs' | 'pollMs'>;
  /** How long a readiness write probe's answer is reused (tests; default READINESS_CACHE_MS). */
  readinessCacheMs?: number;
}

/** The readiness probe's row in outbox_lease: a write of its own, beside the delivery lease, never it. */
const READINESS_PROBE_LEASE = 'readiness_probe';

/** Parses `env` (throws ConfigError), opens the outbox, starts the deliverer and listens. */
export async function startRelay(env: Env, overrides: RelayOverrides = {}, options: StartRelayOptions = {}): Promise<RunningRelay> {
  const config = parseConfig(env, { readFile: (path) => readFileSync(path, 'utf8'), alertEmail: parseAlertEmail });
  // Every part logs through the alerting logger: an alert line is also sent to the operator.
  const alerting = nodeAlerting(
    config,
    overrides.logger ?? createLogger({ level: config.logLevel, secrets: secretsOf(config) }),
    overrides.clock ?? Date,
  );
  const logger = alerting.logger;
  const clock = overrides.clock ?? Date;
  const store = overrides.store ?? (await openOutbox(config, logger));
  const redis =
    !overrides.limiter && config.redisUrl
      ? createRedisLimiter({ url: config.redisUrl, logger, commandTimeoutMs: config.redisCommandTimeoutMs })
      : undefined;
  if (redis && !(await redis.ready())) logger.warn('redis.not_ready', { hint: 'limits are decided locally until Redis answers' });
  const limiter: RateLimiter = overrides.limiter ?? redis ?? createMemoryLimiter({ clock });
  // Propexo's budget is shared by every relay: while Redis is away, delivery waits (leads are safe in
  // the outbox) rather than each process spending the whole budget on its own.
  const budget = redis
    ? createRedisLimiter({
        url: config.redisUrl!,
        logger,
        prefix: 'resman:budget:',
        onUnavailable: 'deny',
        commandTimeoutMs: config.redisCommandTimeoutMs,
      })
    : undefined;
  const http = {
    baseUrl: config.propexo.baseUrl,
    token: config.propexo.token,
    fetch: overrides.fetch ?? globalThis.fetch,
    timeoutMs: config.upstreamTimeoutMs,
  };
  const client = createPropexoClient(http);
  // SITES_FILE is re-read while the relay runs; the routes, the deliverer and the checks share `sites.live`.
  const sites = nodeSites(env, config, { clock, logger });
  const policy: DeliveryPolicy = { ...DEFAULT_POLICY, ...config.delivery, ...overrides.policy };
  const stopping = new AbortController();
  // The checks and the deliverer need each other: the deliverer asks the checks (through this gate)
  // before each lead, and the checks spend the deliverer's budget and release the leads it held.
  const gate: SiteGate = { holding: (slug, ids) => siteChecks.holding(slug, ids), refused: (...args) => siteChecks.refused(...args) };
  const leased = (!overrides.store || overrides.lease) && hasLeases(store) ? store : undefined;
  // Node's own SQLite outbox: an OS lock beside it proves a dead holder gone (outbox-lock.ts).
  const sole = !overrides.store && !config.databaseUrl ? createOutboxLock(deliveryLockPath(join(config.dataDir, OUTBOX_FILE))) : undefined;
  const lease = leased
    ? new DeliveryLease({
        store: leased,
        clock,
        sleep: overrides.sleep ?? realSleep,
        logger,
        ...overrides.lease,
        ...(sole ? { sole } : {}),
      })
    : undefined;
  const deliverer = createDeliverer({
    store,
    client,
    limiter: budget ?? limiter,
    sites: sites.live,
    gate,
    clock,
    logger,
    policy,
    ...(lease ? { lease } : {}),
    ...(overrides.sleep ? { sleep: overrides.sleep } : {}),
    ...(overrides.random ? { random: overrides.random } : {}),
  });
  const siteChecks = createSiteChecks({
    sites: () => sites.live,
    directory: pacedDirectory(http, deliverer.budget, () => stopping.signal),
    clock,
    logger,
    everyMs: policy.siteCheckEveryMs,
    retryMs: policy.siteCheckRetryMs,
    onRelease: (slug) => void deliverer.release(slug).catch((error: unknown) => logger.error('deliverer.error', { error })),
  });
  const socketIp = (c: Parameters<RelayDeps['getClientIp']>[0]) => getConnInfo(c).remote.address;
  const relayApp = createRelay({
    config,
    sites,
    clock,
    limiter,
    store,
    logger,
    // An operator's check re-reads SITES_FILE first, as the Worker re-reads KV: a fixed file is checked now.
    siteChecks: { report: async () => siteChecks.report(), checkNow: () => sites.reload().then(() => siteChecks.checkNow()) },
    getClientIp: overrides.getClientIp ?? clientIpGetter({ trustedHeader: config.trustedIpHeader, socket: socketIp, logger }),
    assets: overrides.assets ?? createFsAssets(config.widgetDir),
    // The console's build sits beside the widget's (dist/console beside dist/widget).
    consoleAssets: overrides.consoleAssets ?? createFsAssets(join(config.widgetDir, '..', 'console')),
    outbox: deliverer,
    propexoState: async () => deliverer.propexoState(),
    alertsSent: async () => alerting.alerts.sent(),
    // The form's floor plans and units come through the same client (and so the same fetch).
    formClient: client,
    // node:crypto, synchronous: WebCrypto on Node would queue every hash on libuv's thread pool.
    hashing: overrides.hashing ?? nodeHashing,
    readiness: overrides.readiness ?? nodeReadiness(store, deliverer, clock, logger, overrides.readinessCacheMs),
    ...(overrides.newId ? { newId: overrides.newId } : {}),
  });
  const app = options.wrap ? options.wrap(relayApp) : relayApp;
  const server = await new Promise<Server>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, () => resolve(s as Server)) as Server;
    s.once('error', reject);
  });
  // The deliverer runs while this process holds the outbox's delivery lease (at once, unless another
  // relay on the same outbox is delivering); an injected store is the caller's to share, unless the
  // caller asks for the lease too.
  const checking = keepChecking(siteChecks, { sleep: overrides.sleep ?? realSleep, clock, signal: stopping.signal });
  sites.keepReading(stopping.signal, () => checking.wake());
  const keeping = lease
    ? lease.keep(stopping.signal, {
        onAcquired: () => {
          deliverer.start();
          deliverer.wake();
          alerting.startWatch(store);
        },
        onLost: () => {
          alerting.stopWatch();
          return deliverer.stop();
        },
      })
    : Promise.resolve();
  if (!lease) {
    deliverer.start();
    alerting.startWatch(store);
  }
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${config.port}`;
  logger.info('listening', {
    url,
    sites: [...config.sites.keys()],
    outbox: overrides.store ? 'injected' : config.databaseUrl ? describeDatabaseUrl(config.databaseUrl) : join(config.dataDir, OUTBOX_FILE),
    shared_limits: !!redis,
  });
  return {
    url,
    config,
    logger,
    store,
    deliverer,
    siteChecks,
    reloadSites: () => sites.reload(),
    async close() {
      // Stop taking requests and stop delivering at the same time; a keep-alive client gets 5 s.
      const closed = new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeIdleConnections();
      });
      const hurry = setTimeout(() => server.closeAllConnections(), 5_000);
      stopping.abort();
      await Promise.all([closed, deliverer.stop(), checking.ended]).finally(() => clearTimeout(hurry));
      await keeping;
      await alerting.close();
      await lease?.release();
      await store.close();
      await redis?.close();
      await budget?.close();
    },
  };
}

/**
 * Readiness on Node: the outbox written to (the probe's own lease row, ttl 0: the same tables, disk
 * and connection as every lead), and the deliverer's word on the token. Only the process that
 * delivers (holds the delivery lease) hears Propexo's answers, so only it can see a refused token.
 */
function nodeReadiness(store: LeadStore, deliverer: Deliverer, clock: RelayDeps['clock'], logger: RelayDeps['logger'], cacheMs?: number) {
  const owner = `readiness-${crypto.randomUUID()}`;
  return readinessCheck({
    clock,
    logger,
    tokenRefused: () => deliverer.tokenRefused,
    ...(hasLeases(store) ? { probeWrite: () => store.acquireLease(READINESS_PROBE_LEASE, owner, clock.now(), 0) } : {}),
    ...(cacheMs !== undefined ? { cacheMs } : {}),
  });
}

/**
 * The outbox: PostgreSQL, shared by every instance, when DATABASE_URL is set; else SQLite in DATA_DIR,
 * the directory 0700 and its files 0600 (data-dir.ts).
 */
async function openOutbox(config: RelayConfig, logger: RelayDeps['logger']): Promise<LeadStore> {
  if (config.databaseUrl) return openPostgresLeadStore(config.databaseUrl);
  const file = join(config.dataDir, OUTBOX_FILE);
  prepareDataDir(config.dataDir, OUTBOX_FILE, logger);
  prepareOutboxFiles(file, logger);
  const store = openSqliteLeadStore(file);
  settleOutboxFiles(file, logger);
  return store;
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
      void relay.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    // SIGHUP: re-read SITES_FILE now rather than at the next interval.
    process.on('SIGHUP', () => void relay.reloadSites());
    process.once('SIGINT', () => stop('SIGINT'));
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`Configuration error:\n${err.message}\n`);
    process.exit(1);
  }
}
