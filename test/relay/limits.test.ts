/**
 * One behaviour suite for every RateLimiter (memory and Redis), then what only Redis has: one window
 * shared by separate connections, the script's footprint in Redis, and what happens when Redis is down,
 * unreachable or hung. Redis is CI's (REDIS_URL) or a redis-server started here; real time throughout.
 */
import { checkLine } from '../support/hygiene.js';
import { randomUUID } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryLimiter } from '../../relay/limits/memory.js';
import { createRedisLimiter, DEFAULT_REDIS_PREFIX, type RedisLimiter, type RedisLimiterOptions } from '../../relay/limits/redis.js';
import type { LimitDecision, RateLimiter } from '../../relay/limits/types.js';
import { freePort } from '../support/free-port.js';
import { hasRedisServer, startRedisServer, testRedis, type TestRedis } from './support/redis.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const canStartRedis = hasRedisServer();
const redisAvailable = Boolean(process.env.REDIS_URL) || canStartRedis;
if (!redisAvailable) console.warn('limits.test: no REDIS_URL and no redis-server: the Redis half is skipped');

let redis: TestRedis | null = null;
const open: { close(): Promise<void> }[] = [];

beforeAll(async () => {
  if (redisAvailable) redis = await testRedis();
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((l) => l.close()));
});
afterAll(async () => {
  await redis?.stop();
});

/** A Redis limiter on its own key space, closed after the test. */
function redisLimiter(options: Partial<RedisLimiterOptions> = {}, prefix = `test:${randomUUID()}:`): RedisLimiter {
  const limiter = createRedisLimiter({ url: redis!.url, prefix, logger: quiet(), ...options });
  open.push(limiter);
  return limiter;
}

function quiet() {
  const lines: { level: string; event: string; fields: Record<string, unknown> }[] = [];
  // What the limiter would log goes through the suite's hygiene check all the same.
  const record = (level: string, event: string, fields: Record<string, unknown>) => {
    checkLine(JSON.stringify({ level, event, ...fields }));
    lines.push({ level, event, fields });
  };
  return {
    lines,
    warn: (event: string, fields: Record<string, unknown> = {}) => record('warn', event, fields),
    info: (event: string, fields: Record<string, unknown> = {}) => record('info', event, fields),
  };
}

const implementations: { name: string; skip: boolean; make(): Promise<RateLimiter> }[] = [
  { name: 'memory', skip: false, make: async () => createMemoryLimiter() },
  {
    name: 'redis',
    skip: !redisAvailable,
    make: async () => {
      const limiter = redisLimiter();
      expect(await limiter.ready()).toBe(true);
      return limiter;
    },
  },
];

