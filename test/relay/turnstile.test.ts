/**
 * Cloudflare Turnstile as one layer of spam defence: for a site that configures it, the relay
 * verifies the visitor's response (meta.turnstile) with siteverify, played here by a real HTTP
 * double on loopback. A refused or missing response is held like other suspected spam and answered
 * like any lead; a siteverify that gives no verdict (down, slow, 5xx) lets the lead through (fail
 * open) with a warning. The secret and the response never show in an answer or a log line.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { secretsOf } from '../../relay/config/env.js';
import { TURNSTILE_TIMEOUT_MS, createTurnstileVerifier, turnstileIdempotencyKey } from '../../relay/spam/turnstile.js';
import { registerSecret } from '../support/hygiene.js';
import { freePort } from '../support/free-port.js';
import { ORIGIN, SITES, VALID_LEAD, buildRelay, postLead, type PostOptions } from './fixtures.js';
import { startSiteverify, type SiteverifyDouble } from './support/siteverify.js';

const SECRET = '0x4AAAAAAA_tsv_S3CRET_turnstile_key';
const SITE_KEY = '0x4AAAAAAAtsvPublicSiteKey';
registerSecret(SECRET, /tsv_resp_[A-Za-z0-9_]+/);
let seq = 0;
/** A visitor's Turnstile response: unique per use, and flagged by the log checker wherever it shows. */
const response = () => `tsv_resp_${++seq}_${'x'.repeat(40)}`;

const TURNSTILE_SITES = { ...SITES, 'oak-grove': { ...SITES['oak-grove'], turnstile: { site_key: SITE_KEY } } };

let double: SiteverifyDouble;
beforeAll(async () => {
  double = await startSiteverify({ secret: SECRET });
});
afterAll(() => double.close());
afterEach(() => {
  double.mode = 'pass';
  double.calls.length = 0;
});

/** Every answer and log line of a test, to look for the secret and the responses in. */
const seen: string[] = [];

function relay(extra: Record<string, string> = {}) {
  const r = buildRelay({
    env: { SITES_JSON: JSON.stringify(TURNSTILE_SITES), TURNSTILE_SECRET: SECRET, TURNSTILE_VERIFY_URL: double.url, ...extra },
  });
  return r;
}

async function post(r: ReturnType<typeof relay>, meta: object | undefined, options: PostOptions = {}) {
  const res = await postLead(r.app, meta === undefined ? VALID_LEAD : { ...VALID_LEAD, meta }, options);
  const text = await res.text();
  seen.push(text, JSON.stringify([...res.headers]));
  return { status: res.status, body: JSON.parse(text) as { id: string; status: string } };
}

function leaks(r: ReturnType<typeof relay>, tokens: string[]) {
  const texts = [...seen, ...r.lines];
  return [SECRET, ...tokens].filter((s) => texts.some((t) => t.includes(s)));
}

describe('Turnstile on the form endpoint', () => {
  it('hands the widget the site key of a site that uses Turnstile, and null otherwise', async () => {
    const r = relay();
    const form = await (await r.app.request('/v1/sites/oak-grove/form', { headers: { origin: ORIGIN } })).json();
    expect(form).toMatchObject({ turnstile_site_key: SITE_KEY });
    const other = await (await r.app.request('/v1/sites/pine-ridge/form', { headers: { origin: 'https://pineridge.example' } })).json();
    expect(other).toMatchObject({ turnstile_site_key: null });
    expect(JSON.stringify([form, other])).not.toContain(SECRET);
  });
});

