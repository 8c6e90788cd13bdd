/**
 * The Node entry over real HTTP on loopback, talking to the local Propexo sandbox over real HTTP.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { OUTBOX_FILE, openSqliteLeadStore } from '../../relay/outbox/store/sqlite.js';
import { ConfigError } from '../../relay/config/config-error.js';
import { createLogger } from '../../relay/lib/log.js';
import { startRelay, type RelayOverrides, type RunningRelay } from '../../relay/runtime/node/server.js';
import { SANDBOX_IDS, startSandbox, type RunningSandbox } from '../../sandbox/index.js';
import { freePort } from '../support/free-port.js';
import { checkedSink } from '../support/hygiene.js';
import { REALTIME_POLICY, TOKEN, VALID_LEAD } from './fixtures.js';

let sandbox: RunningSandbox;
let widgetDir: string;
const running: RunningRelay[] = [];

beforeAll(async () => {
  sandbox = await startSandbox({ token: TOKEN, writeDelayMs: 10, slowDownMs: 0, log: checkedSink() });
  widgetDir = await mkdtemp(join(tmpdir(), 'relay-widget-'));
  await mkdir(join(widgetDir, 'widget'));
  await writeFile(join(widgetDir, 'widget.js'), 'import "./widget/form-1a2b3c4d.js";');
  await writeFile(join(widgetDir, 'widget', 'form-1a2b3c4d.js'), 'export {};');
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.close()));
  sandbox.reset();
});
afterAll(async () => {
  await sandbox.close();
  await rm(widgetDir, { recursive: true, force: true });
});

async function relay(env: Record<string, string> = {}, overrides: RelayOverrides = {}) {
  const port = await freePort();
  const lines: string[] = [];
  const sites = {
    'oak-grove': {
      name: 'Oak Grove',
      ...SANDBOX_IDS,
      allowed_origins: ['http://localhost:{PORT}'],
      form_token: 'optional',
      limits: { per_ip: { max: 4, window_seconds: 600 }, per_ip_lookups: { max: 1_000_000, window_seconds: 60 } },
    },
  };
  const fullEnv = {
    PROPEXO_API_TOKEN: TOKEN,
    PROPEXO_BASE_URL: sandbox.url,
    SITES_JSON: JSON.stringify(sites),
    PORT: String(port),
    HOST: '127.0.0.1',
    UPSTREAM_TIMEOUT_MS: '300',
    WIDGET_DIR: widgetDir,
    DATA_DIR: await mkdtemp(join(tmpdir(), 'relay-data-')),
    ...env,
  };
  const logger = createLogger({ level: 'debug', secrets: [fullEnv.PROPEXO_API_TOKEN], sink: checkedSink(lines) });
  const r = await startRelay(fullEnv, { logger, policy: REALTIME_POLICY, ...overrides });
  running.push(r);
  const origin = `http://localhost:${port}`;
  const post = (body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${r.url}/v1/sites/oak-grove/leads`, {
      method: 'POST',
      headers: { origin, 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
  const statusOf = async (id: string) =>
    ((await (await fetch(`${r.url}/v1/sites/oak-grove/leads/${id}`, { headers: { origin } })).json()) as { status: string }).status;
  return { r, port, origin, lines, post, statusOf, env: fullEnv };
}

/** Delivery runs behind the 202: a lead's status is polled until it is confirmed (8 s at most). */
const confirmed = (statusOf: (id: string) => Promise<string>, id: string) =>
  expect.poll(() => statusOf(id), { timeout: 8_000, interval: 25, message: `lead ${id} confirmed` }).toBe('confirmed');