for (const impl of implementations) {
  describe.skipIf(impl.skip)(`${impl.name} limiter: an exact fixed window`, () => {
    it('admits exactly max, with limit and remaining counting down, then denies', async () => {
      const limiter = await impl.make();
      const decisions: LimitDecision[] = [];
      for (let i = 0; i < 8; i++) decisions.push(await limiter.limit({ key: 'k', max: 5, windowMs: 60_000 }));
      expect(decisions.map((d) => d.success)).toEqual([true, true, true, true, true, false, false, false]);
      expect(decisions.map((d) => d.remaining)).toEqual([4, 3, 2, 1, 0, 0, 0, 0]);
      expect(decisions.every((d) => d.limit === 5)).toBe(true);
      for (const d of decisions) {
        expect(d.resetMs).toBeGreaterThan(59_000);
        expect(d.resetMs).toBeLessThanOrEqual(60_000);
      }
      // The same window throughout: resetMs never grows.
      for (let i = 1; i < decisions.length; i++) expect(decisions[i]!.resetMs).toBeLessThanOrEqual(decisions[i - 1]!.resetMs);
    });

    it('admits exactly max of 200 concurrent requests', async () => {
      const limiter = await impl.make();
      const all = await Promise.all(Array.from({ length: 200 }, () => limiter.limit({ key: 'burst', max: 17, windowMs: 60_000 })));
      expect(all.filter((d) => d.success)).toHaveLength(17);
      // Each admitted request got its own slot.
      expect(all.filter((d) => d.success).map((d) => d.remaining).sort((a, b) => a - b)).toEqual(Array.from({ length: 17 }, (_, i) => i));
    });

    it('keeps keys independent', async () => {
      const limiter = await impl.make();
      for (let i = 0; i < 2; i++) expect((await limiter.limit({ key: 'ip:a', max: 2, windowMs: 60_000 })).success).toBe(true);
      expect((await limiter.limit({ key: 'ip:a', max: 2, windowMs: 60_000 })).success).toBe(false);
      const other = await limiter.limit({ key: 'ip:b', max: 2, windowMs: 60_000 });
      expect(other).toMatchObject({ success: true, remaining: 1 });
      // A key that is a prefix of another is still its own key.
      expect((await limiter.limit({ key: 'ip:', max: 2, windowMs: 60_000 })).success).toBe(true);
      expect((await limiter.limit({ key: 'ip:a', max: 2, windowMs: 60_000 })).success).toBe(false);
    });

    it('reports resetMs as the time left in the window', async () => {
      const limiter = await impl.make();
      const first = await limiter.limit({ key: 'r', max: 3, windowMs: 2_000 });
      expect(first.resetMs).toBeGreaterThan(1_900);
      expect(first.resetMs).toBeLessThanOrEqual(2_000);
      await sleep(300);
      const later = await limiter.limit({ key: 'r', max: 3, windowMs: 2_000 });
      expect(later.resetMs).toBeLessThanOrEqual(first.resetMs - 250);
      expect(later.resetMs).toBeGreaterThan(first.resetMs - 600);
    });

    it('starts a new window once resetMs has passed, with the full count again', async () => {
      const limiter = await impl.make();
      const rule = { key: 'w', max: 2, windowMs: 300 };
      expect((await limiter.limit(rule)).success).toBe(true);
      expect((await limiter.limit(rule)).success).toBe(true);
      const denied = await limiter.limit(rule);
      expect(denied.success).toBe(false);
      await sleep(denied.resetMs + 30);
      const fresh = await limiter.limit(rule);
      expect(fresh).toMatchObject({ success: true, remaining: 1 });
      expect(fresh.resetMs).toBeGreaterThan(250);
    });

    it('does not let denied requests extend the window or count in the next one', async () => {
      const limiter = await impl.make();
      const rule = { key: 'd', max: 2, windowMs: 500 };
      const started = Date.now();
      expect((await limiter.limit(rule)).success).toBe(true);
      expect((await limiter.limit(rule)).success).toBe(true);
      await sleep(300);
      // Denied requests late in the window: a window restarted or extended by them would end after 800 ms.
      for (let i = 0; i < 5; i++) {
        const d = await limiter.limit(rule);
        expect(d.success).toBe(false);
        expect(d.resetMs).toBeLessThanOrEqual(500 - (Date.now() - started) + 20);
      }
      await sleep(Math.max(0, started + 500 + 40 - Date.now()));
      expect(Date.now() - started).toBeLessThan(750);
      // A new window, untouched by the five denials.
      expect(await limiter.limit(rule)).toMatchObject({ success: true, remaining: 1 });
      expect(await limiter.limit(rule)).toMatchObject({ success: true, remaining: 0 });
      expect((await limiter.limit(rule)).success).toBe(false);
    });
  });
}

