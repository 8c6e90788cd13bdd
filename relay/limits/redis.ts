/**
 * An exact fixed-window limiter in Redis, shared by every relay process that points at the same Redis:
 * N instances behind a load balancer enforce one limit, not N of them.
 *
 * Semantics are the memory limiter's (memory.ts): a key's window starts at its first request and lasts
 * `windowMs`; a denied request is not counted and does not move the window. The window is the counter's
 * TTL, so time comes from Redis's one clock: relay processes whose clocks disagree still share exactly
 * the same window (a key named after a clock-aligned window start would not: near a boundary, two
 * skewed processes would count into different windows and could each admit `max`).
 *
 * Each decision is ONE Lua script (EVALSHA, falling back to EVAL on NOSCRIPT, via ioredis's scripts),
 * so concurrent requests from any number of processes can never both take the last slot. One key per
 * script: it also runs unchanged on Redis Cluster.
 *
 * When Redis cannot answer (down, unreachable, hung, out of memory), `limit()` never throws and never
 * waits longer than `commandTimeoutMs`; what it decides is `onUnavailable`:
 * - `'local'` (default): the same rules from a per-process memory limiter. No lead is lost to a Redis
 *   outage, and the per-IP limit still stands against spam, per process (with N instances a client can
 *   get at most N times its limit until Redis is back).
 * - `'allow'`: everything passes (fail-open, no spam defence during the outage).
 * - `'deny'`: everything is refused (fail-closed); the relay answers 429 `rate_limited` with
 *   Retry-After: every real prospect in the outage is turned away.
 * A 503 `unavailable` would turn prospects away for a Redis problem, though their leads could be stored.
 * The switch is logged once (`limiter.redis_unavailable`, warn) and so is the way back
 * (`limiter.redis_recovered`). After a failure Redis is not asked again for `retryAfterMs`, so a hung
 * Redis costs one request at most `commandTimeoutMs` per `retryAfterMs`, not every request.
 *
 * The limiter takes a URL, not a client, because the connection's options are what make it safe: no
 * offline queue (a command issued while disconnected fails at once instead of waiting, and is never
 * sent late, counting a request already decided without Redis), no resending after a reconnect, short
 * connect and command timeouts. A client built with ioredis's defaults would hold requests for seconds.
 */
import { Redis } from 'ioredis';
import { createLogger, type Logger } from '../lib/log.js';
import { createMemoryLimiter } from './memory.js';
import type { LimitDecision, RateLimiter, RateLimitRequest } from './types.js';

export type RedisUnavailableMode = 'local' | 'allow' | 'deny';

export interface RedisLimiterOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://` for TLS. */
  url: string;
  /** Prepended to every key; default `resman:ratelimit:`. */
  prefix?: string;
  /** What to decide while Redis cannot answer; default `'local'` (see the module comment). */
  onUnavailable?: RedisUnavailableMode;
  /** Longest wait for one decision from a connected Redis; default 500. */
  commandTimeoutMs?: number;
  /** Longest wait for a TCP connection to Redis; default 500. */
  connectTimeoutMs?: number;
  /** After a failure, decide without Redis for this long before asking it again; default 1000. */
  retryAfterMs?: number;
  /** Receives the outage warnings; default a console logger. Never given the URL (it may hold a password). */
  logger?: Pick<Logger, 'warn' | 'info'>;
  /** For the outage timer and the local fallback only: windows in Redis run on Redis's clock. */
  clock?: { now(): number };
}

export interface RedisLimiter extends RateLimiter {
  /**
   * Waits until the connection is ready, at most `timeoutMs` (default 2000): true when it is. Never
   * rejects. A relay may wait on it before listening to log a Redis it cannot reach at start; decisions
   * asked in the first connectTimeoutMs after creation wait for the connection anyway.
   */
  ready(timeoutMs?: number): Promise<boolean>;
  /** `'redis'` while decisions come from Redis, `'unavailable'` while `onUnavailable` decides them. */
  status(): 'redis' | 'unavailable';
  /** Closes the connection and stops reconnecting; later decisions follow `onUnavailable`. */
  close(): Promise<void>;
}

export const DEFAULT_REDIS_PREFIX = 'resman:ratelimit:';

/**
 * KEYS[1] the key's counter; ARGV[1] max; ARGV[2] window in ms. Returns { admitted, count, pttl }.
 * A full window answers without INCR, so a denied request is not counted and the counter never passes
 * max; PEXPIRE is set on the first hit only, so no later request extends the window. A counter found
 * without a TTL (written by something else) gets one window rather than denying forever.
 */
