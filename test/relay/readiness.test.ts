/**
 * Readiness (relay/lib/readiness.ts, `GET /readyz`) on a manual clock: a real write probe, asked at
 * most once per cache period however many ask; not ready while the write fails or takes too long,
 * or while Propexo refuses the token (the deliverer's health, until Propexo accepts one again);
 * each change logged once. `/healthz` stays a liveness check.
 */
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../relay/lib/log.js';
import { readinessCheck, type NotReadyReason } from '../../relay/lib/readiness.js';
import { UpstreamHealth } from '../../relay/outbox/delivery/health.js';
import { checkedSink } from '../support/hygiene.js';
import { buildRelay, manualClock } from './fixtures.js';

function setup(options: { tokenRefused?: () => boolean } = {}) {
  const clock = manualClock();
  const lines: string[] = [];
  const logger = createLogger({ level: 'debug', sink: checkedSink(lines), clock });
  let writes = 0;
  let failing: Error | null = null;
  let hanging = false;
  const probeWrite = async () => {
    writes++;
    if (hanging) return new Promise(() => {});
    if (failing) throw failing;
  };
  const readiness = readinessCheck({ clock, logger, probeWrite, cacheMs: 5_000, timeoutMs: 50, ...options });
  const logged = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => String(l.event).startsWith('readiness.'));
  return {
    clock,
    readiness,
    logged,
    writes: () => writes,
    fail: (error: Error | null) => {
      failing = error;
    },
    hang: () => {
      hanging = true;
    },
  };
}

describe('readinessCheck', () => {
  it('writes once per cache period, however many ask at once or after', async () => {
    const t = setup();
    expect(await Promise.all(Array.from({ length: 20 }, () => t.readiness()))).toEqual(Array(20).fill([]));
    t.clock.advance(4_999);
    expect(await t.readiness()).toEqual([]);
    expect(t.writes()).toBe(1);
    t.clock.advance(1);
    await t.readiness();
    expect(t.writes()).toBe(2);
    expect(t.logged()).toEqual([]);
  });

  it('is not ready while the write fails, logs it once with the error, and again once ready', async () => {
    const t = setup();
    expect(await t.readiness()).toEqual([]);
    t.fail(Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' }));
    // The last answer stands until the cache period is over: the store is not asked more often.
    expect(await t.readiness()).toEqual([]);
    t.clock.advance(5_000);
    expect(await t.readiness()).toEqual(['store_unwritable']);
    t.clock.advance(5_000);
    expect(await t.readiness()).toEqual(['store_unwritable']);
    t.fail(null);
    t.clock.advance(5_000);
    expect(await t.readiness()).toEqual([]);
    expect(t.logged()).toMatchObject([
      { level: 'warn', event: 'readiness.not_ready', reasons: ['store_unwritable'], error: { message: 'database or disk is full' } },
      { level: 'info', event: 'readiness.ready' },
    ]);
  });

  it('counts a write that does not end within its time limit as failed', async () => {
    const t = setup();
    t.hang();
    expect(await t.readiness()).toEqual(['store_unwritable']);
    expect(t.logged()[0]).toMatchObject({ reasons: ['store_unwritable'], error: { message: 'the write took over 50 ms' } });
  });

  it('is not ready while Propexo refuses the token, from the refusal until Propexo accepts a request again', async () => {
    const clock = manualClock();
    const health = new UpstreamHealth(clock, createLogger({ sink: checkedSink() }), { authPauseMs: 60_000, concurrency: 1 });
    const t = setup({ tokenRefused: () => health.tokenRefused });
    expect(await t.readiness()).toEqual([]);
    health.observe({ ok: false, kind: 'unauthorized', status: 401 });
    expect(await t.readiness()).toEqual(['propexo_token_refused']);
    // Past the pause, with no answer since: still refused, as far as anyone knows.
    clock.advance(120_000);
    expect(await t.readiness()).toEqual(['propexo_token_refused']);
    health.observe({ ok: false, kind: 'unavailable', status: 503 });
    expect(await t.readiness()).toEqual(['propexo_token_refused']);
    health.observe({ ok: true });
    expect(await t.readiness()).toEqual([]);
    t.fail(new Error('disk full'));
    t.clock.advance(5_000);
    health.observe({ ok: false, kind: 'unauthorized', status: 403 });
    expect(await t.readiness()).toEqual(['store_unwritable', 'propexo_token_refused']);
  });
});

describe('GET /readyz and /healthz', () => {
  it('/readyz answers 200 { ok: true } when ready, 503 with the reasons when not, never cached; /healthz 200 either way', async () => {
    let reasons: NotReadyReason[] = [];
    const { app } = buildRelay();
    const ready = await app.request('/readyz');
    expect([ready.status, await ready.json()]).toEqual([200, { ok: true }]);
    expect(ready.headers.get('cache-control')).toBe('no-store');

    const { app: failing, lines } = buildRelay({ readiness: async () => reasons });
    reasons = ['store_unwritable', 'propexo_token_refused'];
    const notReady = await failing.request('/readyz');
    expect([notReady.status, await notReady.json()]).toEqual([503, { ok: false, reasons }]);
    expect(notReady.headers.get('cache-control')).toBe('no-store');
    expect((await failing.request('/readyz', { method: 'HEAD' })).status).toBe(503);
    expect([(await failing.request('/healthz')).status, (await failing.request('/readyz', { method: 'POST' })).status]).toEqual([200, 405]);
    // Probes come every few seconds: their request lines are debug, like /healthz's.
    const requestLines = lines
      .map((l) => JSON.parse(l) as { event: string; level: string; path: string })
      .filter((l) => l.event === 'request');
    expect(requestLines.filter((l) => l.path === '/readyz').every((l) => l.level === 'debug')).toBe(true);
  });
});