describe.skipIf(!redisAvailable)('redis limiter: one limit for every process', () => {
  let admin: Redis;
  beforeAll(() => {
    admin = new Redis(redis!.url, { lazyConnect: false, maxRetriesPerRequest: 1 });
  });
  afterAll(async () => {
    await admin.quit();
  });

  it('shares one window between separate connections, exactly', async () => {
    const prefix = `test:${randomUUID()}:`;
    const [a, b, c] = [redisLimiter({}, prefix), redisLimiter({}, prefix), redisLimiter({}, prefix)];
    expect(await Promise.all([a.ready(), b.ready(), c.ready()])).toEqual([true, true, true]);
    const rule = { key: 'site:oak', max: 40, windowMs: 60_000 };
    const all = await Promise.all(Array.from({ length: 300 }, (_, i) => [a, b, c][i % 3]!.limit(rule)));
    expect(all.filter((d) => d.success)).toHaveLength(40);
    expect(all.filter((d) => !d.success)).toHaveLength(260);
    expect(all.filter((d) => d.success).map((d) => d.remaining).sort((x, y) => x - y)).toEqual(Array.from({ length: 40 }, (_, i) => i));
  });

  it('keeps one counter per key under the prefix: never above max, with the window as its TTL', async () => {
    const prefix = `test:${randomUUID()}:`;
    const limiter = redisLimiter({}, prefix);
    for (let i = 0; i < 10; i++) await limiter.limit({ key: 'site:oak', max: 3, windowMs: 5_000 });
    expect(await admin.get(`${prefix}site:oak`)).toBe('3');
    const ttl = await admin.pttl(`${prefix}site:oak`);
    expect(ttl).toBeGreaterThan(4_000);
    expect(ttl).toBeLessThanOrEqual(5_000);
    expect(await admin.keys(`${prefix}*`)).toEqual([`${prefix}site:oak`]);
  });

  it('uses the default prefix when none is given', async () => {
    const key = `test-default-prefix:${randomUUID()}`;
    const limiter = createRedisLimiter({ url: redis!.url, logger: quiet() });
    open.push(limiter);
    await limiter.limit({ key, max: 1, windowMs: 5_000 });
    expect(await admin.get(`${DEFAULT_REDIS_PREFIX}${key}`)).toBe('1');
    await admin.del(`${DEFAULT_REDIS_PREFIX}${key}`);
  });

  it('gives a counter left without a TTL one window instead of denying forever', async () => {
    const prefix = `test:${randomUUID()}:`;
    await admin.set(`${prefix}stuck`, '9');
    const limiter = redisLimiter({}, prefix);
    expect((await limiter.limit({ key: 'stuck', max: 3, windowMs: 2_000 })).success).toBe(false);
    const ttl = await admin.pttl(`${prefix}stuck`);
    expect(ttl).toBeGreaterThan(1_000);
    expect(ttl).toBeLessThanOrEqual(2_000);
  });
});

