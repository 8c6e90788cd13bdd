/**
 * 3. Relay cost in process: microseconds per accepted submission through `app.fetch` of
 * `createRelay` (memory store and limiter, a deliverer that is never started over an upstream that
 * counts calls, logs formatted but discarded, node:crypto hashing as relay/runtime/node/server.ts passes it),
 * against a bare Hono app whose route parses the same JSON and answers 200. Same process,
 * alternating batches (order flipped every round), each batch on a fresh app so the memory store
 * stays small; the requests of a batch are built before the clock starts; a batch's figure is its
 * mean per request, and the result is the median over batches.
 */
import { Hono } from 'hono';
import { createRelay } from '../relay/app.js';
import { parseConfig } from '../relay/config/env.js';
import { createDeliverer } from '../relay/outbox/delivery/deliverer.js';
import { createMemoryLimiter } from '../relay/limits/memory.js';
import { createLogger } from '../relay/lib/log.js';
import { createPropexoClient } from '../relay/propexo/client.js';
import { createMemoryLeadStore } from '../relay/outbox/store/memory.js';
import { parseMeta } from '../contract/meta.js';
import { parseSubmission, type Submission } from '../contract/submission.js';
import { DEFAULT_TIME_ZONE, propertyToday } from '../relay/config/time-zone.js';
import { fingerprints } from '../relay/outbox/delivery/fingerprint.js';
import { createFormTokens } from '../relay/spam/form-token.js';
import { webCryptoHashing } from '../relay/lib/hash.js';
import { nodeHashing } from '../relay/runtime/node/hash.js';
import { BENCH_TOKEN, LEADS_PATH, benchSites, formTokens, leadBody, leadHeaders } from './lead.js';
import { profile, type ProfileSummary } from './profile.js';
import { fixed, median, progress, ratio, times, type Goal } from './stats.js';
import { newLeadRecord } from '../relay/outbox/store/types.js';

export const INPROCESS_GOAL_RATIO = 3;

type App = { fetch(request: Request): Response | Promise<Response> };

export interface InProcessResult {
  batch: number;
  rounds: number;
  relayUsPerRequest: number;
  bareUsPerRequest: number;
  /** Process CPU (every thread: GC helpers, and WebCrypto's libuv pool were it used) per request, µs. */
  relayCpuUsPerRequest: number;
  bareCpuUsPerRequest: number;
  relayBatchUs: number[];
  bareBatchUs: number[];
  ratio: number;
  /** Answers other than 202 (relay) or 200 (bare): must be 0. */
  unexpected: number;
  upstreamCalls: number;
  profile: ProfileSummary;
  /** Steps of the accept path timed alone, µs per call (median of 5 runs of 500). */
  breakdown: { step: string; us: number }[];
  goals: Goal[];
}

let upstreamCalls = 0;

function relayApp(): App {
  const config = parseConfig({
    PROPEXO_API_TOKEN: BENCH_TOKEN,
    PROPEXO_BASE_URL: 'https://propexo.invalid',
    SITES_JSON: benchSites(),
  });
  const logger = createLogger({ level: 'info', secrets: [BENCH_TOKEN], sink: () => {} });
  const limiter = createMemoryLimiter({ clock: Date });
  const store = createMemoryLeadStore();
  const upstream = (async () => {
    upstreamCalls++;
    return new Response('{}', { status: 500 });
  }) as typeof fetch;
  const client = createPropexoClient({
    baseUrl: config.propexo.baseUrl,
    token: BENCH_TOKEN,
    fetch: upstream,
    timeoutMs: config.upstreamTimeoutMs,
  });
  // Woken by every accepted lead, as on Node, but never started: nothing is sent upstream.
  const deliverer = createDeliverer({ store, client, limiter, sites: config.sites, clock: Date, logger, policy: config.delivery });
  // Hashing as on Node (relay/runtime/node/server.ts): node:crypto, synchronous.
  return createRelay({
    config,
    clock: Date,
    limiter,
    store,
    logger,
    getClientIp: () => '203.0.113.7',
    outbox: deliverer,
    hashing: nodeHashing,
  });
}

