/**
 * 6. Drain: a burst of 1,000 leads against Propexo's 150-a-minute limit (the embedded sandbox, which
 * answers 429 past it and slows down past 80%), through the Node relay (startRelay: SQLite outbox,
 * its deliverer pacing at UPSTREAM_RATE_PER_MINUTE, default the relay's own), with a scaled clock
 * (test/support/scaled-time.ts): relay and sandbox share a clock and a sleep that run `scale` times
 * faster than the wall clock, so minutes of rate limit pass in seconds; only loopback round trips
 * stay real (and so count `scale` times over). The sandbox's slow-down delay is divided by `scale`
 * too, to keep its proportion. What a real process on this machine achieves is reported here, never
 * asserted: the functional claims (acceptance order, no 429, each lead once, within
 * ceil(n/150)+1 minutes) are test/relay/burst.test.ts's, on virtual time with 400 leads.
 *
 * Leads are submitted 8 at a time, so the burst arrives faster than Propexo's limit (its arrival
 * time is reported); the result is the scaled time from the first submission until every lead is
 * confirmed (written at Propexo and its write job checked), and the 429s Propexo answered.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { createLogger } from '../relay/lib/log.js';
import { startRelay } from '../relay/runtime/node/server.js';
import { createSandbox } from '../sandbox/index.js';
import { freePort } from '../test/support/free-port.js';
import { scaledTime } from '../test/support/scaled-time.js';
import { BENCH_TOKEN, LEADS_PATH, benchSites, leadBody, leadHeaders } from './lead.js';
import { fixed, progress, sleep, type Goal } from './stats.js';

export const PROPEXO_PER_MINUTE = 150;
export const DRAIN_RATE_PER_MINUTE = 140;

export interface DrainResult {
  leads: number;
  scale: number;
  propexoPerMinute: number;
  /** The relay's UPSTREAM_RATE_PER_MINUTE: from the environment, else the relay's default. */
  relayPerMinute: number;
  relayPerMinuteFromEnv: boolean;
  /** Scaled minutes: first submission → last 202, and → every lead confirmed. */
  arrivalMinutes: number;
  allConfirmedMinutes: number;
  /** Scaled minutes from the last 202 to every lead confirmed. */
  afterLastAcceptMinutes: number;
  realSeconds: number;
  counts: Record<string, number>;
  propexo: { requests: number; creates: number; statusChecks: number; other: number; status429: number };
  relayRateLimitedEvents: number;
  goalMinutes: number;
  timedOut: boolean;
  goals: Goal[];
}

