/**
 * One behaviour suite for every RateLimiter (memory and Redis), then what only Redis has: one window
 * shared by separate connections, the script's footprint in Redis, and what happens when Redis is down,
 * unreachable or hung. Redis is CI's (REDIS_URL) or a redis-server started here.
 *
 * No assertion reads the wall clock. Time moves when a test moves it: the memory limiter runs on the
 * manual clock; Redis's windows are its TTLs, which a test shortens to move time on and reads back
 * (PTTL, PEXPIRETIME, TIME) to check what the limiter said. Outages are timed with vitest's fake
 * timers (the limiter's and ioredis's timeouts are setTimeout): a decision that must not wait is
 * checked to settle before the event loop's next turn, one that waits for a timeout to settle when
 * the fake clock reaches it and not a millisecond before.
 */
import { checkLine } from '../support/hygiene.js';
import { randomUUID } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createMemoryLimiter } from '../../relay/limits/memory.js';
import { createRedisLimiter, DEFAULT_REDIS_PREFIX, type RedisLimiter, type RedisLimiterOptions } from '../../relay/limits/redis.js';
import type { LimitDecision, RateLimiter } from '../../relay/limits/types.js';
import { freePort } from '../support/free-port.js';
import { manualClock } from './fixtures.js';
import { hasRedisServer, startRedisServer, testRedis, type TestRedis } from './support/redis.js';

const canStartRedis = hasRedisServer();
const redisAvailable = Boolean(process.env.REDIS_URL) || canStartRedis;
if (!redisAvailable) console.warn('limits.test: no REDIS_URL and no redis-server: the Redis half is skipped');

let redis: TestRedis | null = null;
let admin: Redis | undefined;
const open: { close(): Promise<void> }[] = [];

