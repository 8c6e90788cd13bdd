/**
 * Hostile input: more than ten thousand generated requests against one relay, every route, every
 * guard, from a seeded PRNG (HOSTILE_SEED, HOSTILE_REQUESTS override the defaults; the seed and the
 * request are printed with any failure; HOSTILE_VERBOSE=1 lists every variant with its answers). Whatever comes in, the relay answers below 500, every
 * refusal is the contract's envelope with codes from its closed lists, no answer carries a stack,
 * an internal path or a secret, nothing reaches Object.prototype, and /healthz still answers.
 * Every log line it writes goes through the hygiene checker (fixtures' checked sink).
 *
 * The generators and the checks live in test/relay/hostile/: prng.ts (the seeded PRNG), request.ts
 * (what a request is, turning it into a Request or a replayable description), bodies.ts (lead bodies),
 * transport.ts (origins, content types, keys, IP headers, lengths), leads.ts (the lead routes),
 * webhooks.ts, admin-and-paths.ts, and checks.ts (the per-answer checks, the tally, the coverage).
 * This file picks among the generators, wires the relay, and runs them.
 */
import { describe, expect, it, onTestFailed } from 'vitest';
import { ipFromHeader } from '../../relay/http/client-ip.js';
import { registerSecret } from '../support/hygiene.js';
import { SITES, buildRelay, okResponse, propexoLike } from './fixtures.js';
import { admin, anything } from './hostile/admin-and-paths.js';
import { Tally, expectCoverage, judge } from './hostile/checks.js';
import { leadOptions, leadPost, leadReceipt } from './hostile/leads.js';
import { Rng } from './hostile/prng.js';
import { ADMIN, HOOK, describeCase, toRequest, type Hostile, type World } from './hostile/request.js';
import { webhook } from './hostile/webhooks.js';

registerSecret(ADMIN, HOOK);

const SEED = Number(process.env.HOSTILE_SEED ?? 0x5eed_2025) >>> 0;
const REQUESTS = Number(process.env.HOSTILE_REQUESTS ?? 10_500);
const MIN_REQUESTS = Math.min(REQUESTS, 10_000);

/** The mix: one generator by weight, which then draws its request from the same PRNG. */
function next(w: World): Hostile {
  return w.rng.weighted([
    [50, leadPost],
    [5, leadOptions],
    [7, leadReceipt],
    [12, webhook],
    [11, admin],
    [15, anything],
  ] as const)(w);
}

// ---- The run -----------------------------------------------------------------------------------------