export async function runDrain(options: { leads?: number; scale?: number; timeoutSeconds?: number } = {}): Promise<DrainResult> {
  const leads = options.leads ?? 1000;
  const scale = options.scale ?? Number(process.env.BENCH_DRAIN_SCALE ?? 30);
  const timeoutSeconds = options.timeoutSeconds ?? Number(process.env.BENCH_DRAIN_TIMEOUT_SECONDS ?? 90);
  // 140 of Propexo's 150: at the relay's default of 120 the 1,000 creates alone take 8.3 minutes,
  // over the goal whatever confirms them. UPSTREAM_RATE_PER_MINUTE in the environment overrides it.
  const relayRate = process.env.UPSTREAM_RATE_PER_MINUTE ?? String(DRAIN_RATE_PER_MINUTE);
  const time = scaledTime(scale);

  // The sandbox behind a counter: every answer Propexo gave, 429s included.
  const sandbox = createSandbox({
    token: BENCH_TOKEN,
    clock: time.clock,
    rateLimitPerMinute: PROPEXO_PER_MINUTE,
    writeDelayMs: 1_500,
    slowDownMs: 2_000 / scale,
    log: () => {},
  });
  const propexo = { requests: 0, creates: 0, statusChecks: 0, other: 0, status429: 0 };
  const server = await new Promise<Server>((resolve, reject) => {
    const s = serve(
      {
        hostname: '127.0.0.1',
        port: 0,
        fetch: async (request, env) => {
          const path = new URL(request.url).pathname;
          const res = await sandbox.app.fetch(request, env);
          propexo.requests++;
          if (request.method === 'POST' && path.startsWith('/v1/leads/resman')) propexo.creates++;
          else if (path.startsWith('/v1/admin/write-status')) propexo.statusChecks++;
          else propexo.other++;
          if (res.status === 429) propexo.status429++;
          return res;
        },
      },
      () => resolve(s as Server),
    ) as Server;
    s.once('error', reject);
  });
  const sandboxUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  // In memory-backed /dev/shm where there is one: a disk's fsync is real time, which the scaled clock
  // would count `scale` times over (SQLite still syncs every commit there, as on disk).
  const dataDir = await mkdtemp(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'bench-drain-'));
  let rateLimitedEvents = 0;
  const relay = await startRelay(
    {
      PROPEXO_API_TOKEN: BENCH_TOKEN,
      PROPEXO_BASE_URL: sandboxUrl,
      HOST: '127.0.0.1',
      PORT: String(await freePort()),
      DATA_DIR: dataDir,
      // The relay runs on the bench's simulated clock, which a form token's time would not match.
      SITES_JSON: benchSites(undefined, { formToken: 'optional' }),
      ...(relayRate ? { UPSTREAM_RATE_PER_MINUTE: relayRate } : {}),
    },
    {
      clock: time.clock,
      sleep: time.sleep,
      logger: createLogger({
        secrets: [BENCH_TOKEN],
        sink: (line) => {
          if (line.includes('"propexo.rate_limited"')) rateLimitedEvents++;
        },
      }),
    },
  );
  const realStart = Date.now();
  try {
    const started = time.clock.now();
    let next = 0;
    let refused = 0;
    const submitter = async () => {
      while (next < leads) {
        const n = next++;
        const res = await fetch(`${relay.url}${LEADS_PATH}`, {
          method: 'POST',
          headers: leadHeaders(n, 'drain'),
          body: leadBody(n, 'drain', undefined),
        });
        await res.arrayBuffer();
        if (res.status !== 202) refused++;
      }
    };
    await Promise.all(Array.from({ length: 8 }, submitter));
    const arrived = time.clock.now();
    if (refused > 0) throw new Error(`drain: ${refused} of ${leads} leads were not accepted with 202`);
    progress(`drain: ${leads} leads accepted in ${fixed((arrived - started) / 60_000)} scaled minutes; draining`);

    const deadline = Date.now() + timeoutSeconds * 1000;
    let counts = await relay.store.counts();
    while (counts.confirmed < leads && Date.now() < deadline) {
      await sleep(50);
      counts = await relay.store.counts();
    }
    const done = time.clock.now();
    const timedOut = counts.confirmed < leads;
    const minutes = (done - started) / 60_000;
    // Two requests a lead (the lookup for a returning prospect, the create); listings confirm many at once.
    const goalMinutes = Math.ceil((2 * leads) / PROPEXO_PER_MINUTE) + 1;
    return {
      leads,
      scale,
      propexoPerMinute: PROPEXO_PER_MINUTE,
      relayPerMinute: relay.config.delivery.upstreamPerMinute,
      relayPerMinuteFromEnv: process.env.UPSTREAM_RATE_PER_MINUTE !== undefined,
      arrivalMinutes: (arrived - started) / 60_000,
      allConfirmedMinutes: minutes,
      afterLastAcceptMinutes: (done - arrived) / 60_000,
      realSeconds: (Date.now() - realStart) / 1000,
      counts: { ...counts },
      propexo: { ...propexo },
      relayRateLimitedEvents: rateLimitedEvents,
      goalMinutes,
      timedOut,
      goals: [
        {
          name: `Drain: ${leads} leads, every one confirmed (scaled clock, ${scale}x)`,
          target: `<= ${goalMinutes} min`,
          measured: timedOut
            ? `not done after ${fixed(minutes)} min (${counts.confirmed}/${leads} confirmed; stopped at ${timeoutSeconds} s real)`
            : `${fixed(minutes)} min`,
          met: !timedOut && minutes <= goalMinutes,
        },
        { name: 'Drain: 429s from Propexo', target: '0', measured: String(propexo.status429), met: propexo.status429 === 0 },
      ],
    };
  } finally {
    await relay.close();
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    await rm(dataDir, { recursive: true, force: true });
  }
}