describe('startRelay over loopback with the sandbox', () => {
  it('accepts, then delivers and confirms a lead end to end, with the site’s ids and normalised fields', async () => {
    const { r, post, origin, lines, statusOf } = await relay();
    expect(r.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const health = await fetch(`${r.url}/healthz`);
    expect(await health.json()).toMatchObject({ ok: true, sites: { misconfigured: 0 } });

    const res = await post(VALID_LEAD, { 'idempotency-key': 'fill-0001-abcd' });
    expect(res.status).toBe(202);
    const body = (await res.json()) as { id: string; status: string };
    expect(body).toEqual({ id: expect.stringMatching(/^ld_[0-9a-f]{32}$/), status: 'queued' });
    expect(res.headers.get('access-control-allow-origin')).toBe(origin);

    await confirmed(statusOf, body.id);
    const leads = sandbox.leads();
    expect(leads).toHaveLength(1);
    expect(leads[0]!.body).toMatchObject({
      ...SANDBOX_IDS,
      first_name: 'Jane',
      last_name: 'Doe',
      email_1: 'jane.doe@gmail.com',
      phone_1: '5125550142',
      target_move_in_date: VALID_LEAD.target_move_in_date,
      desired_max_rent_in_cents: 150000,
    });
    expect((await r.store.get(body.id))!.created_record_id).toBe(leads[0]!.created_record_id);

    // A replay over HTTP answers the same lead and the sandbox sees nothing new.
    const again = await post(VALID_LEAD, { 'idempotency-key': 'fill-0001-abcd' });
    expect(await again.json()).toEqual({ id: body.id, status: 'confirmed', recorded_as: 'new_lead' });
    expect(sandbox.leads()).toHaveLength(1);

    const events = lines.map((l) => JSON.parse(l).event);
    expect(events).toEqual(expect.arrayContaining(['listening', 'lead.accepted', 'lead.sent', 'lead.confirmed']));
    expect(lines.join('\n')).not.toContain(TOKEN);
  });

  it('keeps accepted leads across a restart on the same DATA_DIR', async () => {
    const first = await relay({ PROPEXO_BASE_URL: 'http://127.0.0.1:9' }); // Propexo unreachable
    const { id } = (await (await first.post(VALID_LEAD)).json()) as { id: string };
    await first.r.close();
    running.splice(running.indexOf(first.r), 1);
    expect(sandbox.leads()).toHaveLength(0);

    const second = await relay({ DATA_DIR: first.env.DATA_DIR });
    await confirmed(second.statusOf, id);
    expect(sandbox.leads()).toHaveLength(1);
  });

  it('two relays on one DATA_DIR: both accept, one delivers, every lead reaches Propexo once', async () => {
    // A budget this test does not measure: at 2 requests a second, the site check at start and six
    // leads' lookups and creates leave the first lead's confirmation past the poll's 8 s.
    const unmetered = { policy: { ...REALTIME_POLICY, upstreamPerMinute: 1_000_000 } };
    const a = await relay({}, unmetered);
    const b = await relay({ DATA_DIR: a.env.DATA_DIR }, unmetered);
    await expect.poll(() => b.lines.some((l) => l.includes('"outbox.locked"')), { timeout: 8_000 }).toBe(true);
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      const to = i % 2 ? a : b;
      const res = await to.post({ ...VALID_LEAD, first_name: `Twin${i}`, email_1: `twin${i}@gmail.com` });
      expect(res.status).toBe(202);
      ids.push(((await res.json()) as { id: string }).id);
    }
    for (const id of ids) await confirmed(a.statusOf, id);
    // The first one stops; the second takes over the outbox.
    await a.r.close();
    running.splice(running.indexOf(a.r), 1);
    const late = (await (await b.post({ ...VALID_LEAD, first_name: 'Late', email_1: 'late@gmail.com' })).json()) as { id: string };
    await confirmed(b.statusOf, late.id);
    const names = sandbox.leads().map((l) => l.body.first_name);
    expect(names.sort()).toEqual(['Late', 'Twin0', 'Twin1', 'Twin2', 'Twin3', 'Twin4', 'Twin5']);
  });

  it('serves the widget from WIDGET_DIR', async () => {
    const { r } = await relay();
    const entry = await fetch(`${r.url}/widget.js`);
    expect(entry.status).toBe(200);
    expect(entry.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(entry.headers.get('access-control-allow-origin')).toBe('*');
    const chunk = await fetch(`${r.url}/widget/form-1a2b3c4d.js`);
    expect(chunk.headers.get('cache-control')).toContain('immutable');
    expect(await chunk.text()).toBe('export {};');
    expect((await fetch(`${r.url}/widget/..%2f..%2fetc%2fpasswd`)).status).toBe(404);
  });

  it('rides out sandbox faults: 503, reset, and a hang after Propexo took the lead, each delivered once', async () => {
    // A budget this test does not measure: each lead's lookup and in-doubt searches would queue behind 2 requests a second.
    const { post, statusOf } = await relay({}, { policy: { ...REALTIME_POLICY, upstreamPerMinute: 1_000_000 } });
    sandbox.injectFault({ kind: '503', path: '/v1/leads/resman' });
    sandbox.injectFault({ kind: 'reset', path: '/v1/leads/resman' });
    sandbox.injectFault({ kind: 'timeout_after_receive', path: '/v1/leads/resman', ms: 2000 });
    const ids: string[] = [];
    for (const name of ['Ana', 'Ben', 'Cy']) {
      const res = await post({ ...VALID_LEAD, first_name: name, email_1: `${name.toLowerCase()}@gmail.com` });
      expect(res.status).toBe(202);
      ids.push(((await res.json()) as { id: string }).id);
    }
    for (const id of ids) await confirmed(statusOf, id);
    expect(
      sandbox
        .leads()
        .map((l) => l.body.first_name)
        .sort(),
    ).toEqual(['Ana', 'Ben', 'Cy']);
  });

  it('a token Propexo refuses pauses delivery with one alert, keeps the lead queued, never echoes it', async () => {
    const wrong = 'ptx_wrong_token_abcdef123';
    // Propexo's answers to the relay's requests, as the relay received them (the first is the
    // lookup for a returning prospect that comes before each create).
    const refusals: number[] = [];
    const counting: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      refusals.push(res.status);
      return res;
    };
    const { r, post, lines, statusOf } = await relay({ PROPEXO_API_TOKEN: wrong }, { fetch: counting });
    const res = await post(VALID_LEAD);
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    const alerts = () => lines.map((l) => JSON.parse(l)).filter((l) => l.event === 'propexo.unauthorized');
    // Three refusals: the first, and one after each of two pauses (authPauseMs) since.
    await expect.poll(() => refusals.length, { timeout: 8_000 }).toBeGreaterThanOrEqual(3);
    expect(refusals.slice(0, 3)).toEqual([401, 401, 401]);
    expect(alerts()).toHaveLength(1);
    expect(alerts()[0]).toMatchObject({ level: 'error', alert: true, status: 401 });
    expect(await statusOf(id)).toBe('queued');
    expect(await r.store.get(id)).toMatchObject({ status: 'queued', error: 'unauthorized' });
    expect(r.deliverer.pausedUntil).toBeGreaterThan(0);
    expect(sandbox.leads()).toHaveLength(0);
    expect(lines.join('\n')).not.toContain(wrong);
  });

  it('limits per socket address, or per trusted header when configured', async () => {
    const plain = await relay();
    for (let i = 0; i < 4; i++) await plain.post({ first_name: 'x' }, { 'x-forwarded-for': `10.0.0.${i}` });
    expect((await plain.post({ first_name: 'x' }, { 'x-forwarded-for': '10.0.0.99' })).status).toBe(429);

    const proxied = await relay({ TRUSTED_IP_HEADER: 'x-forwarded-for' });
    for (let i = 0; i < 4; i++) await proxied.post({ first_name: 'x' }, { 'x-forwarded-for': '10.0.0.1' });
    expect((await proxied.post({ first_name: 'x' }, { 'x-forwarded-for': '10.0.0.1' })).status).toBe(429);
    expect((await proxied.post({ first_name: 'x' }, { 'x-forwarded-for': '10.0.0.2' })).status).toBe(400);
  });

  it('rejects a bad configuration with a ConfigError naming the key', async () => {
    await expect(startRelay({ PROPEXO_API_TOKEN: TOKEN, SITES_JSON: '{}', PORT: '1' })).rejects.toThrow(ConfigError);
    await expect(startRelay({ SITES_FILE: '/definitely/missing.json' })).rejects.toThrow(
      /SITES_FILE: cannot read \/definitely\/missing\.json/,
    );
  });
});

