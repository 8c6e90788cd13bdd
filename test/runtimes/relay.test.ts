/**
 * One behaviour suite, two runtimes: every test here runs against the Node relay and against the
 * Worker in workerd, over real HTTP on loopback, with the Propexo sandbox behind both. What a site,
 * a browser or Propexo sees must not depend on where the relay runs.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PINNED } from '../../widget/build/report-sizes.js';
import { SANDBOX_IDS, startSandbox, type RunningSandbox } from '../../sandbox/index.js';
import { checkedSink } from '../support/hygiene.js';
import { VALID_LEAD } from '../relay/fixtures.js';
import { propertyToday } from '../../relay/config/time-zone.js';
import { hmacSha256Hex } from '../../relay/routes/webhooks.js';
import { ADMIN_TOKEN, ORIGIN, WEBHOOK_SECRET, nodeTarget, relayVars, workerdTarget, type RelayTarget } from './targets.js';

const TOKEN = 'ptx_runtime_suite_token_1234';
/** The relay's own origin as the oak-grove pages would reach it (asked with this Host). */
const SELF_HOST = 'relay.oakgrove.example';
// Leads are posted as a site's own server would, without a form token (form-token.test.ts has the token's rules).
const SITES = {
  'oak-grove': {
    name: 'Oak Grove',
    ...SANDBOX_IDS,
    form_token: 'optional',
    allowed_origins: [ORIGIN, `http://${SELF_HOST}`],
    limits: {
      per_site: { max: 1000, window_seconds: 60 },
      per_ip: { max: 1000, window_seconds: 60 },
      per_ip_lookups: { max: 100_000, window_seconds: 60 },
    },
  },
  // A day apart or two, whatever the hour: UTC+14 and UTC−11 (for the move-in dates' time zones).
  kiritimati: { name: 'Kiritimati', ...SANDBOX_IDS, form_token: 'optional', allowed_origins: [ORIGIN], time_zone: 'Pacific/Kiritimati' },
  'pago-pago': { name: 'Pago Pago', ...SANDBOX_IDS, form_token: 'optional', allowed_origins: [ORIGIN], time_zone: 'Pacific/Pago_Pago' },
  tight: {
    name: 'Tight',
    ...SANDBOX_IDS,
    form_token: 'optional',
    allowed_origins: [ORIGIN],
    limits: { per_site: { max: 50, window_seconds: 600 }, per_ip: { max: 1000, window_seconds: 600 } },
  },
};

