/**
 * Issue 3's Concurrency test: 500 concurrent valid submissions against a per-site limit of 50 are all
 * accepted (202), and exactly 50 of them go to Propexo: the other 450 are held for an operator
 * (issue 12: a site's limit holds leads, it never refuses a prospect). Whether they are spread over
 * two relay PROCESSES sharing one Redis or sent to one process with the in-memory limiter. Real HTTP over loopback; the Propexo sandbox in this process.
 */
import { checkText, checkedSink } from '../support/hygiene.js';
import { DEFAULT_REDIS_PREFIX } from '../../relay/limits/redis.js';
import { spawnRelay, stopAllChildren } from './support/spawn-relay.js';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryLimiter } from '../../relay/limits/memory.js';
import { createLogger } from '../../relay/lib/log.js';
import { startRelay, type RunningRelay } from '../../relay/runtime/node/server.js';
import { SANDBOX_IDS, startSandbox, type RunningSandbox } from '../../sandbox/index.js';
import { freePort } from '../support/free-port.js';
import { TOKEN, VALID_LEAD } from './fixtures.js';
import { hasRedisServer, testRedis, type TestRedis } from './support/redis.js';

const ROOT = join(import.meta.dirname, '../..');
const ORIGIN = 'https://www.concurrency.example';
const SUBMISSIONS = 500;
const PER_SITE = 50;
const redisAvailable = Boolean(process.env.REDIS_URL) || hasRedisServer();
const ADMIN = 'adm_concurrency_0123456789';

let sandbox: RunningSandbox;
const tmpDirs: string[] = [];
const relays: RunningRelay[] = [];
let redis: TestRedis | null = null;

beforeAll(async () => {
  sandbox = await startSandbox({ token: TOKEN, writeDelayMs: 10, slowDownMs: 0, rateLimitPerMinute: 100_000 });
});
afterAll(async () => {
  await Promise.all(relays.splice(0).map((r) => r.close()));
  await stopAllChildren();
  await sandbox?.close();
  await redis?.stop();
  await Promise.all(tmpDirs.map((d) => rm(d, { recursive: true, force: true })));
}, 15_000);

async function dataDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'relay-concurrency-'));
  tmpDirs.push(dir);
  return dir;
}

/** A site of its own per run: per-site limit 50 a minute, per-IP limits high (every request is from 127.0.0.1). */
function sitesJson(slug: string): string {
  return JSON.stringify({
    [slug]: {
      name: 'Concurrency Commons',
      ...SANDBOX_IDS,
      allowed_origins: [ORIGIN],
      form_token: 'optional',
      limits: {
        per_site: { max: PER_SITE, window_seconds: 60 },
        per_ip: { max: 100_000, window_seconds: 60 },
        per_ip_lookups: { max: 100_000, window_seconds: 60 },
      },
    },
  });
}

async function relayEnv(slug: string): Promise<Record<string, string>> {
  return {
    PROPEXO_API_TOKEN: TOKEN,
    PROPEXO_BASE_URL: sandbox.url,
    SITES_JSON: sitesJson(slug),
    PORT: String(await freePort()),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    // Delivery unpaced, so the admitted leads reach the sandbox within the test.
    UPSTREAM_RATE_PER_MINUTE: '100000',
    DATA_DIR: await dataDir(),
    ADMIN_TOKEN: ADMIN,
    WIDGET_DIR: join(ROOT, 'dist/widget'),
  };
}

/** A valid lead no other in the run resembles (own email, no phone), so nothing is deduplicated. */
function lead(run: string, i: number) {
  const { phone_1: _phone, ...rest } = VALID_LEAD;
  return { ...rest, first_name: 'Jane', last_name: `Doe`, email_1: `prospect.${i}.${run}@gmail.com` };
}

interface Tally {
  statuses: Record<number, number>;
  codes: Record<string, number>;
  accepted: number;
}

