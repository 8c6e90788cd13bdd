/**
 * The console's server side on both runtimes, over real HTTP on loopback: sign-in into a signed,
 * expiring session cookie, refused without one or with a forged, tampered or expired one; a change
 * made with the cookie from another origin (or none) refused; the API (overview, leads masked,
 * one lead's timeline, reveal, release, spam, retry, CSV, changes); /metrics behind its token; and
 * no token or full contact detail in any answer but a reveal's.
 */
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_IDS, startSandbox, type RunningSandbox } from '../../sandbox/index.js';
import { VALID_LEAD } from '../relay/fixtures.js';
import { checkedSink, registerSecret } from '../support/hygiene.js';
import { ADMIN_TOKEN, ORIGIN, PUBLIC_HOST, nodeTarget, relayVars, workerdTarget, type RelayTarget } from './targets.js';

const TOKEN = 'ptx_console_suite_token_5678';
const SESSION_SECRET = 'sess_console_suite_secret_0123';
const METRICS_TOKEN = 'met_console_suite_token_0123';
registerSecret(TOKEN, SESSION_SECRET, METRICS_TOKEN, ADMIN_TOKEN);
const SITES = { 'oak-grove': { name: 'Oak Grove', ...SANDBOX_IDS, form_token: 'optional', allowed_origins: [ORIGIN] } };

/** A cookie value as the relay signs them, with any expiry: to forge an expired one with the real key. */
function signedValue(expiresAt: number, secret = SESSION_SECRET): string {
  const id = 'AAAAAAAAAAAAAAAAAAAAAA';
  const mac = createHmac('sha256', secret).update(`v1.${id}.${expiresAt}`).digest('base64url');
  return `${id}.${expiresAt}.${mac}`;
}