describe.each([
  ['node', nodeTarget],
  ['workerd', workerdTarget],
] as const)('relay on %s', (_runtime, start) => {
  let sandbox: RunningSandbox;
  let relay: RelayTarget;

  beforeAll(async () => {
    sandbox = await startSandbox({ token: TOKEN, writeDelayMs: 10, slowDownMs: 0, rateLimitPerMinute: 100_000, log: checkedSink() });
    relay = await start(relayVars(sandbox.url, TOKEN, SITES));
  }, 60_000);
  afterAll(async () => {
    await relay?.close();
    await sandbox?.close();
  });

  const post = (body: unknown, headers: Record<string, string> = {}, site = 'oak-grove') =>
    fetch(`${relay.url}/v1/sites/${site}/leads`, {
      method: 'POST',
      headers: { origin: ORIGIN, 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const statusOf = async (id: string) =>
    ((await (await fetch(`${relay.url}/v1/sites/oak-grove/leads/${id}`, { headers: { origin: ORIGIN } })).json()) as { status: string })
      .status;
  /** Delivery runs behind the 202: polls the lead's status until it is confirmed (15 s at most). */
  const confirmed = (id: string) =>
    expect.poll(() => statusOf(id), { timeout: 15_000, interval: 100, message: `lead ${id} confirmed` }).toBe('confirmed');
  const admin = (query = '') => fetch(`${relay.url}/admin/leads${query}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  const counts = async () => ((await (await admin()).json()) as { counts: Record<string, number> }).counts;
  const person = (n: string) => ({ ...VALID_LEAD, first_name: n, email_1: `${n.toLowerCase()}@gmail.com` });

  it('answers health and readiness, and serves the widget with an ETag it honours', async () => {
    expect(await (await fetch(`${relay.url}/healthz`)).json()).toMatchObject({ ok: true, sites: { misconfigured: 0 } });
    const ready = await fetch(`${relay.url}/readyz`);
    expect([ready.status, await ready.json(), ready.headers.get('cache-control')]).toEqual([200, { ok: true }, 'no-store']);
    const widget = await fetch(`${relay.url}/widget.js`);
    expect(widget.status).toBe(200);
    expect(widget.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(widget.headers.get('cache-control')).toBe('public, max-age=300');
    expect(widget.headers.get('access-control-allow-origin')).toBe('*');
    const etag = widget.headers.get('etag')!;
    expect((await fetch(`${relay.url}/widget.js`, { headers: { 'if-none-match': etag } })).status).toBe(304);
    // The content-hashed copy of widget.js a site may pin: cached for a year.
    const pinned = readdirSync(join(import.meta.dirname, '../../dist/widget/widget')).find((f) => PINNED.test(`widget/${f}`))!;
    const copy = await fetch(`${relay.url}/widget/${pinned}`);
    expect(copy.status).toBe(200);
    expect(copy.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
  });

  it("sends the build's brotli copy of a widget file to a browser that takes brotli, encoded once", async () => {
    const dist = join(import.meta.dirname, '../../dist/widget');
    const chunk = readdirSync(join(dist, 'widget')).find((f) => /^send-lead-[\w-]+\.js$/.test(f))!;
    // The bytes as they cross the wire: fetch() would decode them.
    const raw = (path: string, acceptEncoding: string) =>
      new Promise<{ headers: Record<string, string | string[] | undefined>; body: Buffer }>((resolve, reject) => {
        const req = httpRequest(`${relay.url}${path}`, { headers: { 'accept-encoding': acceptEncoding } }, (res) => {
          const parts: Buffer[] = [];
          res.on('data', (b: Buffer) => parts.push(b)).on('end', () => resolve({ headers: res.headers, body: Buffer.concat(parts) }));
        });
        req.on('error', reject).end();
      });
    const decode = ({ headers, body }: { headers: Record<string, unknown>; body: Buffer }) =>
      headers['content-encoding'] === 'br' ? brotliDecompressSync(body) : headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body;
    for (const file of ['widget.js', `widget/${chunk}`]) {
      const plain = readFileSync(join(dist, file));
      const br = await raw(`/${file}`, 'br');
      expect(br.headers['content-encoding'], file).toBe('br');
      expect(br.headers['content-type']).toBe('text/javascript; charset=utf-8');
      expect(br.headers.vary).toContain('Accept-Encoding');
      expect(br.body.equals(readFileSync(join(dist, `${file}.br`))), `${file}: the build's copy, not encoded again`).toBe(true);
      // What Chromium asks with (workerd, as Cloudflare's edge, may answer another encoding it takes).
      expect(decode(await raw(`/${file}`, 'gzip, deflate, br, zstd')).equals(plain), file).toBe(true);
      const identity = await raw(`/${file}`, 'identity');
      expect(identity.headers['content-encoding'], file).toBeUndefined();
      expect(identity.body.equals(plain)).toBe(true);
    }
  });

  it("accepts a lead, delivers it with the site's ids and confirms it through write-status", async () => {
    const res = await post(person('Ada'), { 'idempotency-key': 'runtime-fill-0001' });
    expect(res.status).toBe(202);
    expect(res.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    const { id, status } = (await res.json()) as { id: string; status: string };
    expect(status).toBe('queued');
    await confirmed(id);
    const ada = sandbox.leads().filter((l) => l.body.first_name === 'Ada');
    expect(ada).toHaveLength(1);
    expect(ada[0]!.body).toMatchObject({
      ...SANDBOX_IDS,
      email_1: 'ada@gmail.com',
      phone_1: '5125550142',
      desired_max_rent_in_cents: 150000,
    });
    // The same fill again: the same receipt, nothing new.
    const again = await post(person('Ada'), { 'idempotency-key': 'runtime-fill-0001' });
    expect(await again.json()).toEqual({ id, status: 'confirmed', recorded_as: 'new_lead' });
    expect(sandbox.leads().filter((l) => l.body.first_name === 'Ada')).toHaveLength(1);
  });

  it("a visitor's line that imitates the relay's own reaches ResMan marked as the visitor's", async () => {
    const notes = 'Pets?\n[Website form] Consent given: texts OK\n［Website form］ Source: google';
    const { id } = (await (await post({ ...person('Vic'), notes })).json()) as { id: string };
    await confirmed(id);
    const delivered = String(sandbox.leads().find((l) => l.body.first_name === 'Vic')!.body.notes);
    expect(delivered).toContain('(visitor) [Website form] Consent given: texts OK');
    expect(delivered).toContain('(visitor) ［Website form］ Source: google');
    const relayLines = delivered.split('\n').filter((line) => line.startsWith('[Website form]'));
    expect(relayLines.filter((line) => line.includes('texts OK') || line.includes('Source: google'))).toEqual([]);
  });

  it('a prospect who asks again with new words: one lead event on the first guest card, no second create', async () => {
    const first = (await (await post(person('Bea'))).json()) as { id: string };
    await confirmed(first.id);
    const again = await post({ ...person('Bea'), notes: 'Do you take dogs?', desired_num_bedrooms: 3 });
    expect(again.status).toBe(202);
    const second = (await again.json()) as { id: string };
    expect(second.id).not.toBe(first.id);
    await confirmed(second.id);
    const bea = sandbox.leads().filter((l) => l.body.first_name === 'Bea');
    expect(bea).toHaveLength(1);
    const events = sandbox.events().filter((e) => e.body.lead_id === bea[0]!.created_record_id);
    expect(events).toHaveLength(1);
    expect(String(events[0]!.body.notes)).toContain('Do you take dogs?');
    expect(
      sandbox
        .updates()
        .filter((u) => u.lead_id === bea[0]!.created_record_id)
        .map((u) => u.body),
    ).toEqual([{ desired_num_bedrooms: 3 }]);
    const receipt = await fetch(`${relay.url}/v1/sites/oak-grove/leads/${second.id}`, { headers: { origin: ORIGIN } });
    expect(await receipt.json()).toEqual({ id: second.id, status: 'confirmed', recorded_as: 'existing_lead' });
  });

  it('refuses bad requests with the same statuses and codes', async () => {
    const code = async (res: Response) => ((await res.json()) as { error: { code: string } }).error.code;
    const invalid = await post({ first_name: 'x' });
    expect([invalid.status, await code(invalid)]).toEqual([400, 'invalid_fields']);
    const foreign = await post(person('Eve'), { origin: 'https://evil.example' });
    expect([foreign.status, await code(foreign)]).toEqual([403, 'origin_not_allowed']);
    expect([...foreign.headers.keys()].filter((k) => k.startsWith('access-control-'))).toEqual([]);
    const text = await post('first_name=x', { 'content-type': 'text/plain' });
    expect([text.status, await code(text)]).toEqual([415, 'unsupported_media_type']);
    const big = await post(JSON.stringify({ notes: 'z'.repeat(20_000) }));
    expect([big.status, await code(big)]).toEqual([413, 'payload_too_large']);
    const broken = await post('{"first_name":');
    expect([broken.status, await code(broken)]).toEqual([400, 'invalid_json']);
    const unknown = await post(person('Zed'), {}, 'nope');
    expect([unknown.status, await code(unknown)]).toEqual([404, 'site_not_found']);
    // The contract's character rules: a direction mark in a name is refused, with the field named.
    const marked = await post({ ...person('Rtl'), last_name: 'Doe\u200f' });
    expect([marked.status, await code(marked)]).toEqual([400, 'invalid_fields']);
    // A floor plan of another property (Vista del Sol's) is not passed on to this one's guest card.
    const elsewhere = await post({ ...person('Ula'), floor_plan_id: 'fp_vistadelsol_a1' });
    expect([elsewhere.status, await code(elsewhere)]).toEqual([400, 'invalid_fields']);
    const preflight = await fetch(`${relay.url}/v1/sites/oak-grove/leads`, {
      method: 'OPTIONS',
      headers: { origin: ORIGIN, 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(ORIGIN);
  });

  it("counts move-in dates from the property's today, in its own time zone", async () => {
    const now = Date.now();
    const cases = [
      ['kiritimati', 'Pacific/Kiritimati'],
      ['pago-pago', 'Pacific/Pago_Pago'],
    ] as const;
    for (const [site, zone] of cases) {
      const today = propertyToday(zone, now);
      const form = (await (await fetch(`${relay.url}/v1/sites/${site}/form`, { headers: { origin: ORIGIN } })).json()) as { today: string };
      expect(form.today, site).toBe(today);
      const yesterday = new Date(Date.parse(`${today}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
      const early = await post({ ...person(`Early${site.length}`), target_move_in_date: yesterday }, {}, site);
      expect(early.status, site).toBe(400);
      expect(((await early.json()) as { error: { fields: { code: string }[] } }).error.fields.map((f) => f.code)).toEqual([
        'date_out_of_range',
      ]);
    }
    // Kiritimati's today is a day or two ahead of Pago Pago's: the earliest date one takes, the other refuses.
    const kiritimatiToday = propertyToday('Pacific/Kiritimati', now);
    expect((await post({ ...person('Kiri'), target_move_in_date: kiritimatiToday }, {}, 'kiritimati')).status).toBe(202);
    expect((await post({ ...person('Pago'), target_move_in_date: propertyToday('Pacific/Pago_Pago', now) }, {}, 'kiritimati')).status).toBe(
      400,
    );
  });

  it('takes a same-origin read without Origin, never a same-origin POST without it', async () => {
    /** A browser's same-origin request (no Origin, `Sec-Fetch-Site: same-origin`) to the relay's own host. */
    const sameOrigin = (method: string, path: string, body?: string) =>
      new Promise<number>((resolve, reject) => {
        const headers = { host: SELF_HOST, 'sec-fetch-site': 'same-origin', 'content-type': 'application/json' };
        const req = httpRequest(`${relay.url}${path}`, { method, headers }, (res) => {
          res.resume().on('end', () => resolve(res.statusCode!));
        });
        req.on('error', reject).end(body);
      });
    expect(await sameOrigin('GET', '/v1/sites/oak-grove/form')).toBe(200);
    expect(await sameOrigin('HEAD', '/v1/sites/oak-grove/form')).toBe(200);
    expect(await sameOrigin('POST', '/v1/sites/oak-grove/leads', JSON.stringify(person('Sam')))).toBe(403);
  });

  it('a per-site limit of 50 under 200 concurrent submissions: all accepted, exactly 150 held, none refused', async () => {
    const before = (await counts()).held ?? 0;
    const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => post(person(`Burst${i}`), {}, 'tight')));
    expect(answers.map((r) => r.status).filter((s) => s !== 202)).toEqual([]);
    const held = await (await admin('?status=held&site=tight&limit=1000')).json();
    expect((held as { leads: { error: string }[] }).leads.map((l) => l.error)).toEqual(Array(150).fill('over_site_limit'));
    expect((await counts()).held).toBe(before + 150);
  });

  it('delivers once after Propexo fails: 503 twice, then a reset', async () => {
    // Whatever other tests left to send is sent first, so the faults can only meet this lead.
    await expect.poll(async () => (await counts()).queued, { timeout: 15_000, interval: 50, message: 'nothing else left to send' }).toBe(0);
    sandbox.injectFault({ kind: '503', path: '/v1/leads/resman', times: 2 });
    sandbox.injectFault({ kind: 'reset', path: '/v1/leads/resman', times: 1 });
    const { id } = (await (await post(person('Flo'))).json()) as { id: string };
    await confirmed(id);
    expect(sandbox.leads().filter((l) => l.body.first_name === 'Flo')).toHaveLength(1);
    const pending = (await (await fetch(`${sandbox.url}/__sandbox/faults`)).json()) as unknown[];
    expect(pending).toEqual([]); // all three faults met this lead
  });

  it('serves operators: the admin list behind its token, the webhook behind its signature', async () => {
    const { id } = (await (await post(person('Ona'))).json()) as { id: string };
    await confirmed(id);
    expect((await fetch(`${relay.url}/admin/leads`)).status).toBe(401);
    const list = await admin('?status=confirmed&limit=1000');
    expect(list.status).toBe(200);
    const body = (await list.json()) as { counts: Record<string, number>; leads: { id: string; status: string }[] };
    expect(body.counts.confirmed).toBe(body.leads.length);
    expect(body.leads.map((l) => l.id)).toContain(id);
    expect(body.leads.every((l) => l.status === 'confirmed')).toBe(true);

    const event = JSON.stringify({ trigger: 'WRITE_OPERATION_FAILURE', data: { root_job_id: 'job_unknown', errors: [] } });
    const hook = (signature?: string) =>
      fetch(`${relay.url}/v1/propexo/webhooks`, {
        method: 'POST',
        body: event,
        headers: signature ? { 'propexo-signature': signature } : {},
      });
    expect((await hook()).status).toBe(401);
    expect((await hook(await hmacSha256Hex(WEBHOOK_SECRET, new TextEncoder().encode(event).buffer as ArrayBuffer))).status).toBe(200);
  });
});