/** Sends `SUBMISSIONS` at once, the i-th to urls[i % urls.length], and counts the answers. */
async function burst(urls: string[], slug: string, run: string): Promise<Tally> {
  const answers = await Promise.all(
    Array.from({ length: SUBMISSIONS }, async (_, i) => {
      const res = await fetch(`${urls[i % urls.length]}/v1/sites/${slug}/leads`, {
        method: 'POST',
        headers: { origin: ORIGIN, 'content-type': 'application/json', 'idempotency-key': `fill-${run}-${i}` },
        body: JSON.stringify(lead(run, i)),
        signal: AbortSignal.timeout(10_000),
      });
      const body = (await res.json()) as { id?: unknown; error?: { code?: string } };
      return { status: res.status, body };
    }),
  );
  const tally: Tally = { statuses: {}, codes: {}, accepted: 0 };
  for (const a of answers) {
    tally.statuses[a.status] = (tally.statuses[a.status] ?? 0) + 1;
    if (a.body.error?.code) tally.codes[a.body.error.code] = (tally.codes[a.body.error.code] ?? 0) + 1;
    if (a.status === 202 && typeof a.body.id === 'string') tally.accepted += 1;
  }
  return tally;
}

function expectAllAccepted(tally: Tally): void {
  expect(tally.statuses).toEqual({ 202: SUBMISSIONS });
  expect(tally.codes).toEqual({});
  expect(tally.accepted).toBe(SUBMISSIONS);
}

/** The rest held for being over the site's limit, summed over the relays' outboxes (each its own DATA_DIR). */
async function expectRestHeld(urls: string[]): Promise<void> {
  let held = 0;
  for (const url of urls) {
    const res = await fetch(`${url}/admin/leads?status=held&limit=1000`, { headers: { authorization: `Bearer ${ADMIN}` } });
    const { counts, leads } = (await res.json()) as { counts: Record<string, number>; leads: { error?: string }[] };
    held += counts.held ?? 0;
    for (const lead of leads) expect(lead.error).toBe('over_site_limit');
  }
  expect(held).toBe(SUBMISSIONS - PER_SITE);
}

const sandboxLeadsOf = (run: string) =>
  sandbox.leads().filter((l) => String((l.body as { email_1?: unknown }).email_1 ?? '').includes(run)).length;

/** The admitted leads are delivered, each once: exactly PER_SITE of this run reach the sandbox. */
const deliveredExactlyFifty = (run: string) =>
  expect.poll(() => sandboxLeadsOf(run), { timeout: 10_000, interval: 50, message: 'leads of this run in the sandbox' }).toBe(PER_SITE);

describe('a per-site limit of 50 under 500 concurrent submissions', () => {
  it.skipIf(!redisAvailable)('two relay processes sharing Redis send exactly 50 and hold the rest', { timeout: 20_000 }, async () => {
    redis = await testRedis();
    const run = randomUUID().slice(0, 8);
    const slug = `conc-${run}`;
    // 500 requests at once on a 2-core machine can hold an event loop past the default 500 ms, and a
    // decision then falls back to the process alone (limits.test.ts covers that). Here the question is
    // whether two processes share one counter exactly, so a decision may wait for Redis.
    const shared = { REDIS_URL: redis!.url, REDIS_COMMAND_TIMEOUT_MS: '10000' };
    const started = await Promise.all([0, 1].map(async () => spawnRelay({ ...(await relayEnv(slug)), ...shared })));
    expect(started[0]!.url).not.toBe(started[1]!.url);

    const tally = await burst(
      started.map((s) => s.url),
      slug,
      run,
    );
    expectAllAccepted(tally);
    for (const s of started) checkText(s.output());

    // Both processes counted in the one Redis counter, which stopped at the limit.
    const admin = new Redis(redis!.url, { maxRetriesPerRequest: 1 });
    try {
      expect(await admin.get(`${DEFAULT_REDIS_PREFIX}site:${slug}`)).toBe(String(PER_SITE));
    } finally {
      await admin.quit();
    }
    await deliveredExactlyFifty(run);
    await expectRestHeld(started.map((s) => s.url));
    // Neither process fell back to local limits or logged a server error.
    for (const s of started) expect(s.output()).not.toMatch(/limiter\.redis_unavailable|internal_error/);
  });

  it('one relay process with the in-memory limiter sends exactly 50 and holds the rest', { timeout: 20_000 }, async () => {
    const run = randomUUID().slice(0, 8);
    const slug = `conc-${run}`;
    const env = await relayEnv(slug);
    const lines: string[] = [];
    const logger = createLogger({ level: 'warn', secrets: [TOKEN], sink: checkedSink(lines) });
    const relay = await startRelay(env, { limiter: createMemoryLimiter(), logger });
    relays.push(relay);

    const tally = await burst([relay.url], slug, run);
    expectAllAccepted(tally);
    await deliveredExactlyFifty(run);
    await expectRestHeld([relay.url]);
    expect(lines.join('\n')).not.toContain('internal_error');
  });
});
