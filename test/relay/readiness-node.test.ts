/**
 * `GET /readyz` on the Node relay over loopback: 503 while the outbox cannot write (a SQLite store
 * whose writes fail, as on a full disk, so every lead gets 503 too) and while Propexo refuses the
 * token (the sandbox, asked with a wrong one); 200 `{ ok: true }` otherwise. `/healthz` answers 200
 * throughout. The probe is a real write, made at most once per cache period however many ask.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../relay/lib/log.js';
import { openSqliteLeadStore } from '../../relay/outbox/store/sqlite.js';
import type { LeadStore } from '../../relay/outbox/store/types.js';
import { startRelay, type RelayOverrides, type RunningRelay } from '../../relay/runtime/node/server.js';
import { SANDBOX_IDS, startSandbox, type RunningSandbox } from '../../sandbox/index.js';
import { freePort } from '../support/free-port.js';
import { checkedSink } from '../support/hygiene.js';
import { REALTIME_POLICY, TOKEN, VALID_LEAD } from './fixtures.js';

const WRONG_TOKEN = 'ptx_wrong_token_abcdef123'; // registered in test/support/hygiene.ts
const ORIGIN = 'https://www.oakgrove.example';
const WRITES = new Set(['accept', 'update', 'acquireLease', 'releaseLease', 'purgeConfirmed']);

let sandbox: RunningSandbox;
let root: string;
const running: RunningRelay[] = [];

beforeAll(async () => {
  sandbox = await startSandbox({ token: TOKEN, writeDelayMs: 10, slowDownMs: 0, log: checkedSink() });
  root = await mkdtemp(join(tmpdir(), 'relay-readiness-'));
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.close()));
  sandbox.reset();
});
afterAll(async () => {
  await sandbox?.close();
  await rm(root, { recursive: true, force: true });
});

async function relay(name: string, env: Record<string, string> = {}, overrides: RelayOverrides = {}) {
  const lines: string[] = [];
  const sites = { 'oak-grove': { name: 'Oak Grove', ...SANDBOX_IDS, allowed_origins: [ORIGIN], form_token: 'optional' } };
  const fullEnv = {
    PROPEXO_API_TOKEN: TOKEN,
    PROPEXO_BASE_URL: sandbox.url,
    SITES_JSON: JSON.stringify(sites),
    PORT: String(await freePort()),
    HOST: '127.0.0.1',
    UPSTREAM_TIMEOUT_MS: '300',
    DATA_DIR: join(root, name),
    WIDGET_DIR: root,
    ...env,
  };
  const logger = createLogger({ level: 'debug', secrets: [fullEnv.PROPEXO_API_TOKEN], sink: checkedSink(lines) });
  const r = await startRelay(fullEnv, { logger, policy: REALTIME_POLICY, ...overrides });
  running.push(r);
  const get = async (path: string) => {
    const res = await fetch(`${r.url}${path}`);
    return { status: res.status, body: (await res.json()) as unknown };
  };
  const post = (body: unknown) =>
    fetch(`${r.url}/v1/sites/oak-grove/leads`, {
      method: 'POST',
      headers: { origin: ORIGIN, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }).then((res) => res.status);
  const logged = (event: string) => lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.event === event);
  return { r, get, post, logged };
}

/** A SQLite outbox whose writes fail while `full` is set, as on a full disk; reads go on. Counts readiness probes. */
function diskThatFills(path: string) {
  const real = openSqliteLeadStore(path);
  const state = { full: false, probes: 0 };
  const store = new Proxy(real, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (prop === 'acquireLease' && args[0] === 'readiness_probe') state.probes++;
        if (state.full && WRITES.has(String(prop))) {
          return Promise.reject(Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' }));
        }
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  }) as LeadStore;
  return { store, state };
}

const person = (n: string) => ({ ...VALID_LEAD, first_name: n, email_1: `${n.toLowerCase()}@gmail.com` });

describe('GET /readyz on Node', () => {
  it('503 store_unwritable while the outbox cannot write (and leads get 503), ready again once it can; /healthz 200 throughout', async () => {
    const disk = diskThatFills(join(root, 'full.sqlite'));
    const { get, post, logged } = await relay('full', {}, { store: disk.store, readinessCacheMs: 0 });
    expect(await get('/readyz')).toEqual({ status: 200, body: { ok: true } });
    expect(await post(person('Ann'))).toBe(202);

    disk.state.full = true;
    expect(await post(person('Bob'))).toBe(503);
    expect(await get('/readyz')).toEqual({ status: 503, body: { ok: false, reasons: ['store_unwritable'] } });
    expect(await get('/healthz')).toMatchObject({ status: 200, body: { ok: true } });

    disk.state.full = false;
    expect(await get('/readyz')).toEqual({ status: 200, body: { ok: true } });
    expect(await post(person('Bob'))).toBe(202);
    expect(logged('readiness.not_ready')).toMatchObject([
      { level: 'warn', reasons: ['store_unwritable'], error: { message: 'database or disk is full' } },
    ]);
    expect(logged('readiness.ready')).toHaveLength(1);
  });

  it('writes its probe into the outbox, once for many questions', async () => {
    const path = join(root, 'probe.sqlite');
    const disk = diskThatFills(path);
    const { get } = await relay('probe', {}, { store: disk.store });
    const answers = await Promise.all(Array.from({ length: 50 }, () => get('/readyz')));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    // The default cache period is 5 s: fifty questions within it cost one write.
    expect(disk.state.probes).toBe(1);
    const db = new Database(path, { readonly: true });
    try {
      expect(db.prepare('SELECT name FROM outbox_lease').all()).toContainEqual({ name: 'readiness_probe' });
    } finally {
      db.close();
    }
  });

  it('503 propexo_token_refused while Propexo refuses the token; /healthz 200', async () => {
    const { get, post } = await relay('refused', { PROPEXO_API_TOKEN: WRONG_TOKEN });
    expect(await get('/readyz')).toEqual({ status: 200, body: { ok: true } });
    // Accepted and stored: delivery then meets the refusal.
    expect(await post(person('Cy'))).toBe(202);
    await expect.poll(async () => (await get('/readyz')).status, { timeout: 8_000, interval: 50 }).toBe(503);
    expect(await get('/readyz')).toEqual({ status: 503, body: { ok: false, reasons: ['propexo_token_refused'] } });
    expect(await get('/healthz')).toMatchObject({ status: 200, body: { ok: true } });
    expect(sandbox.leads()).toHaveLength(0);
  });

  it('a relay that delivers to Propexo is ready, before and after', async () => {
    const { get, post } = await relay('healthy');
    expect(await get('/readyz')).toEqual({ status: 200, body: { ok: true } });
    expect(await post(person('Dee'))).toBe(202);
    await expect.poll(() => sandbox.leads().length, { timeout: 8_000, interval: 25 }).toBe(1);
    expect(await get('/readyz')).toEqual({ status: 200, body: { ok: true } });
  });
});
