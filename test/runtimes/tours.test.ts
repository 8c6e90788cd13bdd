/**
 * The tour slots route on both runtimes, over real HTTP on loopback, the sandbox as Propexo: the
 * property's hours in its own zone, less the tours the sandbox lists for Oak Grove (seeded tomorrow
 * at 10:00 and 14:00 and the day after at 10:00, Austin time); the form's origin rule; a site
 * without tours; a query the route cannot read.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { propertyToday } from '../../relay/config/time-zone.js';
import { addDays, isoInZone, zonedWallTimeToInstant } from '../../relay/tours/zoned-time.js';
import { SANDBOX_IDS, startSandbox, type RunningSandbox } from '../../sandbox/index.js';
import { checkedSink, registerSecret } from '../support/hygiene.js';
import type { SandboxTourBooking } from '../../sandbox/index.js';
import { ROOMY_LIMITS } from '../relay/fixtures.js';
import { ORIGIN, nodeTarget, relayVars, workerdTarget, type RelayTarget } from './targets.js';

const TOKEN = 'ptx_tours_suite_token_0123';
registerSecret(TOKEN);
const ZONE = 'America/Chicago';
const NINE_TO_FIVE = [['09:00', '17:00']];
const SITES = {
  'oak-grove': {
    name: 'Oak Grove',
    ...SANDBOX_IDS,
    time_zone: ZONE,
    allowed_origins: [ORIGIN],
    form_token: 'optional',
    limits: ROOMY_LIMITS,
    tours: {
      hours: {
        sun: NINE_TO_FIVE,
        mon: NINE_TO_FIVE,
        tue: NINE_TO_FIVE,
        wed: NINE_TO_FIVE,
        thu: NINE_TO_FIVE,
        fri: NINE_TO_FIVE,
        sat: NINE_TO_FIVE,
      },
      days_ahead: 3,
      address: '4100 Oak Grove Blvd, Austin, TX 78745',
    },
  },
  'no-tours': { name: 'No tours', ...SANDBOX_IDS, allowed_origins: [ORIGIN] },
};

interface Answer {
  site: string;
  time_zone: string;
  slot_minutes: number;
  address: string | null;
  days: { date: string; weekday: string; slots: { start: string; label: string }[] }[];
}

describe.each([
  ['node', nodeTarget],
  ['workerd', workerdTarget],
] as const)('tour slots on %s', (_runtime, start) => {
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

  const get = (path: string, origin = ORIGIN) => fetch(`${relay.url}${path}`, { headers: { origin } });
  const at = (date: string, time: string) => isoInZone(zonedWallTimeToInstant(date, time, ZONE), ZONE);

  it("answers the property's slots in its zone, less the tours Propexo lists", async () => {
    const res = await get('/v1/sites/oak-grove/tours');
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const answer = (await res.json()) as Answer;
    const today = propertyToday(ZONE, Date.now());
    const [tomorrow, dayAfter] = [addDays(today, 1), addDays(today, 2)];
    expect(answer).toMatchObject({
      site: 'oak-grove',
      time_zone: ZONE,
      slot_minutes: 30,
      address: '4100 Oak Grove Blvd, Austin, TX 78745',
    });
    expect(answer.days.map((d) => d.date)).toEqual([today, tomorrow, dayAfter]);

    const starts = (date: string) => answer.days.find((d) => d.date === date)!.slots.map((s) => s.start);
    // 16 half hours from 9 to 5; the sandbox's tours take tomorrow's 10:00 and 14:00 and the day after's 10:00.
    expect(starts(tomorrow)).toHaveLength(14);
    expect(starts(tomorrow)).not.toContain(at(tomorrow, '10:00'));
    expect(starts(tomorrow)).not.toContain(at(tomorrow, '14:00'));
    expect(starts(tomorrow)).toContain(at(tomorrow, '10:30'));
    expect(starts(dayAfter)).toHaveLength(15);
    expect(starts(dayAfter)).not.toContain(at(dayAfter, '10:00'));
    const nine = answer.days[1]!.slots[0]!;
    expect(nine).toEqual({ start: at(tomorrow, '09:00'), label: '9:00 AM' });
    // Today: nothing within the 2 hours' notice, nothing past 5.
    for (const slot of answer.days[0]!.slots) expect(Date.parse(slot.start)).toBeGreaterThanOrEqual(Date.now() + 2 * 3_600_000 - 60_000);

    // One date from tomorrow.
    const one = (await (await get(`/v1/sites/oak-grove/tours?from=${tomorrow}&days=1`)).json()) as Answer;
    expect(one.days.map((d) => d.date)).toEqual([tomorrow]);
    expect(one.days[0]!.slots.map((s) => s.start)).toEqual(starts(tomorrow));
  });

  it('refuses another origin, a site without tours, and a query it cannot read', async () => {
    const elsewhere = await get('/v1/sites/oak-grove/tours', 'https://evil.example');
    expect([elsewhere.status, ((await elsewhere.json()) as { error: { code: string } }).error.code]).toEqual([403, 'origin_not_allowed']);
    const none = await get('/v1/sites/no-tours/tours');
    expect([none.status, ((await none.json()) as { error: { code: string } }).error.code]).toEqual([404, 'not_found']);
    const bad = await get('/v1/sites/oak-grove/tours?from=2027-02-30&days=9');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { fields: { field: string; code: string }[] } }).error.fields).toEqual([
      { field: 'from', code: 'invalid_date', message: expect.any(String) },
      { field: 'days', code: 'out_of_range', message: expect.any(String) },
    ]);
    expect((await fetch(`${relay.url}/v1/sites/oak-grove/tours`, { method: 'POST', headers: { origin: ORIGIN } })).status).toBe(405);
  });

  it('ten prospects racing for one slot: one booking, nine 409 slot_taken with fresh slots; one appointment lands', async () => {
    const today = propertyToday(ZONE, Date.now());
    const start = at(addDays(today, 2), '15:30');
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        fetch(`${relay.url}/v1/sites/oak-grove/leads`, {
          method: 'POST',
          headers: { origin: ORIGIN, 'content-type': 'application/json' },
          body: JSON.stringify({ first_name: 'Racer', last_name: `Number${i}`, email_1: `racer.${i}@gmail.com`, tour: { start } }),
        }).then(async (res) => ({ status: res.status, body: (await res.json()) as Record<string, unknown> })),
      ),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([202, 409, 409, 409, 409, 409, 409, 409, 409, 409]);
    const winner = answers.find((a) => a.status === 202)!.body as { id: string; tour: { start: string } };
    expect(winner.tour.start).toBe(start);
    for (const lost of answers.filter((a) => a.status === 409)) {
      const body = lost.body as { error: { code: string }; tours: Answer };
      expect(body.error.code).toBe('slot_taken');
      expect(body.tours.days.flatMap((d) => d.slots.map((s) => s.start))).not.toContain(start);
    }
    const won = answers.findIndex((a) => a.status === 202);
    await expect
      .poll(() => sandbox.appointments().filter((a): a is SandboxTourBooking => a.action === 'create' && a.write_status === 'SUCCESS'))
      .toHaveLength(1);
    const lead = sandbox.leads().find((l) => l.body.email_1 === `racer.${won}@gmail.com`)!;
    const [appointment] = sandbox.appointments() as SandboxTourBooking[];
    expect(appointment!.lead_id).toBe(lead.created_record_id);
    expect(sandbox.leads()).toHaveLength(1);
  });
});