describe('node relay/runtime/node/server.ts run directly', () => {
  it('exits 1 with the config error on stderr', () => {
    const out = spawnSync(process.execPath, ['--import', 'tsx', 'relay/runtime/node/server.ts'], {
      cwd: join(import.meta.dirname, '../..'),
      env: { PATH: process.env.PATH, PROPEXO_API_TOKEN: TOKEN, PORT: 'eighty', SITES_JSON: '{"oak":{}}' },
      encoding: 'utf8',
      timeout: 15_000,
    });
    expect(out.status).toBe(1);
    expect(out.stderr).toContain('PORT: must be a whole number from 1 to 65535');
    expect(out.stderr).toContain('SITES_JSON: oak.name: required');
    expect(out.stderr + out.stdout).not.toContain(TOKEN);
  });
});

describe('the delivery lease in the outbox (no PID file)', () => {
  const LEASE = { ttlMs: 1_000, renewEveryMs: 100, pollMs: 100 };
  const outboxOf = (env: { DATA_DIR: string }) => join(env.DATA_DIR, OUTBOX_FILE);

  it('a restart with the same pid on the same DATA_DIR: the old lock file is ignored, a dead holder’s lease taken over at once', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'relay-data-'));
    // What a crashed relay of this very pid left: the old lock file, and a lease with a minute left.
    await writeFile(join(dataDir, 'outbox.lock'), `${process.pid}\n`);
    const seed = openSqliteLeadStore(join(dataDir, OUTBOX_FILE));
    const lapses = Date.now() + 60_000;
    expect((await seed.acquireLease('deliverer', 'dead-owner', Date.now(), 60_000)).held).toBe(true);
    await seed.close();

    // Nobody holds the OS lock beside the outbox (the kernel dropped the dead process's): its lease is taken over.
    const { post, statusOf, lines } = await relay({ DATA_DIR: dataDir }, { lease: LEASE });
    const { id } = (await (await post(VALID_LEAD)).json()) as { id: string };
    await confirmed(statusOf, id);
    expect(Date.now()).toBeLessThan(lapses);
    expect(sandbox.leads()).toHaveLength(1);
    const takeover = lines.map((l) => JSON.parse(l)).find((l) => l.event === 'outbox.lease_taken_over');
    expect(takeover).toMatchObject({ from: 'dead-owner', reason: 'holder_gone' });
  });

  it('a clean shutdown releases the lease: the next relay on the DATA_DIR delivers at once', async () => {
    const first = await relay({}, { lease: { ...LEASE, ttlMs: 60_000 } });
    await expect.poll(() => first.lines.some((l) => l.includes('"outbox.lease_acquired"'))).toBe(true);
    await first.r.close();
    running.splice(running.indexOf(first.r), 1);
    const check = openSqliteLeadStore(outboxOf(first.env));
    expect(await check.leaseHolder('deliverer')).toBeNull();
    await check.close();
    const second = await relay({ DATA_DIR: first.env.DATA_DIR }, { lease: { ...LEASE, ttlMs: 60_000 } });
    const { id } = (await (await second.post(VALID_LEAD)).json()) as { id: string };
    await confirmed(second.statusOf, id);
  });

  it('a lost lease stops delivery before the next send; the lead goes once the lease is back', async () => {
    // The outbox as a store handed in (as PostgreSQL's would be): no OS lock proves the other holder
    // gone, so only the lease and its fence decide. (On its own SQLite outbox a relay holds that lock,
    // and no other live process can hold the lease at all.)
    const dataDir = await mkdtemp(join(tmpdir(), 'relay-data-'));
    const store = openSqliteLeadStore(join(dataDir, OUTBOX_FILE));
    const { post, statusOf, lines, env, r } = await relay({ DATA_DIR: dataDir }, { lease: LEASE, store });
    await expect.poll(() => lines.some((l) => l.includes('"outbox.lease_acquired"'))).toBe(true);
    // Another process takes the lease over (as if this one had stalled past its expiry).
    const db = new Database(outboxOf(env));
    db.prepare(`UPDATE outbox_lease SET owner = 'usurper', expires_at = ?`).run(Date.now() + 60_000);
    // At once, before this relay's next renewal: its claim is fenced by the lease in the same statement.
    const { id } = (await (await post(VALID_LEAD)).json()) as { id: string };
    await expect.poll(() => lines.some((l) => l.includes('"outbox.lease_lost"'))).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(sandbox.leads()).toHaveLength(0);
    expect(await r.store.get(id)).toMatchObject({ status: 'queued', attempts: 0 });
    // The usurper goes away cleanly: this relay takes the lease again and delivers.
    db.prepare(`DELETE FROM outbox_lease WHERE owner = 'usurper'`).run();
    db.close();
    await confirmed(statusOf, id);
    expect(sandbox.leads()).toHaveLength(1);
  });
});