function bareApp(): App {
  const app = new Hono();
  app.post('/v1/sites/:site/leads', async (c) => {
    const body = await c.req.json<Record<string, unknown>>();
    return c.json({ ok: typeof body === 'object' }, 200);
  });
  return app;
}

let run = 0;

async function batch(
  app: App,
  n: number,
  tokens: readonly string[],
  expected: number,
): Promise<{ us: number; cpuUs: number; unexpected: number }> {
  const tag = `ip${++run}x`;
  const requests = Array.from({ length: n }, (_, i) => {
    const body = leadBody(i, tag, tokens[i]);
    // With Content-Length, as a browser sends it (and as @hono/node-server passes it on).
    const headers = { ...leadHeaders(i, tag), 'content-length': String(Buffer.byteLength(body)) };
    return new Request(`http://relay.test${LEADS_PATH}`, { method: 'POST', headers, body });
  });
  let unexpected = 0;
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  for (const request of requests) {
    const res = await app.fetch(request);
    await res.arrayBuffer();
    if (res.status !== expected) unexpected++;
  }
  const elapsedNs = Number(process.hrtime.bigint() - started);
  const used = process.cpuUsage(cpu);
  return { us: elapsedNs / n / 1000, cpuUs: (used.user + used.system) / n, unexpected };
}

export async function runRelayInProcess(options: { batch?: number; rounds?: number; warmup?: number } = {}): Promise<InProcessResult> {
  const n = options.batch ?? 200;
  const rounds = options.rounds ?? Number(process.env.BENCH_INPROCESS_ROUNDS ?? 30);
  const warmup = options.warmup ?? 5;
  // Each batch is a fresh relay (its own limiter), so one token per lead of a batch serves them all.
  const tokens = await formTokens(n);
  const token = tokens[0]!;
  upstreamCalls = 0;
  let unexpected = 0;
  for (let i = 0; i < warmup; i++) {
    unexpected += (await batch(relayApp(), n, tokens, 202)).unexpected;
    unexpected += (await batch(bareApp(), n, tokens, 200)).unexpected;
  }
  const relay: number[] = [];
  const bare: number[] = [];
  const relayCpu: number[] = [];
  const bareCpu: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const order = i % 2 === 0 ? (['relay', 'bare'] as const) : (['bare', 'relay'] as const);
    for (const which of order) {
      const r = which === 'relay' ? await batch(relayApp(), n, tokens, 202) : await batch(bareApp(), n, tokens, 200);
      (which === 'relay' ? relay : bare).push(r.us);
      (which === 'relay' ? relayCpu : bareCpu).push(r.cpuUs);
      unexpected += r.unexpected;
    }
  }
  progress(`relay in process: ${rounds} rounds of ${n} requests each`);
  // Where the relay's time goes: a sampled profile of a few more relay batches.
  const summary = await profile(async () => {
    for (let i = 0; i < 5; i++) unexpected += (await batch(relayApp(), n, tokens, 202)).unexpected;
  });
  const breakdown = await breakdownOf(token);
  const relayUs = median(relay);
  const bareUs = median(bare);
  const r = ratio(relayUs, bareUs);
  return {
    batch: n,
    rounds,
    relayUsPerRequest: relayUs,
    bareUsPerRequest: bareUs,
    relayCpuUsPerRequest: median(relayCpu),
    bareCpuUsPerRequest: median(bareCpu),
    relayBatchUs: relay,
    bareBatchUs: bare,
    ratio: r,
    unexpected,
    upstreamCalls,
    profile: summary,
    breakdown,
    goals: [
      {
        name: 'Relay in process: µs per accepted lead vs bare Hono',
        target: `<= ${INPROCESS_GOAL_RATIO}x`,
        measured: `${fixed(relayUs, 0)} µs vs ${fixed(bareUs, 0)} µs (${times(r)}); ${unexpected} answers not 202/200; ${upstreamCalls} upstream calls`,
        met: r <= INPROCESS_GOAL_RATIO && unexpected === 0 && upstreamCalls === 0,
      },
    ],
  };
}