describe('Turnstile on the leads endpoint', () => {
  it('a response siteverify accepts: the lead is queued and delivered; the call is form-encoded with secret, response, remoteip and a UUID idempotency_key', async () => {
    const r = relay();
    const token = response();
    const { status, body } = await post(r, { turnstile: token }, { key: 'fill-turnstile-pass-1' });
    expect(status).toBe(202);
    expect(body.status).toBe('queued');
    expect(double.calls).toHaveLength(1);
    const call = double.calls[0]!;
    expect(call.method).toBe('POST');
    expect(call.contentType).toBe('application/x-www-form-urlencoded');
    expect(call.form).toEqual({
      secret: SECRET,
      response: token,
      remoteip: '203.0.113.7',
      idempotency_key: await turnstileIdempotencyKey('oak-grove', 'fill-turnstile-pass-1'),
    });
    expect(call.form.idempotency_key).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(r.store.all()[0]).toMatchObject({ status: 'queued' });
    await r.deliver();
    expect((await r.store.get(body.id))!.status).toBe('confirmed');
    expect(leaks(r, [token])).toEqual([]);
  });

  const held: [string, () => object, string, boolean][] = [
    ['a response siteverify refuses', () => ({ turnstile: response() }), 'spam:turnstile_failed', true],
    ['no response at all', () => ({}), 'spam:turnstile_missing', false],
    ['an empty response', () => ({ turnstile: '' }), 'spam:turnstile_missing', false],
  ];
  for (const [what, meta, reason, called] of held) {
    it(`${what}: answered 202 queued like any lead, held with ${reason}, never sent`, async () => {
      double.mode = 'fail';
      const r = relay();
      const { status, body } = await post(r, meta());
      expect(status).toBe(202);
      expect(body).toEqual({ id: body.id, status: 'queued' });
      const receipt = await r.app.request(`/v1/sites/oak-grove/leads/${body.id}`, { headers: { origin: ORIGIN } });
      expect(await receipt.json()).toEqual({ id: body.id, status: 'queued' });
      expect(await r.store.get(body.id)).toMatchObject({ status: 'held', error: reason });
      expect(double.calls).toHaveLength(called ? 1 : 0);
      await r.deliver();
      expect(r.upstream.calls).toHaveLength(0);
      expect(r.logs().find((l) => l.event === 'lead.held')).toMatchObject({ level: 'warn', reason });
      expect(r.logs().some((l) => l.event === 'turnstile.unavailable')).toBe(false);
    });
  }

  it('a response already spent on another lead is refused by siteverify (timeout-or-duplicate): held', async () => {
    const r = relay();
    const token = response();
    const first = await post(r, { turnstile: token }, { key: 'fill-spent-first-01' });
    expect((await r.store.get(first.body.id))!.status).toBe('queued');
    const bot = { ...VALID_LEAD, first_name: 'Bot', email_1: 'bot.one@gmail.com', phone_1: '(512) 555-0199', meta: { turnstile: token } };
    const res = await postLead(r.app, bot, { key: 'fill-spent-second-1' });
    const second = (await res.json()) as { id: string; status: string };
    expect(second.status).toBe('queued');
    expect(await r.store.get(second.id)).toMatchObject({ status: 'held', error: 'spam:turnstile_failed' });
    expect(double.calls).toHaveLength(2);
    expect(r.logs().find((l) => l.event === 'turnstile.failed')).toMatchObject({ error_codes: ['timeout-or-duplicate'] });
  });

  const unavailable: [string, SiteverifyDouble['mode'] | 'closed', string][] = [
    ['siteverify drops the connection', 'reset', 'network_error'],
    ['siteverify answers 503', 'http_503', 'http_503'],
    ['siteverify answers an HTML page', 'garbage', 'unreadable_body'],
    ['siteverify says internal-error', 'internal_error', 'error_codes'],
    ['nothing listens at the verify URL', 'closed', 'network_error'],
  ];
  for (const [what, mode, reason] of unavailable) {
    it(`${what}: fail open, the lead is queued and delivered, with a turnstile.unavailable warning`, async () => {
      let r: ReturnType<typeof relay>;
      if (mode === 'closed') r = relay({ TURNSTILE_VERIFY_URL: `http://127.0.0.1:${await freePort()}/turnstile/v0/siteverify` });
      else {
        double.mode = mode;
        r = relay();
      }
      const token = response();
      const { status, body } = await post(r, { turnstile: token });
      expect(status).toBe(202);
      expect(body.status).toBe('queued');
      expect((await r.store.get(body.id))!.status).toBe('queued');
      const warning = r.logs().find((l) => l.event === 'turnstile.unavailable');
      expect(warning).toMatchObject({ level: 'warn', site: 'oak-grove', reason, accepted: true });
      expect(r.logs().find((l) => l.event === 'lead.accepted')).toMatchObject({ lead_id: body.id });
      await r.deliver();
      expect((await r.store.get(body.id))!.status).toBe('confirmed');
      expect(leaks(r, [token])).toEqual([]);
    });
  }

  it(`siteverify that never answers: fail open after ${TURNSTILE_TIMEOUT_MS} ms, the lead queued with a warning`, async () => {
    double.mode = 'hang';
    const r = relay();
    // The time limit is a setTimeout: on fake timers, the relay gives up on siteverify at exactly
    // TURNSTILE_TIMEOUT_MS (interval 0: expect.poll would move the fake clock on between attempts).
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    let id: string;
    try {
      const answer = post(r, { turnstile: response() });
      await expect.poll(() => double.calls.length, { interval: 0 }).toBe(1);
      vi.advanceTimersByTime(TURNSTILE_TIMEOUT_MS - 1);
      // What the timer set off, if it fired, has run by the event loop's next turn.
      await new Promise((resolve) => setImmediate(resolve));
      expect(
        r.logs().filter((l) => l.event === 'turnstile.unavailable'),
        `still waiting at ${TURNSTILE_TIMEOUT_MS - 1} ms`,
      ).toEqual([]);
      vi.advanceTimersByTime(1);
      const { status, body } = await answer;
      expect(status).toBe(202);
      expect(body.status).toBe('queued');
      id = body.id;
    } finally {
      vi.useRealTimers();
    }
    expect(r.logs().find((l) => l.event === 'turnstile.unavailable')).toMatchObject({ level: 'warn', reason: 'timeout' });
    expect((await r.store.get(id))!.status).toBe('queued');
  });

  it('siteverify refusing our secret: fail open, and an alert for the operator', async () => {
    const r = relay({ TURNSTILE_SECRET: '0x4AAAAAAA_a_wrong_secret_for_tsv' });
    registerSecret('0x4AAAAAAA_a_wrong_secret_for_tsv');
    const { body } = await post(r, { turnstile: response() });
    expect((await r.store.get(body.id))!.status).toBe('queued');
    expect(r.logs().find((l) => l.event === 'turnstile.unavailable')).toMatchObject({
      level: 'error',
      alert: true,
      error_codes: ['invalid-input-secret'],
    });
  });

  it('a repeated Idempotency-Key gets the first answer without verifying again (responses are single use)', async () => {
    const r = relay();
    const token = response();
    const first = await post(r, { turnstile: token }, { key: 'fill-repeat-000001' });
    const again = await post(r, { turnstile: token }, { key: 'fill-repeat-000001' });
    expect(again).toEqual(first);
    expect(double.calls).toHaveLength(1);
    expect(r.store.all()).toHaveLength(1);
    expect(r.store.all()[0]!.status).toBe('queued');
  });

  it("the same fill verified twice (the first store attempt failed) gets siteverify's first verdict back", async () => {
    // What the derived idempotency_key is for: a browser retrying after a 503 sends the same response again.
    const token = response();
    const key = await turnstileIdempotencyKey('oak-grove', 'fill-after-503-0001');
    const verifier = createTurnstileVerifier({ secret: SECRET, verifyUrl: double.url, fetch: (i, init) => fetch(i, init) });
    expect(await verifier.verify({ token, idempotencyKey: key })).toMatchObject({ outcome: 'passed', hostname: 'www.oakgrove.example' });
    expect(await verifier.verify({ token, idempotencyKey: key })).toMatchObject({ outcome: 'passed' });
    expect(await verifier.verify({ token, idempotencyKey: await turnstileIdempotencyKey('oak-grove', 'another-fill-0001') })).toEqual({
      outcome: 'failed',
      errorCodes: ['timeout-or-duplicate'],
    });
    expect(await turnstileIdempotencyKey('pine-ridge', 'fill-after-503-0001')).not.toBe(key);
    expect(await turnstileIdempotencyKey('oak-grove', undefined)).not.toBe(await turnstileIdempotencyKey('oak-grove', undefined));
  });

  it('a lead already caught by the hidden field, or refused by the contract, spends no siteverify call', async () => {
    const r = relay();
    const trapped = await post(r, { turnstile: response(), trap: 'http://spam.example' });
    expect(await r.store.get(trapped.body.id)).toMatchObject({ status: 'held', error: 'spam:honeypot' });
    const invalid = await postLead(r.app, { ...VALID_LEAD, email_1: 'not-an-email', meta: { turnstile: response() } });
    expect(invalid.status).toBe(400);
    expect(double.calls).toHaveLength(0);
  });

  it('a site without Turnstile never calls siteverify, whatever meta.turnstile says', async () => {
    const r = relay();
    const { body } = await post(r, { turnstile: response() }, { site: 'pine-ridge', origin: 'https://pineridge.example' });
    expect(body.status).toBe('queued');
    expect((await r.store.get(body.id))!.status).toBe('queued');
    expect(double.calls).toHaveLength(0);
  });

  it('a response over 2048 characters breaks the contract: 400 meta.turnstile too_long', async () => {
    const r = relay();
    const res = await postLead(r.app, { ...VALID_LEAD, meta: { turnstile: 'a'.repeat(2049) } });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { fields: unknown[] } }).error.fields).toEqual([
      expect.objectContaining({ field: 'meta.turnstile', code: 'too_long' }),
    ]);
    expect(double.calls).toHaveLength(0);
  });

  it('the secret is a configured secret the logger scrubs, and never reached an answer or a log line above', () => {
    expect(secretsOf(relay().config)).toContain(SECRET);
    expect(seen.length).toBeGreaterThan(20);
    expect(seen.filter((t) => t.includes(SECRET) || /tsv_resp_/.test(t))).toEqual([]);
  });
});
