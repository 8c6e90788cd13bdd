/**
 * The operator-facing routes are limited per client too: Propexo's webhook (WEBHOOK_RATE_PER_MINUTE)
 * and the admin routes (ADMIN_RATE_PER_MINUTE). Every request counts, refused ones first of all: a
 * guess at the admin token or the webhook secret is what the limit is for.
 */
import { describe, expect, it } from 'vitest';
import { hmacSha256Hex } from '../../relay/routes/webhooks.js';
import { buildRelay, errorOf } from './fixtures.js';

const ADMIN = 'adm_0123456789abcdef';
const HOOK = 'whsec_test_secret_1';

function relayWithLimits(env: Record<string, string> = {}) {
  let ip = '203.0.113.7';
  const relay = buildRelay({ env: { ADMIN_TOKEN: ADMIN, PROPEXO_WEBHOOK_SECRET: HOOK, ...env }, ip: () => ip });
  return { ...relay, from: (next: string) => (ip = next) };
}

describe('per-client limits of the admin and webhook routes', () => {
  it('admin: ADMIN_RATE_PER_MINUTE requests a minute per client, bad tokens included; then 429 with Retry-After', async () => {
    const { app, clock, from } = relayWithLimits({ ADMIN_RATE_PER_MINUTE: '3' });
    const list = (token = ADMIN) => app.request('/admin/leads', { headers: { authorization: `Bearer ${token}` } });
    expect([(await list('wrong_guess_0001')).status, (await list('wrong_guess_0002')).status, (await list()).status]).toEqual([
      401, 401, 200,
    ]);
    const limited = await list();
    expect(limited.status).toBe(429);
    expect((await errorOf(limited)).code).toBe('rate_limited');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await app.request('/admin/leads/ld_x/retry', { method: 'POST', headers: { authorization: `Bearer ${ADMIN}` } })).status).toBe(
      429,
    );
    // The same /64 is the same client; another client is not limited; a minute later, neither is the first.
    from('2001:db8:1:2::1');
    expect((await list()).status).toBe(200);
    expect((await list()).status).toBe(200);
    expect((await list()).status).toBe(200);
    from('2001:db8:1:2:ffff::9');
    expect((await list()).status).toBe(429);
    from('203.0.113.7');
    clock.advance(60_000);
    expect((await list()).status).toBe(200);
  });

  it('webhook: WEBHOOK_RATE_PER_MINUTE requests a minute per client, unsigned ones included', async () => {
    const { app, from } = relayWithLimits({ WEBHOOK_RATE_PER_MINUTE: '2' });
    const body = JSON.stringify({ trigger: 'SOMETHING_ELSE', data: {} });
    const signature = await hmacSha256Hex(HOOK, new TextEncoder().encode(body).buffer as ArrayBuffer);
    const hook = (sig: string) => app.request('/v1/propexo/webhooks', { method: 'POST', body, headers: { 'propexo-signature': sig } });
    expect([(await hook('0'.repeat(64))).status, (await hook(signature)).status]).toEqual([401, 200]);
    const limited = await hook(signature);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    from('198.51.100.20');
    expect((await hook(signature)).status).toBe(200);
  });

  it('defaults: 300 webhooks and 300 admin requests a minute per client', async () => {
    const { app, config } = relayWithLimits();
    expect([config.webhookRatePerMinute, config.adminRatePerMinute]).toEqual([300, 300]);
    const statuses: number[] = [];
    for (let i = 0; i < 301; i++) statuses.push((await app.request('/admin/leads', { headers: { authorization: 'Bearer nope' } })).status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(300);
    expect(statuses.at(-1)).toBe(429);
  });
});