/** The accept path's main steps, each timed on its own: where a request's microseconds go. */
async function breakdownOf(token: string): Promise<{ step: string; us: number }[]> {
  const time = async (n: number, fn: (i: number) => unknown): Promise<number> => {
    const runs: number[] = [];
    for (let r = 0; r < 6; r++) {
      const started = process.hrtime.bigint();
      for (let i = 0; i < n; i++) await fn(i);
      if (r > 0) runs.push(Number(process.hrtime.bigint() - started) / n / 1000);
    }
    return median(runs);
  };
  const body = JSON.parse(leadBody(0, 'bd', token)) as Record<string, unknown>;
  const { meta, ...fields } = body;
  const today = propertyToday(DEFAULT_TIME_ZONE, Date.now());
  const parsed = parseSubmission(fields, today);
  if (!parsed.ok) throw new Error('breakdown: the bench lead does not parse');
  const submission: Submission = parsed.value;
  const tokens = createFormTokens(BENCH_TOKEN, nodeHashing);
  const webTokens = createFormTokens(BENCH_TOKEN, webCryptoHashing);
  const healthz = (app: App) => async () => (await app.fetch(new Request('http://relay.test/healthz'))).arrayBuffer();
  const relay = relayApp();
  const bare = new Hono().get('/healthz', (c) => c.json({ ok: true }));
  let store = createMemoryLeadStore();
  let k = 0;
  const accept = async (i: number) => {
    if (i === 0) store = createMemoryLeadStore();
    const now = Date.now();
    k++;
    await store.accept(
      newLeadRecord(
        {
          id: `ld_bench${k}`,
          site: 'oak-grove',
          idempotency_key: `bench-store-${k}`,
          fingerprints: [`fa${k}`, `fb${k}`],
          submission,
        },
        now,
      ),
      { now, keyWindowMs: 86_400_000, dedupeWindowMs: 600_000 },
    );
  };
  const logger = createLogger({ level: 'info', secrets: [BENCH_TOKEN], sink: () => {} });
  const limiter = createMemoryLimiter({ clock: Date });
  return [
    { step: 'GET /healthz through the relay app (secure headers, request log, router)', us: await time(500, healthz(relay)) },
    { step: 'GET /healthz through a bare Hono app', us: await time(500, healthz(bare)) },
    { step: 'JSON.parse of the body', us: await time(500, () => JSON.parse(leadBody(0, 'bd', token))) },
    { step: 'parseSubmission + parseMeta (zod/mini)', us: await time(500, () => [parseSubmission(fields, today), parseMeta(meta)]) },
    {
      step: 'fingerprints: 2 SHA-256 through node:crypto (the Node relay)',
      us: await time(500, () => fingerprints('oak-grove', submission, nodeHashing)),
    },
    {
      step: 'form token check: HMAC-SHA-256 through node:crypto (the Node relay)',
      us: await time(500, () => tokens.check('oak-grove', token, Date.now())),
    },
    {
      step: 'fingerprints: 2 SHA-256 through WebCrypto (the Worker; Node before)',
      us: await time(500, () => fingerprints('oak-grove', submission, webCryptoHashing)),
    },
    {
      step: 'form token check: HMAC-SHA-256 through WebCrypto (the Worker; Node before)',
      us: await time(500, () => webTokens.check('oak-grove', token, Date.now())),
    },
    { step: 'memory store accept (a store of up to 200 leads)', us: await time(200, accept) },
    {
      step: 'memory limiter: the 3 decisions of a lead (lookups, site, IP)',
      us: await time(500, async (i) => {
        for (const key of [`lookups:${i % 50}`, 'site:oak-grove', `ip:${i % 50}`])
          await limiter.limit({ key, max: 1_000_000, windowMs: 60_000 });
      }),
    },
    {
      step: 'reading the body: Request.arrayBuffer + UTF-8 decode',
      us: await time(500, async () =>
        new TextDecoder('utf-8', { fatal: true }).decode(
          await new Request('http://relay.test/', { method: 'POST', body: leadBody(0, 'bd', token) }).arrayBuffer(),
        ),
      ),
    },
    {
      step: 'one log line (formatted, masked, discarded)',
      us: await time(500, () => logger.info('lead.accepted', { lead_id: 'ld_x', site: 'oak-grove' })),
    },
  ];
}
