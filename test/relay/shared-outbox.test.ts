/**
 * Two Node relays, each with its own DATA_DIR, sharing one PostgreSQL outbox (DATABASE_URL) behind a
 * round-robin proxy, delivering to the sandbox: a widget retry that reaches the other instance with
 * the same Idempotency-Key is the same lead, the same content under two keys is deduplicated across
 * instances, one instance at a time holds the delivery lease, and every lead reaches Propexo once.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../relay/lib/log.js';
import { startRelay, type RunningRelay } from '../../relay/runtime/node/server.js';
import { SANDBOX_IDS, startSandbox, type RunningSandbox } from '../../sandbox/index.js';
import { freePort } from '../support/free-port.js';
import { checkedSink } from '../support/hygiene.js';
import { REALTIME_POLICY, TOKEN, VALID_LEAD } from './fixtures.js';
import { startPostgres, type TestPostgres } from './support/postgres.js';

const ORIGIN = 'https://oakgrove.example';
let postgres: TestPostgres;
let sandbox: RunningSandbox;
const dirs: string[] = [];
const relays: { r: RunningRelay; lines: string[] }[] = [];
let proxy: { url: string; server: Server; hits: string[]; dropNextResponse(): void };

/** A loopback proxy that sends each request to the next backend in turn; it can lose one answer on its way back. */
async function startProxy(backends: string[]): Promise<typeof proxy> {
  let next = 0;
  let drop = false;
  const hits: string[] = [];
  const server = createServer((req, res) => {
    const target = new URL(req.url ?? '/', backends[next++ % backends.length]);
    hits.push(target.origin);
    const losing = drop;
    drop = false;
    const upstream = request(target, { method: req.method, headers: req.headers }, (answer) => {
      if (losing) {
        // The relay answered, the widget never hears it (a dropped connection): it will retry.
        answer.resume();
        answer.once('end', () => req.socket.destroy());
        return;
      }
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.once('error', () => req.socket.destroy());
    req.pipe(upstream);
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${port}`, server, hits, dropNextResponse: () => (drop = true) };
}

async function startInstance(databaseUrl: string) {
  const port = await freePort();
  const dataDir = await mkdtemp(join(tmpdir(), 'relay-data-'));
  dirs.push(dataDir);
  const sites = {
    'oak-grove': {
      name: 'Oak Grove',
      ...SANDBOX_IDS,
      allowed_origins: [ORIGIN],
      form_token: 'optional',
      limits: { per_ip: { max: 1000, window_seconds: 600 }, per_ip_lookups: { max: 1_000_000, window_seconds: 60 } },
    },
  };
  const env = {
    PROPEXO_API_TOKEN: TOKEN,
    PROPEXO_BASE_URL: sandbox.url,
    SITES_JSON: JSON.stringify(sites),
    PORT: String(port),
    HOST: '127.0.0.1',
    UPSTREAM_TIMEOUT_MS: '300',
    DATA_DIR: dataDir,
    DATABASE_URL: databaseUrl,
  };
  const lines: string[] = [];
  const logger = createLogger({ level: 'debug', secrets: [TOKEN], sink: checkedSink(lines) });
  const r = await startRelay(env, { logger, policy: REALTIME_POLICY, lease: { ttlMs: 1_000, renewEveryMs: 100, pollMs: 100 } });
  relays.push({ r, lines });
  return { r, lines };
}

const post = (body: unknown, key?: string) =>
  fetch(`${proxy.url}/v1/sites/oak-grove/leads`, {
    method: 'POST',
    headers: { origin: ORIGIN, 'content-type': 'application/json', ...(key ? { 'idempotency-key': key } : {}) },
    body: JSON.stringify(body),
  });
const idOf = async (res: Response) => ((await res.json()) as { id: string }).id;
const statusOf = async (id: string) =>
  ((await (await fetch(`${proxy.url}/v1/sites/oak-grove/leads/${id}`, { headers: { origin: ORIGIN } })).json()) as { status: string })
    .status;
const confirmed = (id: string) => expect.poll(() => statusOf(id), { timeout: 10_000, interval: 25 }).toBe('confirmed');
const holders = () => relays.filter(({ lines }) => lines.filter((l) => l.includes('"outbox.lease_acquired"')).length > 0);

beforeAll(async () => {
  postgres = await startPostgres();
  sandbox = await startSandbox({ token: TOKEN, writeDelayMs: 10, slowDownMs: 0, log: checkedSink() });
  const databaseUrl = await postgres.createDatabase();
  const a = await startInstance(databaseUrl);
  const b = await startInstance(databaseUrl);
  proxy = await startProxy([a.r.url, b.r.url]);
}, 60_000);

afterAll(async () => {
  await Promise.all(relays.splice(0).map(({ r }) => r.close()));
  await new Promise((resolve) => proxy?.server.close(resolve));
  await sandbox?.close();
  await postgres?.stop();
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe('two relays on one PostgreSQL outbox behind a round-robin proxy', () => {
  it('a widget retry that reaches the other instance (same Idempotency-Key) is one lead and one guest card', async () => {
    const key = 'fill-4f1c2a9e-cross-instance';
    proxy.dropNextResponse();
    await expect(post(VALID_LEAD, key)).rejects.toThrow(); // stored by one instance, the answer lost
    const retry = await post(VALID_LEAD, key); // the widget's retry, to the other instance
    expect(retry.status).toBeLessThan(300);
    const id = await idOf(retry);
    expect(new Set(proxy.hits.slice(-2)).size).toBe(2); // really two instances
    await confirmed(id);
    // And once more, later, through either: still the same lead.
    expect(await idOf(await post(VALID_LEAD, key))).toBe(id);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const cards = sandbox.leads().filter((l) => l.body.email_1 === 'jane.doe@gmail.com');
    expect(cards).toHaveLength(1);
  });

  it('the same key sent to both instances at once, and the same content under two keys, are one lead each', async () => {
    const racing = { ...VALID_LEAD, first_name: 'Racer', email_1: 'racer@gmail.com', phone_1: '5125550111' };
    const [x, y] = await Promise.all([post(racing, 'fill-race-0001'), post(racing, 'fill-race-0001')]);
    const raceId = await idOf(x);
    expect(await idOf(y)).toBe(raceId);
    const twin = { ...VALID_LEAD, first_name: 'Twin', email_1: 'twin@gmail.com', phone_1: '5125550122' };
    const [p, q] = await Promise.all([post(twin, 'fill-twin-aaaa'), post(twin, 'fill-twin-bbbb')]);
    const twinId = await idOf(p);
    expect(await idOf(q)).toBe(twinId);
    await confirmed(raceId);
    await confirmed(twinId);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(sandbox.leads().filter((l) => l.body.first_name === 'Racer')).toHaveLength(1);
    expect(sandbox.leads().filter((l) => l.body.first_name === 'Twin')).toHaveLength(1);
  });

  it('one instance delivers at a time; when it stops, the other takes the lease and every lead still goes once', async () => {
    expect(holders()).toHaveLength(1);
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      ids.push(await idOf(await post({ ...VALID_LEAD, first_name: `Many${i}`, email_1: `many${i}@gmail.com`, phone_1: `51255502${i}0` })));
    }
    for (const id of ids) await confirmed(id);
    const holder = holders()[0]!;
    await holder.r.close();
    relays.splice(relays.indexOf(holder), 1);
    const other = relays[0]!;
    const late = await fetch(`${other.r.url}/v1/sites/oak-grove/leads`, {
      method: 'POST',
      headers: { origin: ORIGIN, 'content-type': 'application/json' },
      body: JSON.stringify({ ...VALID_LEAD, first_name: 'Late', email_1: 'late@gmail.com', phone_1: '5125550199' }),
    });
    const lateId = await idOf(late);
    await expect
      .poll(
        async () =>
          (
            (await (await fetch(`${other.r.url}/v1/sites/oak-grove/leads/${lateId}`, { headers: { origin: ORIGIN } })).json()) as {
              status: string;
            }
          ).status,
        {
          timeout: 10_000,
        },
      )
      .toBe('confirmed');
    expect(other.lines.some((l) => l.includes('"outbox.lease_acquired"'))).toBe(true);
    const names = sandbox.leads().map((l) => l.body.first_name as string);
    for (const name of ['Many0', 'Many1', 'Many2', 'Many3', 'Many4', 'Many5', 'Late'])
      expect(names.filter((n) => n === name)).toHaveLength(1);
  });
});
