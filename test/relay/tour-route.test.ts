/**
 * What the tour slots route takes off, in process against the sandbox on loopback: the relay's own
 * bookings from its store (a held one takes no place; two places in a slot of two), the tours
 * Propexo lists (read in the site's appointment clock), and, when Propexo cannot answer, the
 * relay's bookings alone: the route still answers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRelay } from '../../relay/app.js';
import { parseConfig } from '../../relay/config/env.js';
import { createLogger } from '../../relay/lib/log.js';
import { createMemoryLimiter } from '../../relay/limits/memory.js';
import { createMemoryLeadStore } from '../../relay/outbox/store/memory.js';
import { newLeadRecord } from '../../relay/outbox/store/types.js';
import { createPropexoClient } from '../../relay/propexo/client.js';
import { appointmentInstant } from '../../relay/tours/booked.js';
import { propertyToday } from '../../relay/config/time-zone.js';
import { addDays, isoInZone, zonedWallTimeToInstant } from '../../relay/tours/zoned-time.js';
import { SANDBOX_IDS, startSandbox, type RunningSandbox } from '../../sandbox/index.js';
import { checkedSink, registerSecret } from '../support/hygiene.js';

const TOKEN = 'ptx_tour_route_token_0123';
registerSecret(TOKEN);
const ORIGIN = 'https://www.oakgrove.example';
const ZONE = 'America/Chicago';
const DAY = [['09:00', '12:00']];
const HOURS = { sun: DAY, mon: DAY, tue: DAY, wed: DAY, thu: DAY, fri: DAY, sat: DAY };

function relayFor(sandboxUrl: string, tours: object) {
  const sites = { 'oak-grove': { name: 'Oak Grove', ...SANDBOX_IDS, time_zone: ZONE, allowed_origins: [ORIGIN], tours } };
  const config = parseConfig({
    PROPEXO_API_TOKEN: TOKEN,
    PROPEXO_BASE_URL: sandboxUrl,
    SITES_JSON: JSON.stringify(sites),
    UPSTREAM_TIMEOUT_MS: '500',
  });
  const store = createMemoryLeadStore();
  const logger = createLogger({ secrets: [TOKEN], sink: checkedSink() });
  const app = createRelay({
    config,
    clock: Date,
    limiter: createMemoryLimiter({ clock: Date }),
    store,
    logger,
    getClientIp: () => '203.0.113.7',
    formClient: createPropexoClient({ baseUrl: sandboxUrl, token: TOKEN, fetch: globalThis.fetch, timeoutMs: 500 }),
  });
  const slots = async (query = '') => {
    const res = await app.request(`/v1/sites/oak-grove/tours${query}`, { headers: { origin: ORIGIN } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { days: { date: string; slots: { start: string }[] }[] };
    return (date: string) => body.days.find((d) => d.date === date)?.slots.map((s) => s.start) ?? [];
  };
  let n = 0;
  /** A booking as the leads route will store it: a lead and its tour in one step. */
  const book = async (startIso: string, capacity: number, status: 'queued' | 'held' = 'queued') => {
    const now = Date.now();
    const lead = newLeadRecord(
      { id: `ld_t${++n}`, site: 'oak-grove', fingerprints: [`fp-${n}`], submission: { first_name: 'A', last_name: 'B' }, status },
      now,
    );
    const tour = newLeadRecord(
      { id: `ld_tour${n}`, site: 'oak-grove', fingerprints: [], submission: lead.submission, status, tour_start: Date.parse(startIso) },
      now,
    );
    return store.accept(lead, { now, keyWindowMs: 86_400_000, dedupeWindowMs: 600_000 }, { record: tour, capacity });
  };
  return { slots, book, store };
}