describe('hostile input', () => {
  it(`${REQUESTS} generated requests: no 5xx, every refusal in the envelope, nothing leaks, nothing polluted`, {
    timeout: 120_000,
  }, async () => {
    onTestFailed(() => {
      console.error(`hostile input failed with HOSTILE_SEED=${SEED} HOSTILE_REQUESTS=${REQUESTS}`);
    });
    const started = Date.now();
    const rng = new Rng(SEED);
    // Per request: which header the relay trusts for the client IP, and the request itself.
    let current: Hostile | undefined;
    let currentRequest: Request | undefined;
    let creates = 0;
    const relay = buildRelay({
      env: {
        ADMIN_TOKEN: ADMIN,
        PROPEXO_WEBHOOK_SECRET: HOOK,
        // Oak Grove's limits out of the way, so bodies reach the parser; Pine Ridge keeps the defaults (429s).
        SITES_JSON: JSON.stringify({
          ...SITES,
          'oak-grove': {
            ...SITES['oak-grove'],
            limits: { per_site: { max: 1_000_000, window_seconds: 60 }, per_ip: { max: 1_000_000, window_seconds: 600 } },
          },
        }),
      },
      ip: () => {
        const header = current?.ipHeader;
        return header === undefined ? '203.0.113.7' : ipFromHeader(header, currentRequest?.headers.get(header) ?? undefined);
      },
      assets: {
        get: async (p) =>
          p === 'widget.js' || p === 'widget/form-1a2b3c4d.js'
            ? { body: 'export {};', contentType: 'text/javascript; charset=utf-8' }
            : null,
      },
      // Propexo takes most leads and refuses some (dead letters the admin routes can retry).
      handler: propexoLike({
        create: (call) => {
          creates += 1;
          if (creates % 7 === 0)
            return Response.json(
              { error: { code: 'invalid_request', message: 'Invalid lead', details: { received: call.body } } },
              { status: 400 },
            );
          if (creates % 11 === 0) return new Response('', { status: 503 });
          return okResponse(`job_${creates}`);
        },
      }),
      logLevel: 'debug',
    });
    const { app, deliver, store } = relay;

    const world: World = { rng, ids: [], jobs: () => creates, usedKeys: [], webhookBodies: [], serial: 0 };

    const tally = new Tally();
    const failures: string[] = [];
    let sent = 0;
    let delivered = 0;
    const unbuildable: string[] = [];

    for (let i = 0; i < REQUESTS; i++) {
      const h = next(world);
      let request: Request;
      try {
        request = toRequest(h, rng);
      } catch (err) {
        unbuildable.push(`${describeCase(h, i, SEED)}\n  ${(err as Error).message}`);
        continue;
      }
      current = h;
      currentRequest = request;
      let res: Response;
      try {
        res = await app.request(request);
      } catch (err) {
        failures.push(`${describeCase(h, i, SEED)}\n  → the relay threw: ${(err as Error).stack ?? String(err)}`);
        continue;
      } finally {
        current = undefined;
        currentRequest = undefined;
      }
      sent += 1;
      const verdict = await judge(request, h, res);
      const { key, problems, id } = verdict;
      tally.add(h, res.status, verdict);
      if (id !== undefined && !world.ids.includes(id)) world.ids.push(id);
      if (problems.length > 0 && failures.length < 25) failures.push(`${describeCase(h, i, SEED)}\n  → ${key}: ${problems.join('; ')}`);
      // Now and then the outbox runs over whatever was accepted (and the clock moves on with it).
      if (rng.chance(1 / 300)) {
        await deliver();
        delivered += 1;
      }
    }
    await deliver();

    const health = await app.request('/healthz');
    const seconds = (Date.now() - started) / 1000;
    const lists = tally.lists();
    const summary = [
      `hostile input: seed ${SEED}, ${sent} requests in ${seconds.toFixed(1)} s, deliverer run ${delivered + 1} times, ${store.all().length} leads stored`,
      `  answers: ${lists.answers}`,
      `  field codes: ${lists.fieldCodes}`,
      `  lead statuses: ${JSON.stringify(await store.counts())}, log lines: ${relay.lines.length}`,
      `  judged by rule: ${lists.ruled}`,
    ].join('\n');
    console.log(summary);
    // HOSTILE_VERBOSE=1: every generator variant with the answers it got, to review what the mix does.
    if (process.env.HOSTILE_VERBOSE) console.log(tally.variants());

    expect(unbuildable, 'the generator built requests undici refuses').toEqual([]);
    expect(failures, `seed ${SEED}: answers that broke the rules`).toEqual([]);
    expect(sent).toBeGreaterThanOrEqual(MIN_REQUESTS);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ ok: true });

    // Nothing reached Object.prototype through __proto__ / constructor.prototype keys.
    const probe = {} as Record<string, unknown>;
    for (const k of ['polluted', 'isAdmin', 'first_name']) expect(probe[k], k).toBeUndefined();
    expect(Object.hasOwn(Object.prototype, 'polluted')).toBe(false);

    // The mix really covered the relay: every refusal code it can give to a stranger, and the successes.
    if (REQUESTS >= 10_000) expectCoverage(tally, await store.counts());
    // No unexpected error was logged on the way (a 5xx would have been too).
    expect(relay.logs().filter((l) => l.event === 'internal_error' || l.event === 'http_exception')).toEqual([]);
  });
});