beforeAll(async () => {
  if (redisAvailable) {
    redis = await testRedis();
    admin = new Redis(redis!.url, { lazyConnect: false, maxRetriesPerRequest: 1 });
  }
});
afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(open.splice(0).map((l) => l.close()));
});
afterAll(async () => {
  await admin?.quit();
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

/**
 * `promise`, checked to have settled before the event loop's next turn: decided from what the
 * process already knew, without waiting for a timer, a socket or Redis.
 */
async function atOnce<T>(promise: Promise<T>): Promise<T> {
  const pending = Symbol('pending');
  const first = await Promise.race([promise, new Promise<typeof pending>((resolve) => setImmediate(resolve, pending))]);
  expect(first, 'settled without waiting on the event loop').not.toBe(pending);
  return first as T;
}

/** Whether `promise` has settled by the event loop's next turn (with the fake timers standing still). */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  const pending = Symbol('pending');
  const first = await Promise.race([
    promise.then(
      () => true,
      () => true,
    ),
    new Promise<typeof pending>((resolve) => setImmediate(resolve, pending)),
  ]);
  return first !== pending;
}

/** Redis's own clock, in ms (TIME): what its TTLs count from. */
async function redisNow(): Promise<number> {
  const [seconds, micros] = await admin!.time();
  return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
}

/**
 * Moves a Redis key space's time on by `ms`: Redis's clock cannot be moved, so its windows are,
 * each TTL under `prefix` shortened by `ms` and a key whose TTL runs out removed, as Redis expires
 * it. Atomic per call, so no window ends on its own in between.
 */
const ADVANCE_SCRIPT = `
for _, key in ipairs(redis.call('KEYS', ARGV[1] .. '*')) do
  local ttl = redis.call('PTTL', key)
  if ttl > tonumber(ARGV[2]) then redis.call('PEXPIRE', key, ttl - tonumber(ARGV[2])) elseif ttl >= 0 then redis.call('DEL', key) end
end
return 0
`;

/** A limiter under test, with time that moves only when the test moves it. */
interface Subject {
  limiter: RateLimiter;
  /** Moves time on by `ms`. */
  advance(ms: number): Promise<void>;
  /**
   * Checks a decision's resetMs against the time left in `key`'s window on the test's clock:
   * exactly `expected` on the manual clock; with Redis, whose clock runs on meanwhile, no more than
   * `expected` and no less than what Redis says is left now.
   */
  expectReset(decision: LimitDecision, key: string, expected: number): Promise<void>;
  /**
   * When `key`'s window ends, on the test's clock: the manual clock plus the decision's resetMs; with
   * Redis, its PEXPIRETIME plus the time the test moved on (which moved the window's end back).
   */
  windowEnd(key: string, decision: LimitDecision): Promise<number>;
}

const implementations: { name: string; skip: boolean; make(): Promise<Subject> }[] = [
  {
    name: 'memory',
    skip: false,
    make: async () => {
      const clock = manualClock();
      return {
        limiter: createMemoryLimiter({ clock }),
        advance: async (ms) => clock.advance(ms),
        expectReset: async (d, _key, expected) => expect(d.resetMs).toBe(expected),
        windowEnd: async (_key, d) => clock.now() + d.resetMs,
      };
    },
  },
  {
    name: 'redis',
    skip: !redisAvailable,
    make: async () => {
      const prefix = `test:${randomUUID()}:`;
      const limiter = redisLimiter({}, prefix);
      expect(await limiter.ready()).toBe(true);
      let advanced = 0;
      return {
        limiter,
        advance: async (ms) => {
          await admin!.eval(ADVANCE_SCRIPT, 0, prefix, ms);
          advanced += ms;
        },
        expectReset: async (d, key, expected) => {
          expect(d.resetMs).toBeLessThanOrEqual(expected);
          expect(d.resetMs).toBeGreaterThanOrEqual(await admin!.pttl(prefix + key));
        },
        windowEnd: async (key) => (await admin!.pexpiretime(prefix + key)) + advanced,
      };
    },
  },
];

// Windows are long (minutes): time moves only when a test moves it, so nothing here waits for one,
// and Redis's own clock running on for a few milliseconds never ends one by itself.
for (const impl of implementations) {
  describe.skipIf(impl.skip)(`${impl.name} limiter: an exact fixed window`, () => {
    it('admits exactly max, with limit and remaining counting down, then denies', async () => {
      const { limiter, expectReset } = await impl.make();
      const decisions: LimitDecision[] = [];
      for (let i = 0; i < 8; i++) decisions.push(await limiter.limit({ key: 'k', max: 5, windowMs: 60_000 }));
      expect(decisions.map((d) => d.success)).toEqual([true, true, true, true, true, false, false, false]);
      expect(decisions.map((d) => d.remaining)).toEqual([4, 3, 2, 1, 0, 0, 0, 0]);
      expect(decisions.every((d) => d.limit === 5)).toBe(true);
      for (const d of decisions) await expectReset(d, 'k', 60_000);
      // The same window throughout: resetMs never grows.
      for (let i = 1; i < decisions.length; i++) expect(decisions[i]!.resetMs).toBeLessThanOrEqual(decisions[i - 1]!.resetMs);
    });

    it('admits exactly max of 200 concurrent requests', async () => {
      const { limiter } = await impl.make();
      const all = await Promise.all(Array.from({ length: 200 }, () => limiter.limit({ key: 'burst', max: 17, windowMs: 60_000 })));
      expect(all.filter((d) => d.success)).toHaveLength(17);
      // Each admitted request got its own slot.
      expect(
        all
          .filter((d) => d.success)
          .map((d) => d.remaining)
          .sort((a, b) => a - b),
      ).toEqual(Array.from({ length: 17 }, (_, i) => i));
    });

    it('keeps keys independent', async () => {
      const { limiter } = await impl.make();
      for (let i = 0; i < 2; i++) expect((await limiter.limit({ key: 'ip:a', max: 2, windowMs: 60_000 })).success).toBe(true);
      expect((await limiter.limit({ key: 'ip:a', max: 2, windowMs: 60_000 })).success).toBe(false);
      const other = await limiter.limit({ key: 'ip:b', max: 2, windowMs: 60_000 });
      expect(other).toMatchObject({ success: true, remaining: 1 });
      // A key that is a prefix of another is still its own key.
      expect((await limiter.limit({ key: 'ip:', max: 2, windowMs: 60_000 })).success).toBe(true);
      expect((await limiter.limit({ key: 'ip:a', max: 2, windowMs: 60_000 })).success).toBe(false);
    });

    it('reports resetMs as the time left in the window', async () => {
      const { limiter, advance, expectReset } = await impl.make();
      const first = await limiter.limit({ key: 'r', max: 3, windowMs: 120_000 });
      await expectReset(first, 'r', 120_000);
      await advance(30_000);
      const later = await limiter.limit({ key: 'r', max: 3, windowMs: 120_000 });
      await expectReset(later, 'r', 90_000);
      expect(later.resetMs).toBeLessThanOrEqual(first.resetMs - 30_000);
    });

    it('starts a new window once resetMs has passed, with the full count again', async () => {
      const { limiter, advance, expectReset } = await impl.make();
      const rule = { key: 'w', max: 2, windowMs: 60_000 };
      expect((await limiter.limit(rule)).success).toBe(true);
      expect((await limiter.limit(rule)).success).toBe(true);
      await advance(20_000);
      const denied = await limiter.limit(rule);
      expect(denied.success).toBe(false);
      await expectReset(denied, 'w', 40_000);
      await advance(denied.resetMs);
      const fresh = await limiter.limit(rule);
      expect(fresh).toMatchObject({ success: true, remaining: 1 });
      await expectReset(fresh, 'w', 60_000);
    });

    it('does not let denied requests extend the window or count in the next one', async () => {
      const { limiter, advance, expectReset, windowEnd } = await impl.make();
      const rule = { key: 'd', max: 2, windowMs: 600_000 };
      expect((await limiter.limit(rule)).success).toBe(true);
      const second = await limiter.limit(rule);
      expect(second.success).toBe(true);
      const end = await windowEnd('d', second);
      await advance(300_000);
      // Denied requests late in the window: a window restarted or extended by them would end later.
      for (let i = 0; i < 5; i++) {
        const d = await limiter.limit(rule);
        expect(d.success).toBe(false);
        await expectReset(d, 'd', 300_000);
        expect(await windowEnd('d', d)).toBe(end);
      }
      await advance(300_000);
      // A new window, untouched by the five denials.
      expect(await limiter.limit(rule)).toMatchObject({ success: true, remaining: 1 });
      expect(await limiter.limit(rule)).toMatchObject({ success: true, remaining: 0 });
      expect((await limiter.limit(rule)).success).toBe(false);
    });
  });
}

describe('memory limiter: the window on the manual clock', () => {
  it('ends exactly resetMs after the decision, not a millisecond before', async () => {
    const clock = manualClock();
    const limiter = createMemoryLimiter({ clock });
    const rule = { key: 'edge', max: 1, windowMs: 1_000 };
    expect((await limiter.limit(rule)).success).toBe(true);
    clock.advance(999);
    expect(await limiter.limit(rule)).toMatchObject({ success: false, resetMs: 1 });
    clock.advance(1);
    expect(await limiter.limit(rule)).toMatchObject({ success: true, remaining: 0, resetMs: 1_000 });
  });
});

describe.skipIf(!redisAvailable)('redis limiter: one limit for every process', () => {
  it('shares one window between separate connections, exactly', async () => {
    const prefix = `test:${randomUUID()}:`;
    const [a, b, c] = [redisLimiter({}, prefix), redisLimiter({}, prefix), redisLimiter({}, prefix)];
    expect(await Promise.all([a.ready(), b.ready(), c.ready()])).toEqual([true, true, true]);
    const rule = { key: 'site:oak', max: 40, windowMs: 60_000 };
    const all = await Promise.all(Array.from({ length: 300 }, (_, i) => [a, b, c][i % 3]!.limit(rule)));
    expect(all.filter((d) => d.success)).toHaveLength(40);
    expect(all.filter((d) => !d.success)).toHaveLength(260);
    expect(
      all
        .filter((d) => d.success)
        .map((d) => d.remaining)
        .sort((x, y) => x - y),
    ).toEqual(Array.from({ length: 40 }, (_, i) => i));
  });

  it('keeps one counter per key under the prefix: never above max, with the window as its TTL', async () => {
    const prefix = `test:${randomUUID()}:`;
    const limiter = redisLimiter({}, prefix);
    expect(await limiter.ready()).toBe(true);
    // The window is set by the first request, on Redis's clock, and no later request moves it.
    const before = await redisNow();
    await limiter.limit({ key: 'site:oak', max: 3, windowMs: 5_000 });
    const after = await redisNow();
    const end = await admin!.pexpiretime(`${prefix}site:oak`);
    expect(end).toBeGreaterThanOrEqual(before + 5_000);
    expect(end).toBeLessThanOrEqual(after + 5_000);
    for (let i = 1; i < 10; i++) await limiter.limit({ key: 'site:oak', max: 3, windowMs: 5_000 });
    expect(await admin!.get(`${prefix}site:oak`)).toBe('3');
    expect(await admin!.pexpiretime(`${prefix}site:oak`)).toBe(end);
    expect(await admin!.keys(`${prefix}*`)).toEqual([`${prefix}site:oak`]);
  });

  it('uses the default prefix when none is given', async () => {
    const key = `test-default-prefix:${randomUUID()}`;
    const limiter = createRedisLimiter({ url: redis!.url, logger: quiet() });
    open.push(limiter);
    await limiter.limit({ key, max: 1, windowMs: 5_000 });
    expect(await admin!.get(`${DEFAULT_REDIS_PREFIX}${key}`)).toBe('1');
    await admin!.del(`${DEFAULT_REDIS_PREFIX}${key}`);
  });

  it('gives a counter left without a TTL one window instead of denying forever', async () => {
    const prefix = `test:${randomUUID()}:`;
    await admin!.set(`${prefix}stuck`, '9');
    expect(await admin!.pttl(`${prefix}stuck`)).toBe(-1);
    const limiter = redisLimiter({}, prefix);
    expect(await limiter.ready()).toBe(true);
    const before = await redisNow();
    expect(await limiter.limit({ key: 'stuck', max: 3, windowMs: 2_000 })).toMatchObject({ success: false, remaining: 0 });
    const after = await redisNow();
    const end = await admin!.pexpiretime(`${prefix}stuck`);
    expect(end).toBeGreaterThanOrEqual(before + 2_000);
    expect(end).toBeLessThanOrEqual(after + 2_000);
  });
});

describe('redis limiter: when Redis cannot answer', () => {
  it('unreachable: decides at once, by default from local limits, and warns once', async () => {
    const logger = quiet();
    const limiter = createRedisLimiter({ url: `redis://127.0.0.1:${await freePort()}`, logger });
    open.push(limiter);
    expect(await limiter.ready(300)).toBe(false);
    const rule = { key: 'ip:x', max: 2, windowMs: 60_000 };
    const decisions = [await atOnce(limiter.limit(rule)), await atOnce(limiter.limit(rule)), await atOnce(limiter.limit(rule))];
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
    // Refused until Redis is asked again: retryAfterMs, as the window is longer.
    expect(await deny.limit(rule)).toEqual({ success: false, limit: 1, remaining: 0, resetMs: 1_000 });
    expect(await deny.limit({ ...rule, windowMs: 400 })).toEqual({ success: false, limit: 1, remaining: 0, resetMs: 400 });
  });

  it('a server that accepts but never answers: no decision waits past the timeouts', async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((s) => void sockets.push(s));
    const port = await new Promise<number>((resolve) =>
      silent.listen(0, '127.0.0.1', () => resolve((silent.address() as { port: number }).port)),
    );
    try {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      const limiter = createRedisLimiter({
        url: `redis://127.0.0.1:${port}`,
        logger: quiet(),
        connectTimeoutMs: 300,
        commandTimeoutMs: 300,
      });
      open.push(limiter);
      const decisions = Promise.all(Array.from({ length: 20 }, () => limiter.limit({ key: 'h', max: 5, windowMs: 60_000 })));
      // Connected, its handshake unanswered: the decisions wait for the connection (interval 0:
      // expect.poll would move the fake timers on by its interval)...
      await expect.poll(() => sockets.length, { timeout: 5_000, interval: 0 }).toBe(1);
      vi.advanceTimersByTime(299);
      expect(await settled(decisions)).toBe(false);
      // ...for connectTimeoutMs, then are decided without Redis (no command is queued for it).
      vi.advanceTimersByTime(1);
      expect(await settled(decisions)).toBe(true);
      expect((await decisions).filter((d) => d.success)).toHaveLength(5);
    } finally {
      vi.useRealTimers();
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
      const prefix = `hang:${randomUUID()}:`;
      const limiter = createRedisLimiter({ url: own.url, prefix, logger, commandTimeoutMs: 300, retryAfterMs: 5_000 });
      open.push(limiter);
      expect(await limiter.ready()).toBe(true);
      const rule = { key: 'k', max: 100, windowMs: 60_000 };
      expect((await limiter.limit(rule)).success).toBe(true);
      process.kill(own.pid!, 'SIGSTOP');
      try {
        vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
        const first = limiter.limit(rule);
        vi.advanceTimersByTime(299);
        expect(await settled(first)).toBe(false);
        vi.advanceTimersByTime(1);
        expect(await settled(first)).toBe(true);
        expect((await first).success).toBe(true);
        // It was the command's timeout that answered, and Redis is not asked again for retryAfterMs.
        expect(logger.lines.filter((l) => l.event === 'limiter.redis_unavailable')).toMatchObject([
          { fields: { error: 'Command timed out' } },
        ]);
        for (let i = 0; i < 10; i++) expect((await atOnce(limiter.limit(rule))).success).toBe(true);
        expect(limiter.status()).toBe('unavailable');
        expect(logger.lines.filter((l) => l.event === 'limiter.redis_unavailable')).toHaveLength(1);
      } finally {
        vi.useRealTimers();
        process.kill(own.pid!, 'SIGCONT');
      }
      // What reached Redis: the first count, the command that timed out (Redis runs it on waking),
      // and none of the ten decided without it.
      const counter = new Redis(own.url);
      try {
        await expect.poll(() => counter.get(`${prefix}k`), { timeout: 5_000 }).not.toBe('1');
        expect(await counter.get(`${prefix}k`)).toBe('2');
      } finally {
        await counter.quit();
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
      // Once the limiter has seen Redis go, it decides at once, locally.
      await expect.poll(() => limiter.status(), { timeout: 5_000 }).toBe('unavailable');
      const during = await atOnce(limiter.limit(rule));
      // The local fallback knows nothing of Redis's count: a fresh window.
      expect(during).toMatchObject({ success: true, remaining: 2 });

      own = await startRedisServer(own.port);
      expect(await limiter.ready(5_000)).toBe(true);
      const after = await limiter.limit(rule);
      expect(after).toMatchObject({ success: true, remaining: 2 });
      expect(limiter.status()).toBe('redis');
      const fresh = new Redis(own.url);
      try {
        expect(await fresh.get(`${prefix}site:oak`)).toBe('1');
      } finally {
        await fresh.quit();
      }
      expect(logger.lines.map((l) => l.event)).toEqual(['limiter.redis_unavailable', 'limiter.redis_recovered']);
    });

    it('re-sends the script after SCRIPT FLUSH (EVALSHA falls back to EVAL)', async () => {
      const limiter = createRedisLimiter({ url: own.url, prefix: `flush:${randomUUID()}:`, logger: quiet() });
      open.push(limiter);
      expect(await limiter.ready()).toBe(true);
      const rule = { key: 'k', max: 3, windowMs: 60_000 };
      expect(await limiter.limit(rule)).toMatchObject({ success: true, remaining: 2 });
      const flusher = new Redis(own.url);
      try {
        await flusher.script('FLUSH');
      } finally {
        await flusher.quit();
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
