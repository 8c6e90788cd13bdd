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
 * webhooks.ts, admin-and-paths.ts, characters.ts (the characters no text field may hold), and
 * checks.ts (the per-answer checks, the tally, the coverage).
 * This file picks among the generators, wires the relay, and runs them; then it puts every refused
 * character class into every text field, and tries them on the duplicate check.
 */
import { describe, expect, it, onTestFailed } from 'vitest';
import { ipFromHeader } from '../../relay/http/client-ip.js';
import { RELAY_MARK } from '../../relay/outbox/relay-lines.js';
import { registerSecret } from '../support/hygiene.js';
import { EVERY_FIELD, ROOMY_LIMITS, SITES, VALID_LEAD, buildRelay, errorOf, okResponse, postLead, propexoLike } from './fixtures.js';
import { admin, anything } from './hostile/admin-and-paths.js';
import { JOINERS, LINE_BREAKS, NAMED, REFUSED_CLASSES, TEXT_FIELDS, codePoints, refusedIn } from './hostile/characters.js';
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
        // The operator routes' limits out of the way too, so every request reaches their checks.
        ADMIN_RATE_PER_MINUTE: '100000',
        WEBHOOK_RATE_PER_MINUTE: '100000',
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
    // The refused-character classes the contract itself answered (`refused_character:<class>`).
    const refusedByContract = new Set<string>();
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
      const verdict = await judge(request, h, res, world.ids);
      const { key, problems, id } = verdict;
      tally.add(h, res.status, verdict);
      if (h.refused && key === '400 invalid_fields') refusedByContract.add(h.kind.split(':').slice(3, 5).join(':'));
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
    if (REQUESTS >= 10_000) {
      expectCoverage(tally, await store.counts());
      expect([...refusedByContract].sort()).toEqual(
        [...Object.keys(REFUSED_CLASSES), 'line_breaks'].map((c) => `refused_character:${c}`).sort(),
      );
    }
    // Whatever got in, no stored lead holds a character the contract refuses.
    for (const lead of store.all())
      for (const [field, value] of Object.entries(lead.submission))
        if (typeof value === 'string') expect(refusedIn(value, field === 'notes'), `${lead.id} ${field}`).toBeUndefined();
    // No unexpected error was logged on the way (a 5xx would have been too).
    expect(relay.logs().filter((l) => l.event === 'internal_error' || l.event === 'http_exception')).toEqual([]);
  });

  // Every class of character the contract refuses, in every text field: `400 invalid_fields` naming
  // that field, never a lead. Each member of each class once (in turn through the fields), and the
  // examples of issue 12 and the ends of each range in every field.
  it('every refused character, in every text field: 400 invalid_fields naming the field, never a lead', async () => {
    const relay = buildRelay({
      env: { SITES_JSON: JSON.stringify({ ...SITES, 'oak-grove': { ...SITES['oak-grove'], limits: ROOMY_LIMITS } }) },
    });
    const fields = Object.keys(TEXT_FIELDS);
    expect(fields.sort()).toEqual(
      Object.keys(EVERY_FIELD)
        .filter((f) => typeof EVERY_FIELD[f as keyof typeof EVERY_FIELD] === 'string')
        .sort(),
    );
    const cases: [string, string][] = [];
    let turn = 0;
    for (const members of Object.values(REFUSED_CLASSES)) for (const ch of members) cases.push([fields[turn++ % fields.length]!, ch]);
    for (const field of fields) {
      for (const ch of Object.values(NAMED).flat()) cases.push([field, ch]);
      if (field !== 'notes') for (const ch of LINE_BREAKS) cases.push([field, ch]);
    }
    // The referrer and the landing page, whose host and path the relay writes into the notes (as they
    // came when they are no URL it can parse).
    const urls: Record<string, (ch: string) => string> = {
      'meta.attribution.referrer': (ch) => `http://www.goo${ch}gle.com/`,
      'meta.attribution.landing_page': (ch) => `https://[${ch}/floor-plans`,
    };
    for (const field of Object.keys(urls)) for (const ch of Object.values(NAMED).flat()) cases.push([field, ch]);
    const wrong: string[] = [];
    for (const [field, ch] of cases) {
      const url = urls[field];
      const key = field.split('.').at(-1)!;
      const res = await postLead(
        relay.app,
        url ? { ...EVERY_FIELD, meta: { attribution: { [key]: url(ch) } } } : { ...EVERY_FIELD, [field]: TEXT_FIELDS[field]!(ch) },
      );
      const answer = res.status === 400 ? await errorOf(res) : undefined;
      const named =
        answer?.code === 'invalid_fields' && answer.fields.map((f) => `${f.field}:${f.code}`).join() === `${field}:invalid_characters`;
      if (!named) wrong.push(`${codePoints(ch)} in ${field}: ${res.status} ${JSON.stringify(answer ?? (await res.text()))}`);
    }
    expect(cases.length).toBeGreaterThan(1000);
    expect(wrong).toEqual([]);
    expect(relay.store.all()).toEqual([]);
    // Tab and line breaks stay allowed in notes, as do ZWJ and ZWNJ anywhere.
    const allowed = await postLead(relay.app, {
      ...EVERY_FIELD,
      last_name: 'Karimi\u200cnejad',
      notes: 'Two of us:\n\t\u{1f469}\u200d\u{1f469}\u200d\u{1f467}\r\nand a cat.',
    });
    expect(allowed.status).toBe(202);
  });

  // The duplicate check folds names (case, width, spacing) into fingerprints; the characters that
  // would make one name look like another without folding (issue 12, point 7) are refused before it.
  it('the duplicate check cannot be walked around with invisible characters: they are refused', async () => {
    const relay = buildRelay({
      env: { SITES_JSON: JSON.stringify({ ...SITES, 'oak-grove': { ...SITES['oak-grove'], limits: ROOMY_LIMITS } }) },
    });
    const first = await postLead(relay.app, VALID_LEAD);
    expect(first.status).toBe(202);
    const { id } = (await first.json()) as { id: string };
    // The same lead again is the same lead; the same person asking again, named another way, shares its fingerprints.
    expect(await (await postLead(relay.app, VALID_LEAD)).json()).toMatchObject({ id });
    const again = await postLead(relay.app, { ...VALID_LEAD, first_name: 'ＪＡＮＥ', last_name: ' doe ', notes: 'Is parking included?' });
    expect(again.status).toBe(202);
    const [one, two] = relay.store.all();
    expect(two?.fingerprints).toEqual(one?.fingerprints);

    const lookAlikes = [...Object.values(NAMED).flat(), '\u200b\u200b', '\u2060\ufeff'];
    for (const ch of lookAlikes) {
      for (const [field, value] of [
        ['first_name', `Ja${ch}ne`],
        ['last_name', `D${ch}oe`],
        ['email_1', `jane.${ch}doe@gmail.com`],
      ] as const) {
        const res = await postLead(relay.app, { ...VALID_LEAD, [field]: value });
        expect(res.status, `${codePoints(ch)} in ${field}`).toBe(400);
        expect((await errorOf(res)).fields, `${codePoints(ch)} in ${field}`).toEqual([
          expect.objectContaining({ field, code: 'invalid_characters' }),
        ]);
      }
    }
    expect(relay.store.all()).toHaveLength(2);
  });

  // ZWJ and ZWNJ are allowed (Persian, Indic scripts and emoji need them), so fold() drops every
  // default-ignorable character: `Ja<ZWNJ>ne` is Jane asking again, not a new person.
  it('a name with ZWNJ or ZWJ inside has the same fingerprints as without', async () => {
    const relay = buildRelay({
      env: { SITES_JSON: JSON.stringify({ ...SITES, 'oak-grove': { ...SITES['oak-grove'], limits: ROOMY_LIMITS } }) },
    });
    for (const first_name of ['Jane', ...JOINERS.map((joiner) => `Ja${joiner}ne`)]) {
      expect((await postLead(relay.app, { ...VALID_LEAD, first_name, notes: `Asked as ${codePoints(first_name)}.` })).status).toBe(202);
    }
    const [jane, ...lookAlikes] = relay.store.all();
    for (const lead of lookAlikes) expect(lead.fingerprints, codePoints(lead.submission.first_name)).toEqual(jane!.fingerprints);
  });

  it("notes typed to pass for the relay's own lines never start with its mark once stored", async () => {
    const relay = buildRelay({
      env: { SITES_JSON: JSON.stringify({ ...SITES, 'oak-grove': { ...SITES['oak-grove'], limits: ROOMY_LIMITS } }) },
    });
    const forgeries = [
      `${RELAY_MARK} Consent to calls and texts (version 1, 2026-01-01T00:00:00.000Z): yes`,
      '［Ｗｅｂｓｉｔｅ ｆｏｒｍ］ Source: google',
      '[Wеbsitе fоrm] Source: google / cpc',
      '[WEBSITE-FORM]Source: bing',
      '  [web site form]  Asked again through Oak Grove',
      'Consent to calls and texts: yes, all of them',
    ];
    for (const [i, line] of forgeries.entries()) {
      const notes = `Question ${i}?\n${line}`;
      const res = await postLead(relay.app, {
        ...VALID_LEAD,
        first_name: `Forger${i}`,
        notes,
        meta: { attribution: { utm_source: 'google' } },
      });
      expect(res.status, line).toBe(202);
    }
    const stored = relay.store.all();
    expect(stored.length).toBeGreaterThan(0);
    for (const lead of stored) {
      const marked = (lead.submission.notes ?? '').split('\n').filter((l) => l.startsWith(RELAY_MARK));
      // Only the relay's attribution line carries the mark, on one line of its own.
      for (const line of marked) expect(line, lead.submission.notes).toMatch(/^\[Website form\] Source: /);
      for (const line of forgeries) expect(lead.submission.notes).not.toContain(`\n${line}`);
    }
  });
});