export const LIMIT_SCRIPT = `
local max = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
if count >= max then
  local ttl = redis.call('PTTL', KEYS[1])
  if ttl == -1 then redis.call('PEXPIRE', KEYS[1], window) end
  if ttl < 0 then ttl = window end
  return {0, count, ttl}
end
count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], window) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], window)
  ttl = window
end
return {1, count, ttl}
`;

type LimitCommand = (key: string, max: number, windowMs: number) => Promise<[number, number, number]>;

export function createRedisLimiter(options: RedisLimiterOptions): RedisLimiter {
  const prefix = options.prefix ?? DEFAULT_REDIS_PREFIX;
  const mode = options.onUnavailable ?? 'local';
  const commandTimeout = options.commandTimeoutMs ?? 500;
  const connectTimeout = options.connectTimeoutMs ?? 500;
  const retryAfterMs = options.retryAfterMs ?? 1000;
  const clock = options.clock ?? Date;
  const logger = options.logger ?? createLogger({ level: 'info' });
  const local = createMemoryLimiter({ clock });

  const client = new Redis(options.url, {
    connectTimeout,
    commandTimeout,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    // Keep trying to come back, quickly at first, then every 2 s.
    retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 6), 2000),
    connectionName: 'resman-relay-limiter',
    scripts: { resmanLimit: { lua: LIMIT_SCRIPT, numberOfKeys: 1 } },
  });
  const run = (client as unknown as { resmanLimit: LimitCommand }).resmanLimit.bind(client);

  let down = false;
  let skipRedisUntil = 0;
  let closed = false;

  function markDown(err: unknown): void {
    skipRedisUntil = clock.now() + retryAfterMs;
    if (down || closed) return;
    down = true;
    logger.warn('limiter.redis_unavailable', {
      error: err instanceof Error ? err.message : String(err),
      deciding: mode,
    });
  }

  function markUp(): void {
    skipRedisUntil = 0;
    if (!down) return;
    down = false;
    logger.info('limiter.redis_recovered', {});
  }

  // Without a listener ioredis prints every reconnect failure; one warning per outage is enough.
  client.on('error', markDown);
  client.on('ready', () => {
    skipRedisUntil = 0;
  });

  // Decisions asked while the first connection is being made wait for it (at most connectTimeoutMs
  // from creation) rather than being decided locally; the first error or the deadline ends the wait.
  let connecting: Promise<void> | null = new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      client.off('ready', done);
      client.off('error', done);
      client.off('end', done);
      connecting = null;
      resolve();
    };
    const timer = setTimeout(done, connectTimeout);
    timer.unref?.();
    client.once('ready', done);
    client.once('error', done);
    client.once('end', done);
  });

  async function unavailable(req: RateLimitRequest): Promise<LimitDecision> {
    if (mode === 'local') return local.limit(req);
    const resetMs = Math.min(req.windowMs, retryAfterMs);
    if (mode === 'allow') return { success: true, limit: req.max, remaining: req.max, resetMs };
    return { success: false, limit: req.max, remaining: 0, resetMs };
  }

  return {
    async limit(req: RateLimitRequest): Promise<LimitDecision> {
      if (connecting) await connecting;
      if (closed || clock.now() < skipRedisUntil) return unavailable(req);
      const max = Math.floor(req.max);
      const windowMs = Math.max(1, Math.ceil(req.windowMs));
      let reply: [number, number, number];
      try {
        reply = await run(prefix + req.key, max, windowMs);
      } catch (err) {
        markDown(err);
        return unavailable(req);
      }
      markUp();
      const [admitted, count, ttl] = reply.map(Number) as [number, number, number];
      const resetMs = Math.max(0, Math.min(ttl, windowMs));
      if (admitted !== 1) return { success: false, limit: max, remaining: 0, resetMs };
      return { success: true, limit: max, remaining: Math.max(0, max - count), resetMs };
    },

    ready(timeoutMs = 2000): Promise<boolean> {
      if (client.status === 'ready') return Promise.resolve(true);
      if (closed) return Promise.resolve(false);
      return new Promise((resolve) => {
        const done = (ok: boolean) => {
          clearTimeout(timer);
          client.off('ready', onReady);
          resolve(ok);
        };
        const onReady = () => done(true);
        const timer = setTimeout(done, timeoutMs, false);
        client.on('ready', onReady);
      });
    },

    status: () => (closed || down ? 'unavailable' : 'redis'),

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      if (client.status === 'ready') {
        try {
          await client.quit();
        } catch {
          // Hung or gone: disconnect below either way.
        }
      }
      client.disconnect();
    },
  };
}