describe('the tour slots route', () => {
  let sandbox: RunningSandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ token: TOKEN, writeDelayMs: 10, slowDownMs: 0, rateLimitPerMinute: 100_000, log: checkedSink() });
  });
  afterAll(async () => {
    await sandbox?.close();
  });

  const today = () => propertyToday(ZONE, Date.now());
  const at = (date: string, time: string) => isoInZone(zonedWallTimeToInstant(date, time, ZONE), ZONE);

  it("takes off the relay's bookings: one place per slot, a held booking none", async () => {
    const { slots, book } = relayFor(sandbox.url, { hours: HOURS, days_ahead: 5 });
    const date = addDays(today(), 4);
    expect((await slots())(date)).toContain(at(date, '11:00'));
    expect((await book(at(date, '11:00'), 1)).created).toBe(true);
    expect((await book(at(date, '11:30'), 1, 'held')).created).toBe(true);
    const after = (await slots())(date);
    expect(after).not.toContain(at(date, '11:00'));
    expect(after).toContain(at(date, '11:30'));
    // The slot is full: the next booking of it stores nothing.
    expect((await book(at(date, '11:00'), 1)).slot_taken).toBe(true);
  });

  it('keeps a slot of two open after one booking, and takes off a tour Propexo lists in it', async () => {
    const { slots, book } = relayFor(sandbox.url, { hours: HOURS, days_ahead: 5, per_slot: 2 });
    const date = addDays(today(), 3);
    await book(at(date, '09:30'), 2);
    expect((await slots())(date)).toContain(at(date, '09:30'));
    await book(at(date, '09:30'), 2);
    expect((await slots())(date)).not.toContain(at(date, '09:30'));
    // The sandbox's seeded tour tomorrow at 10:00 takes one of its two places: open, until the relay books the other.
    const tomorrow = addDays(today(), 1);
    expect((await slots())(tomorrow)).toContain(at(tomorrow, '10:00'));
    await book(at(tomorrow, '10:00'), 2);
    expect((await slots())(tomorrow)).not.toContain(at(tomorrow, '10:00'));
  });

  it("counts a delivered tour once: Propexo's listing of it is the relay's own booking", async () => {
    const { slots, book, store } = relayFor(sandbox.url, { hours: HOURS, days_ahead: 3, per_slot: 2 });
    const tomorrow = addDays(today(), 1);
    const ten = at(tomorrow, '10:00');
    // The seeded tour at 10:00 and one booking of the relay's: both places taken.
    const booked = await book(ten, 2);
    expect((await slots())(tomorrow)).not.toContain(ten);
    // The relay's tour turns out to be that very appointment (its delivery confirmed it): one place left.
    const client = createPropexoClient({ baseUrl: sandbox.url, token: TOKEN, fetch: globalThis.fetch, timeoutMs: 500 });
    const listed = await client.listAppointments({ integration_id: SANDBOX_IDS.integration_id, property_id: SANDBOX_IDS.property_id });
    if (!listed.ok) throw new Error(listed.kind);
    const seeded = listed.items.find((a) => Date.parse(a.appointment_datetime!) === Date.parse(ten))!;
    await store.update(booked.tour!.id, { status: 'confirmed', created_record_id: seeded.id, confirmed_at: Date.now() });
    expect((await slots())(tomorrow)).toContain(ten);
  });

  it('answers with its own bookings alone while Propexo cannot list its tours', async () => {
    sandbox.injectFault({ kind: '503', path: '/v1/appointments', times: 100 });
    try {
      const { slots } = relayFor(sandbox.url, { hours: HOURS, days_ahead: 3 });
      const tomorrow = addDays(today(), 1);
      // The seeded 10:00 is unknown to the relay now, so it is offered; the route still answers.
      expect((await slots())(tomorrow)).toContain(at(tomorrow, '10:00'));
    } finally {
      sandbox.clearFaults();
    }
  });
});

describe("an appointment's time, in the site's appointment clock", () => {
  it('is the instant in UTC, and the wall time in property time', () => {
    expect(appointmentInstant('2027-03-15T15:00:00.000Z', 'utc', ZONE)).toBe(Date.parse('2027-03-15T15:00:00Z'));
    // Property time: 15:00 written is 15:00 in Chicago (CDT, -05:00), whatever offset Propexo shows.
    expect(appointmentInstant('2027-03-15T15:00:00.000Z', 'property', ZONE)).toBe(Date.parse('2027-03-15T15:00:00-05:00'));
    expect(appointmentInstant('2027-01-15T15:00:00+00:00', 'property', ZONE)).toBe(Date.parse('2027-01-15T15:00:00-06:00'));
    expect(appointmentInstant('not a time', 'utc', ZONE)).toBeNull();
  });
});