describe('redis limiter: when Redis cannot answer', () => {
  it('unreachable: decides at once, by default from local limits, and warns once', async () => {
    const logger = quiet();
    const limiter = createRedisLimiter({ url: `redis://127.0.0.1:${await freePort()}`, logger });
    open.push(limiter);
    const started = Date.now();
    expect(await limiter.ready(300)).toBe(false);
    const rule = { key: 'ip:x', max: 2, windowMs: 60_000 };
    const decisions = [await limiter.limit(rule), await limiter.limit(rule), await limiter.limit(rule)];
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(decisions.map((d) => d.success)).toEqual([true, true, false]);
    expect(decisions[2]).toMatchObject({ limit: 2, remaining: 0 });
    expect(limiter.status()).toBe('unavailable');
    const warnings = logger.lines.filter((l) => l.event === 'limiter.redis_unavailable');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ level: 'warn', fields: { deciding: 'local' } });
  });

  it('unreachable with onUnavailable allow or deny: lets everything through, or refuses with a short reset', async () => {
    const url = `redis://127.0.0.1:${await freePort()}`;
    const allow = createRedisLimiter({ url, onUnavailable: 'allow', logger: quiet() });
    const deny = createRedisLimiter({ url, onUnavailable: 'deny', logger: quiet(), retryAfterMs: 1_000 });
    open.push(allow, deny);
    const rule = { key: 'ip:y', max: 1, windowMs: 60_000 };
    for (let i = 0; i < 3; i++) expect((await allow.limit(rule)).success).toBe(true);
    const refused = await deny.limit(rule);
    expect(refused).toMatchObject({ success: false, limit: 1, remaining: 0 });
    expect(refused.resetMs).toBeGreaterThan(0);
    expect(refused.resetMs).toBeLessThanOrEqual(1_000);
  });

  it('a server that accepts but never answers: no decision waits past the timeouts', async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((s) => void sockets.push(s));
    const port = await new Promise<number>((resolve) => silent.listen(0, '127.0.0.1', () => resolve((silent.address() as { port: number }).port)));
    try {
      const limiter = createRedisLimiter({ url: `redis://127.0.0.1:${port}`, logger: quiet(), connectTimeoutMs: 300, commandTimeoutMs: 300 });
      open.push(limiter);
      const started = Date.now();
      const decisions = await Promise.all(Array.from({ length: 20 }, () => limiter.limit({ key: 'h', max: 5, windowMs: 60_000 })));
      expect(Date.now() - started).toBeLessThan(1_000);
      expect(decisions.filter((d) => d.success)).toHaveLength(5);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => silent.close(r));
    }
  });

  describe.skipIf(!canStartRedis)('with a private redis-server that hangs, dies and comes back', () => {
    let own: TestRedis;
    beforeAll(async () => {
      own = await startRedisServer();
    });
    afterAll(async () => {
      await own.stop();
    });

    it('hung mid-connection (SIGSTOP): a decision waits commandTimeoutMs at most, then later ones none', async () => {
      const logger = quiet();
      const limiter = createRedisLimiter({ url: own.url, prefix: `hang:${randomUUID()}:`, logger, commandTimeoutMs: 300, retryAfterMs: 5_000 });
      open.push(limiter);
      expect(await limiter.ready()).toBe(true);
      expect((await limiter.limit({ key: 'k', max: 5, windowMs: 60_000 })).success).toBe(true);
      process.kill(own.pid!, 'SIGSTOP');
      try {
        let started = Date.now();
        const first = await limiter.limit({ key: 'k', max: 5, windowMs: 60_000 });
        const waited = Date.now() - started;
        expect(waited).toBeGreaterThanOrEqual(250);
        expect(waited).toBeLessThan(800);
        expect(first.success).toBe(true);
        started = Date.now();
        await Promise.all(Array.from({ length: 10 }, () => limiter.limit({ key: 'k', max: 5, windowMs: 60_000 })));
        expect(Date.now() - started).toBeLessThan(100);
        expect(limiter.status()).toBe('unavailable');
        expect(logger.lines.filter((l) => l.event === 'limiter.redis_unavailable')).toHaveLength(1);
      } finally {
        process.kill(own.pid!, 'SIGCONT');
      }
    });

    it('down then back on the same port: local decisions meanwhile, Redis again after, both logged', async () => {
      const logger = quiet();
      const prefix = `back:${randomUUID()}:`;
      const limiter = createRedisLimiter({ url: own.url, prefix, logger, retryAfterMs: 100 });
      open.push(limiter);
      expect(await limiter.ready()).toBe(true);
      const rule = { key: 'site:oak', max: 3, windowMs: 60_000 };
      expect(await limiter.limit(rule)).toMatchObject({ success: true, remaining: 2 });

      await own.stop();
      const started = Date.now();
      const during = await limiter.limit(rule);
      expect(Date.now() - started).toBeLessThan(600);
      // The local fallback knows nothing of Redis's count: a fresh window.
      expect(during).toMatchObject({ success: true, remaining: 2 });
      expect(limiter.status()).toBe('unavailable');

      own = await startRedisServer(own.port);
      expect(await limiter.ready(5_000)).toBe(true);
      const after = await limiter.limit(rule);
      expect(after).toMatchObject({ success: true, remaining: 2 });
      expect(limiter.status()).toBe('redis');
      const admin = new Redis(own.url);
      try {
        expect(await admin.get(`${prefix}site:oak`)).toBe('1');
      } finally {
        await admin.quit();
      }
      expect(logger.lines.map((l) => l.event)).toEqual(['limiter.redis_unavailable', 'limiter.redis_recovered']);
    });

    it('re-sends the script after SCRIPT FLUSH (EVALSHA falls back to EVAL)', async () => {
      const limiter = createRedisLimiter({ url: own.url, prefix: `flush:${randomUUID()}:`, logger: quiet() });
      open.push(limiter);
      expect(await limiter.ready()).toBe(true);
      const rule = { key: 'k', max: 3, windowMs: 60_000 };
      expect(await limiter.limit(rule)).toMatchObject({ success: true, remaining: 2 });
      const admin = new Redis(own.url);
      try {
        await admin.script('FLUSH');
      } finally {
        await admin.quit();
      }
      expect(await limiter.limit(rule)).toMatchObject({ success: true, remaining: 1 });
      expect(limiter.status()).toBe('redis');
    });

    it('after close(), decides without Redis and does not reconnect', async () => {
      const limiter = createRedisLimiter({ url: own.url, prefix: `closed:${randomUUID()}:`, logger: quiet(), onUnavailable: 'deny' });
      expect(await limiter.ready()).toBe(true);
      await limiter.close();
      expect((await limiter.limit({ key: 'k', max: 3, windowMs: 60_000 })).success).toBe(false);
      expect(limiter.status()).toBe('unavailable');
    });
  });
});