describe.each([
  ['node', nodeTarget],
  ['workerd', workerdTarget],
] as const)('console API on %s', (runtime, start) => {
  let sandbox: RunningSandbox;
  let relay: RelayTarget;
  /** Every answer's headers and body, to look for secrets and contact details at the end. */
  const seen: string[] = [];

  beforeAll(async () => {
    sandbox = await startSandbox({ token: TOKEN, writeDelayMs: 10, slowDownMs: 0, rateLimitPerMinute: 100_000, log: checkedSink() });
    relay = await start({
      ...relayVars(sandbox.url, TOKEN, SITES),
      SESSION_SECRET,
      METRICS_TOKEN,
      ADMIN_RATE_PER_MINUTE: '100000',
    });
  }, 60_000);
  afterAll(async () => {
    await relay?.close();
    await sandbox?.close();
  });

  const call = async (path: string, init: RequestInit = {}) => {
    const response = await fetch(`${relay.url}${path}`, init);
    const body = await response.text();
    seen.push(JSON.stringify([...response.headers]), body);
    return { status: response.status, headers: response.headers, body, json: () => JSON.parse(body) };
  };
  const own = () => relay.url;
  const signIn = async () => {
    const answer = await call('/admin/session', {
      method: 'POST',
      headers: { origin: own(), 'content-type': 'application/json' },
      body: JSON.stringify({ token: ADMIN_TOKEN }),
    });
    expect(answer.status).toBe(200);
    return /rlf_console=([^;]+)/.exec(answer.headers.get('set-cookie')!)![1]!;
  };
  const withCookie = (cookie: string, extra: Record<string, string> = {}) => ({ cookie: `rlf_console=${cookie}`, ...extra });
  const postLead = async (body: object) => {
    const answer = await call('/v1/sites/oak-grove/leads', {
      method: 'POST',
      headers: { origin: ORIGIN, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(answer.status).toBe(202);
    return answer.json().id as string;
  };

  it('signs in with the token into an HttpOnly, SameSite=Strict cookie (not Secure on loopback http), and out again', async () => {
    const answer = await call('/admin/session', {
      method: 'POST',
      headers: { origin: own(), 'content-type': 'application/json' },
      body: JSON.stringify({ token: ADMIN_TOKEN }),
    });
    expect(answer.status).toBe(200);
    const cookie = answer.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^rlf_console=[\w-]{22}\.\d+\.[\w-]{43}; Path=\/admin; Max-Age=28800; HttpOnly; SameSite=Strict$/);
    expect(answer.json().expires_at).toBeGreaterThan(Date.now() + 7.9 * 3_600_000);
    const form = await call('/admin/session', {
      method: 'POST',
      headers: { origin: own(), 'content-type': 'application/x-www-form-urlencoded' },
      body: `token=${encodeURIComponent(ADMIN_TOKEN)}`,
      redirect: 'manual',
    });
    expect([form.status, form.headers.get('location')]).toEqual([303, '/admin/']);
    const out = await call('/admin/session', { method: 'DELETE', headers: { origin: own() } });
    expect([out.status, out.headers.get('set-cookie')]).toEqual([204, 'rlf_console=; Path=/admin; Max-Age=0; HttpOnly; SameSite=Strict']);
  });

  // Only workerd's target is reached under a public https name (PUBLIC_HOST); Node's is loopback http.
  it.runIf(runtime === 'workerd')('sets Secure on the cookie over https, and takes that https origin', async () => {
    const response = await relay.fetchFromInternet('/admin/session', {
      method: 'POST',
      headers: { origin: PUBLIC_HOST, 'content-type': 'application/json' },
      body: JSON.stringify({ token: ADMIN_TOKEN }),
    });
    const text = await response.text();
    seen.push(text);
    expect(response.status).toBe(200);
    expect(response.headers.get('set-cookie')).toMatch(/; HttpOnly; SameSite=Strict; Secure$/);
    const refused = await relay.fetchFromInternet('/admin/session', {
      method: 'POST',
      headers: { origin: 'http://relay.example.com.evil.example', 'content-type': 'application/json' },
      body: JSON.stringify({ token: ADMIN_TOKEN }),
    });
    expect(refused.status).toBe(403);
  });

  it('refuses a wrong token, another origin, no origin, and a body that is neither JSON nor a form', async () => {
    const json = (origin: string | undefined, token: string, type = 'application/json') =>
      call('/admin/session', {
        method: 'POST',
        headers: { ...(origin ? { origin } : {}), 'content-type': type },
        body: JSON.stringify({ token }),
      });
    const wrong = await json(own(), 'adm_not_the_token_at_all');
    expect([wrong.status, wrong.json().error.code, wrong.headers.get('set-cookie')]).toEqual([401, 'unauthorized', null]);
    expect((await json('https://evil.example', ADMIN_TOKEN)).json().error.code).toBe('origin_not_allowed');
    expect((await json(undefined, ADMIN_TOKEN)).status).toBe(403);
    expect((await json(own(), ADMIN_TOKEN, 'text/plain')).json().error.code).toBe('unsupported_media_type');
  });

  it('refuses the API without a cookie, and with a forged, tampered or expired one', async () => {
    const good = await signIn();
    expect((await call('/admin/api/overview', { headers: withCookie(good) })).status).toBe(200);
    const [id, expiry] = good.split('.') as [string, string, string];
    const refused = [
      undefined,
      'garbage',
      `${id}.${expiry}.${'A'.repeat(43)}`, // forged signature
      `${id}.${Number(expiry) + 1000}.${good.split('.')[2]}`, // tampered expiry
      signedValue(Date.now() - 1000), // expired, signed with the real key
      signedValue(Date.now() + 3_600_000, 'sess_some_other_secret_0000'), // another key
    ];
    for (const cookie of refused) {
      const answer = await call('/admin/api/overview', { headers: cookie ? withCookie(cookie) : {} });
      expect([answer.status, answer.json().error.code]).toEqual([401, 'unauthorized']);
    }
    // A valid one signed with the real key is taken: the check is the signature and the expiry.
    expect((await call('/admin/api/overview', { headers: withCookie(signedValue(Date.now() + 60_000)) })).status).toBe(200);
    // A signed-in console asking for no such route is told so, not asked for the token.
    expect((await call('/admin/api/nope', { headers: withCookie(good) })).status).toBe(404);
    // Scripts use the token as Bearer.
    expect((await call('/admin/api/leads', { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).status).toBe(200);
    expect((await call('/admin/api/leads', { headers: { authorization: 'Bearer adm_wrong_wrong_wrong' } })).status).toBe(401);
  });

  it('shows a lead masked with its timeline, reveals it to a same-origin change only, and logs the reveal on the timeline', async () => {
    const cookie = await signIn();
    const id = await postLead({ ...VALID_LEAD, email_1: 'console.one@gmail.com' });
    const lead = async () => (await call(`/admin/api/leads/${id}`, { headers: withCookie(cookie) })).json();
    await expect.poll(async () => (await lead()).lead.status, { timeout: 15_000, interval: 100 }).toBe('confirmed');
    const { lead: shown, history } = await lead();
    expect(shown).toMatchObject({ id, site: 'oak-grove', name: 'Jane D.', email: 'c***@gmail.com', phone: '******0142' });
    expect(history.map((e: { type: string }) => e.type)).toEqual(['accepted', 'attempt', 'confirmed']);
    expect(history[1].detail).toMatchObject({ outcome: 'write_job', write: 'create' });

    const list = await call('/admin/api/leads?site=oak-grove&q=Console.One@gmail.com', { headers: withCookie(cookie) });
    expect(list.json().leads.map((l: { id: string }) => l.id)).toEqual([id]);
    expect(list.body).not.toContain('console.one@gmail.com');
    expect(list.body).not.toContain('5125550142');
    const byPhone = await call('/admin/api/leads?q=%2B1%20(512)%20555-0142', { headers: withCookie(cookie) });
    expect(byPhone.json().leads.map((l: { id: string }) => l.id)).toContain(id);

    const reveal = (headers: Record<string, string>) =>
      call(`/admin/api/leads/${id}/reveal`, { method: 'POST', headers: withCookie(cookie, headers) });
    expect([(await reveal({})).status, (await reveal({ origin: 'https://evil.example' })).json().error.code]).toEqual([
      403,
      'origin_not_allowed',
    ]);
    const revealed = await reveal({ origin: own() });
    expect(revealed.json()).toMatchObject({ id, contact: { email_1: 'console.one@gmail.com', phone_1: '5125550142', last_name: 'Doe' } });
    const after = (await lead()).history.at(-1);
    expect(after).toMatchObject({ type: 'revealed', detail: { by: expect.stringMatching(/^session:[\w-]{8}$/) } });

    const csv = await call('/admin/api/leads.csv?site=oak-grove', { headers: withCookie(cookie) });
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(csv.headers.get('x-contact-details')).toBe('masked');
    expect(csv.body.split('\r\n')[0]).toMatch(/^id,site,status,/);
    expect(csv.body).toContain('c***@gmail.com');
    expect(csv.body).not.toContain('console.one@gmail.com');
  });

  it('releases a held lead (it is sent), marks another as spam, and refuses either on a lead not held', async () => {
    const cookie = await signIn();
    const action = (id: string, what: string) =>
      call(`/admin/api/leads/${id}/${what}`, { method: 'POST', headers: withCookie(cookie, { origin: own() }) });
    const held = await postLead({ ...VALID_LEAD, email_1: 'held.one@gmail.com', meta: { trap: 'x' } });
    const spam = await postLead({ ...VALID_LEAD, email_1: 'held.two@gmail.com', meta: { trap: 'y' } });
    const held2 = (await call('/admin/api/leads?status=held', { headers: withCookie(cookie) }))
      .json()
      .leads.map((l: { id: string }) => l.id);
    expect(held2).toEqual(expect.arrayContaining([held, spam]));

    expect((await action(spam, 'spam')).json()).toEqual({ id: spam, status: 'held', error: 'marked_spam', tour: null });
    expect((await action(spam, 'release')).json().error.code).toBe('conflict');
    expect((await action(held, 'release')).json()).toMatchObject({ id: held, status: 'queued' });
    await expect
      .poll(async () => (await call(`/admin/api/leads/${held}`, { headers: withCookie(cookie) })).json().lead.status, {
        timeout: 15_000,
        interval: 100,
      })
      .toBe('confirmed');
    const types = (await call(`/admin/api/leads/${held}`, { headers: withCookie(cookie) }))
      .json()
      .history.map((e: { type: string }) => e.type);
    expect(types.slice(0, 3)).toEqual(['accepted', 'held', 'released']);
    expect(types.at(-1)).toBe('confirmed');
    expect((await action(held, 'retry')).json().error.code).toBe('conflict');
    expect((await action(held, 'spam')).status).toBe(409);
    expect((await action('ld_no_such_lead', 'reveal')).status).toBe(404);
  });

  it('answers the overview per site with Propexo state, and a cheap poll that says 304 while nothing changed', async () => {
    const cookie = await signIn();
    const overview = (await call('/admin/api/overview', { headers: withCookie(cookie) })).json();
    const site = overview.sites.find((s: { site: string }) => s.site === 'oak-grove');
    expect(site.today.accepted).toBeGreaterThanOrEqual(3);
    expect(site.today.confirmed).toBeGreaterThanOrEqual(2);
    expect(site.today.median_confirm_ms).toBeGreaterThanOrEqual(0);
    expect(overview.propexo).toMatchObject({ budget_per_minute: 100000, token_refused: false, backlog: expect.any(Number) });
    expect(overview.propexo.requests_by_outcome.ok).toBeGreaterThan(0);

    const first = await call('/admin/api/changes', { headers: withCookie(cookie) });
    const etag = first.headers.get('etag')!;
    expect(first.json().counts.confirmed).toBeGreaterThanOrEqual(2);
    expect((await call('/admin/api/changes', { headers: withCookie(cookie, { 'if-none-match': etag }) })).status).toBe(304);
    await postLead({ ...VALID_LEAD, email_1: 'changes.one@gmail.com' });
    expect((await call('/admin/api/changes', { headers: withCookie(cookie, { 'if-none-match': etag }) })).status).toBe(200);
  });

  it("serves the console's page and script to anyone under a strict CSP, and the sites' check (and a check now) to the cookie", async () => {
    const page = await call('/admin/');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    );
    // Nothing inline: one module script by URL, no <style>, no style attribute, no inline handler.
    expect(page.body).toContain('<script type="module" src="/admin/console.js"></script>');
    expect(page.body).not.toMatch(/<style|style=|<script>|\son\w+=/);
    const script = await call('/admin/console.js');
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(script.body).toContain('rlf-console');
    expect((await call('/admin')).body).toBe(page.body);

    expect((await call('/admin/api/sites')).status).toBe(401);
    const cookie = await signIn();
    const sites = (await call('/admin/api/sites', { headers: withCookie(cookie) })).json();
    expect(sites.sites.map((s: { site: string }) => s.site)).toEqual(['oak-grove']);

    // "Check sites now": a change, so the cookie needs the console's own origin.
    expect((await call('/admin/api/sites/check', { method: 'POST' })).status).toBe(401);
    const elsewhere = await call('/admin/api/sites/check', {
      method: 'POST',
      headers: withCookie(cookie, { origin: 'https://evil.example' }),
    });
    expect([elsewhere.status, JSON.parse(elsewhere.body).error.code]).toEqual([403, 'origin_not_allowed']);
    const checked = await call('/admin/api/sites/check', { method: 'POST', headers: withCookie(cookie, { origin: own() }) });
    expect(checked.status).toBe(200);
    expect(checked.json().sites).toEqual([expect.objectContaining({ site: 'oak-grove', status: 'ok', problems: [] })]);
    expect((await call('/admin/api/sites/check', { headers: withCookie(cookie) })).status).toBe(405);
  });

  it('serves /metrics in Prometheus text format behind its own token', async () => {
    expect((await call('/metrics')).status).toBe(401);
    expect((await call('/metrics', { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).status).toBe(401);
    const answer = await call('/metrics', { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(answer.body).toMatch(/^# HELP resman_leads /);
    expect(answer.body).toMatch(/^# HELP resman_tours /m);
    expect(answer.body).toMatch(/^resman_leads\{site="oak-grove",status="confirmed"\} [1-9]\d*$/m);
    expect(answer.body).toMatch(/^resman_oldest_queued_seconds\{site="oak-grove"\} [\d.]+$/m);
    expect(answer.body).toMatch(/^resman_propexo_requests_total\{outcome="ok"\} [1-9]\d*$/m);
    expect(answer.body).toMatch(/^resman_propexo_budget_use_ratio [\d.e-]+$/m);
    expect(answer.body).toMatch(/^resman_alerts_sent_total\{kind="alert"\} 0$/m);
    // Every line is a comment or a sample.
    for (const line of answer.body.trimEnd().split('\n')) expect(line).toMatch(/^(# (HELP|TYPE) \w+ .+|\w+(\{[^}]*\})? [-\d.e+]+)$/);
  });

  it('never answered with a token or a secret, nor a full contact detail outside a reveal', () => {
    const text = seen.join('\n');
    for (const secret of [TOKEN, ADMIN_TOKEN, SESSION_SECRET, METRICS_TOKEN]) expect(text).not.toContain(secret);
    const outsideReveals = seen.filter((s) => !s.includes('"contact":')).join('\n');
    expect(outsideReveals).not.toMatch(/console\.one@gmail\.com|held\.(one|two)@gmail\.com|5125550142/);
  });
});
