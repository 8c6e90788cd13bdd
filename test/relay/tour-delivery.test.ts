/**
 * Booking a tour (issue 15), through the relay's HTTP API to the sandbox in this process, on the
 * relay's manual clock (the sandbox reads the same one): the lead first, then one appointment on its
 * guest card, with the date and time in the site's appointment clock and the property's local time
 * in its notes; the slot taken atomically with the lead; a full slot answered 409 with fresh slots.
 */
import { describe, expect, it } from 'vitest';
import type { SlotTakenBody, ToursAnswer } from '../../contract/tours.js';
import type { SandboxTourBooking } from '../../sandbox/index.js';
import { SANDBOX_IDS, createSandbox, type Sandbox, type SandboxOptions } from '../../sandbox/index.js';
import type { SiteConfig } from '../../relay/config/sites.js';
import { isoInZone, zonedWallTimeToInstant } from '../../relay/tours/zoned-time.js';
import { checkedSink } from '../support/hygiene.js';
import { ORIGIN, TOKEN, buildRelay, postLead } from './fixtures.js';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const ZONE = 'America/Chicago';
const OPEN = [['09:00', '18:00']];
const HOURS = { sun: OPEN, mon: OPEN, tue: OPEN, wed: OPEN, thu: OPEN, fri: OPEN, sat: OPEN };
const APPOINTMENT_PATH = '/v1/events/appointments/leads/resman';
const ADMIN_TOKEN = 'adm_tour_delivery_0123456789';

interface Options {
  clock?: 'utc' | 'property';
  perSlot?: number;
  sandbox?: Partial<SandboxOptions>;
  /** Changes what the sandbox answered, before the relay reads it. */
  answer?: (path: string, res: Response) => Response | Promise<Response>;
}

function relayWithSandbox(options: Options = {}) {
  let sandbox: Sandbox | undefined;
  const tours = {
    hours: HOURS,
    address: '7400 Oak Grove Parkway, Austin, TX 78748',
    ...(options.clock ? { appointment_clock: options.clock } : {}),
    ...(options.perSlot ? { per_slot: options.perSlot } : {}),
  };
  const sites = {
    'oak-grove': { name: 'Oak Grove', ...SANDBOX_IDS, time_zone: ZONE, allowed_origins: [ORIGIN], form_token: 'optional', tours },
    'no-tours': { name: 'No Tours', ...SANDBOX_IDS, time_zone: ZONE, allowed_origins: [ORIGIN], form_token: 'optional' },
  };
  const relay = buildRelay({
    policy: { inDoubtGraceMs: 5 * MINUTE, backoffMaxMs: 10 * MINUTE },
    env: { SITES_JSON: JSON.stringify(sites), PROPEXO_BASE_URL: 'http://sandbox.test', UPSTREAM_TIMEOUT_MS: '1000', ADMIN_TOKEN },
    handler: async (call, init) => {
      const path = new URL(call.url).pathname + new URL(call.url).search;
      const res = await sandbox!.app.request(path, init);
      return options.answer ? options.answer(path, res) : res;
    },
    ip: () => `203.0.113.${Math.floor(Math.random() * 250)}`,
    listsUpstream: true,
  });
  sandbox = createSandbox({ token: TOKEN, clock: relay.clock, slowDownMs: 0, log: checkedSink(), ...options.sandbox });
  const slots = async (): Promise<ToursAnswer> => {
    const res = await relay.app.request('/v1/sites/oak-grove/tours', { headers: { origin: ORIGIN } });
    expect(res.status).toBe(200);
    return (await res.json()) as ToursAnswer;
  };
  const starts = async () => (await slots()).days.flatMap((d) => d.slots.map((s) => s.start));
  const book = (body: Record<string, unknown>, start: string, key?: string, site = 'oak-grove') =>
    postLead(relay.app, { ...body, tour: { start } }, { ...(key === undefined ? {} : { key }), site });
  const bookings = () => sandbox!.appointments().filter((a): a is SandboxTourBooking => a.action === 'create');
  return { relay, sandbox, slots, starts, book, bookings };
}

const JANE = { first_name: 'Jane', last_name: 'Doe', email_1: 'jane.doe@gmail.com', phone_1: '5125550142' };
const person = (i: number) => ({ first_name: 'Pat', last_name: `Racer${i}`, email_1: `pat.racer.${i}@gmail.com` });

describe('booking a tour', () => {
  it('creates the lead, then one appointment on it in UTC with the local time in its notes; the slot closes', async () => {
    const { relay, sandbox, starts, book, bookings } = relayWithSandbox();
    const start = (await starts())[3]!;
    const res = await book(JANE, start, 'tour-key-0001');
    expect(res.status).toBe(202);
    const receipt = (await res.json()) as { id: string; status: string; tour: { start: string; end: string } };
    expect(receipt.tour.start).toBe(start);
    expect(Date.parse(receipt.tour.end) - Date.parse(start)).toBe(30 * MINUTE);
    expect(receipt.tour.end.slice(-6)).toBe(start.slice(-6)); // the property's offset, as the slots give it

    await relay.deliver();
    const [lead] = sandbox.leads();
    expect(sandbox.leads()).toHaveLength(1);
    expect(bookings()).toHaveLength(1);
    const [appointment] = bookings();
    const utc = new Date(Date.parse(start)).toISOString();
    expect(appointment!.lead_id).toBe(lead!.created_record_id);
    expect(appointment!.body).toMatchObject({
      integration_id: SANDBOX_IDS.integration_id,
      lead_id: lead!.created_record_id,
      lead_source_id: SANDBOX_IDS.lead_source_id,
      appointment_date: utc.slice(0, 10),
      appointment_time: utc.slice(11, 19),
    });
    expect(appointment!.body.notes).toMatch(/^Tour: \w{3}, \w{3} \d{1,2}, \d{4}, \d{1,2}:\d{2} [AP]M C[DS]T \(America\/Chicago\), 30 min/);
    expect(appointment!.write_status).toBe('SUCCESS');

    // Both records confirmed; the tour's record is the appointment, which the slots count once.
    const tour = (await relay.store.list({})).find((r) => r.tour_start !== undefined)!;
    expect(tour).toMatchObject({ status: 'confirmed', created_record_id: appointment!.event_id, follows: receipt.id });
    expect(await starts()).not.toContain(start);
    expect(relay.logs().filter((l) => l.event === 'tour.sent')).toHaveLength(1);
  });

  it('a tour waiting for its slow lead goes the moment the lead is confirmed, not at its next backoff', async () => {
    const { relay, sandbox, starts, book, bookings } = relayWithSandbox();
    // Propexo fails the lead's create for a while: the tour, waiting for the guest card, backs off further each look.
    sandbox.injectFault({ kind: '503', times: 6, path: '/v1/leads/resman', method: 'POST' });
    expect((await book(JANE, (await starts())[0]!)).status).toBe(202);
    await relay.deliver(60 * MINUTE);
    expect(bookings()).toHaveLength(1);
    const at = (event: string) => Date.parse(String(relay.logs().find((l) => l.event === event)!.time));
    const waited = relay.logs().filter((l) => l.event === 'lead.waiting_for_first_inquiry').length;
    expect(waited).toBeGreaterThan(0);
    // The tour's backoff had grown past a minute (policy backoffMaxMs 10 min); it went within seconds of the lead.
    expect(at('tour.sent') - at('lead.confirmed')).toBeLessThan(5_000);
  });

  it('in the property clock, the appointment carries the wall time of the property', async () => {
    const { relay, starts, book, bookings } = relayWithSandbox({ clock: 'property' });
    const start = (await starts())[0]!;
    expect((await book(JANE, start)).status).toBe(202);
    await relay.deliver();
    // `2027-03-15T09:00:00-05:00`: the date and wall time as written, whatever the offset.
    expect(bookings()[0]!.body).toMatchObject({ appointment_date: start.slice(0, 10), appointment_time: start.slice(11, 19) });
  });

  it('a tour booked before its site stopped offering tours still goes, in the default clock (UTC)', async () => {
    const { relay, starts, book, bookings } = relayWithSandbox({ clock: 'property' });
    const start = (await starts())[0]!;
    expect((await book(JANE, start)).status).toBe(202);
    // The operator takes `tours` out of the site's settings before the relay sends the appointment.
    const sites = relay.config.sites as Map<string, SiteConfig>;
    const { tours: _dropped, ...withoutTours } = sites.get('oak-grove')!;
    sites.set('oak-grove', withoutTours);
    await relay.deliver();
    expect(bookings()).toHaveLength(1);
    const utc = new Date(start).toISOString();
    expect(bookings()[0]!.body).toMatchObject({ appointment_date: utc.slice(0, 10), appointment_time: utc.slice(11, 19) });
    expect(String(bookings()[0]!.body.notes)).toContain('30 min');
  });

  it('two prospects race for the last place: one booking; the other gets 409 slot_taken with the slots open now', async () => {
    const { relay, sandbox, starts, book, bookings } = relayWithSandbox();
    const start = (await starts())[1]!;
    const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => book(person(i), start)));
    const statuses = answers.map((r) => r.status).sort();
    expect(statuses).toEqual([202, 409, 409, 409, 409, 409, 409, 409]);
    const refused = (await answers.find((r) => r.status === 409)!.json()) as SlotTakenBody;
    expect(refused.error).toMatchObject({ code: 'slot_taken', fields: [] });
    const fresh = refused.tours.days.flatMap((d) => d.slots.map((s) => s.start));
    expect(fresh).not.toContain(start);
    expect(fresh.length).toBeGreaterThan(10);
    // Nothing of the losers was stored: one lead and one tour in the outbox.
    expect((await relay.store.counts()).queued).toBe(2);

    // One of them (whichever lost: the winner is whoever the race made it) picks another time, and gets it.
    const loser = answers.findIndex((r) => r.status === 409);
    expect((await book(person(loser), fresh[0]!)).status).toBe(202);
    await relay.deliver();
    expect(sandbox.leads()).toHaveLength(2);
    expect(bookings()).toHaveLength(2);
  });

  it('a slot the office filled in ResMan since the page loaded is 409 slot_taken, never 503', async () => {
    const { relay, slots, book } = relayWithSandbox();
    // The sandbox's office tour tomorrow at 10:00 in Austin: the slots leave it out, an old page may still offer it.
    const tomorrow = (await slots()).days[1]!.date;
    const ten = isoInZone(zonedWallTimeToInstant(tomorrow, '10:00', ZONE), ZONE);
    const res = await book(JANE, ten);
    expect(res.status).toBe(409);
    expect(((await res.json()) as SlotTakenBody).error.code).toBe('slot_taken');
    expect((await relay.store.counts()).queued).toBe(0);
  });

  it("a slot of two takes two bookings, and Propexo's own tour in it takes one of the two", async () => {
    const { slots, starts, book } = relayWithSandbox({ perSlot: 2 });
    const start = (await starts())[2]!;
    expect((await book(person(1), start)).status).toBe(202);
    expect((await book(person(2), start)).status).toBe(202);
    expect((await book(person(3), start)).status).toBe(409);
    // Tomorrow at 10:00 the office has a tour in ResMan (the sandbox's): one place left for the relay.
    const tomorrow = (await slots()).days[1]!.date;
    const ten = isoInZone(zonedWallTimeToInstant(tomorrow, '10:00', ZONE), ZONE);
    expect((await book(person(4), ten)).status).toBe(202);
    expect((await book(person(5), ten)).status).toBe(409);
  });

  it('the same booking sent again (same key, or same words) is one lead and one tour', async () => {
    const { relay, starts, book, bookings } = relayWithSandbox();
    const start = (await starts())[0]!;
    const first = (await (await book(JANE, start, 'same-booking-01')).json()) as { id: string };
    const byKey = await book(JANE, start, 'same-booking-01');
    expect(byKey.status).toBe(202);
    expect(await byKey.json()).toMatchObject({ id: first.id, tour: { start } });
    const byWords = await book(JANE, start);
    expect(byWords.status).toBe(202);
    expect(await byWords.json()).toMatchObject({ id: first.id, tour: { start } });
    await relay.deliver();
    expect(bookings()).toHaveLength(1);
  });

  it('the same prospect booking a second time within minutes: both tours go onto the one guest card', async () => {
    const { relay, sandbox, starts, book, bookings } = relayWithSandbox();
    const [a, , b] = await starts();
    expect((await book(JANE, a!)).status).toBe(202);
    expect((await book(JANE, b!)).status).toBe(202);
    await relay.deliver();
    expect(sandbox.leads()).toHaveLength(1);
    const card = sandbox.leads()[0]!.created_record_id;
    expect(bookings().map((x) => x.lead_id)).toEqual([card, card]);
    // The second inquiry is on the card as an event, not a second create.
    expect(sandbox.events()).toHaveLength(1);
  });

  it('a returning prospect: the tour goes onto the lead Propexo already has', async () => {
    const { relay, sandbox, starts, book, bookings } = relayWithSandbox();
    expect((await postLead(relay.app, { ...JANE, notes: 'First question.' })).status).toBe(202);
    await relay.deliver();
    const card = sandbox.leads()[0]!.created_record_id;
    relay.clock.advance(DAY);
    expect((await book({ ...JANE, notes: 'Can I see it?' }, (await starts())[0]!)).status).toBe(202);
    await relay.deliver();
    expect(sandbox.leads()).toHaveLength(1);
    expect(bookings().map((x) => x.lead_id)).toEqual([card]);
  });

  it("without Propexo's read-back, the tour goes onto the lead its create's write-status names", async () => {
    const { relay, sandbox, starts, book, bookings } = relayWithSandbox({ sandbox: { readBackDelayMs: 3 * 60 * MINUTE } });
    expect((await book(JANE, (await starts())[0]!)).status).toBe(202);
    await relay.deliver();
    const [lead] = sandbox.leads();
    expect(bookings().map((x) => x.lead_id)).toEqual([lead!.created_record_id]);
    const records = await relay.store.list({});
    expect(records.map((r) => r.status)).toEqual(['confirmed', 'confirmed']);
  });

  it("never onto a stranger's card: a create whose write-status names another person's lead", async () => {
    let sandboxRef: Sandbox | undefined;
    let strangers = '';
    const isJanes = (id: string | null) => sandboxRef!.leads().some((l) => l.created_record_id === id && l.body.email_1 === JANE.email_1);
    // Propexo's write-status for Jane's create names Bob's lead ("could be related to a different model").
    const answer = async (path: string, res: Response) => {
      if (!path.startsWith('/v1/admin/write-status/') || !strangers) return res;
      const body = (await res.json()) as { created_record_id: string | null };
      if (isJanes(body.created_record_id)) body.created_record_id = strangers;
      return new Response(JSON.stringify(body), { status: res.status, headers: res.headers });
    };
    const { relay, sandbox, starts, book, bookings } = relayWithSandbox({ answer });
    sandboxRef = sandbox;
    expect((await postLead(relay.app, { first_name: 'Bob', last_name: 'Stranger', email_1: 'bob.stranger@gmail.com' })).status).toBe(202);
    await relay.deliver();
    strangers = sandbox.leads()[0]!.created_record_id!;
    expect((await book(JANE, (await starts())[0]!)).status).toBe(202);
    await relay.deliver(60 * MINUTE);
    const janes = sandbox.leads().find((l) => l.body.email_1 === JANE.email_1)!.created_record_id!;
    // The relay refused Bob's id for Jane's lead, and found her card by her email instead.
    expect(relay.logs().filter((l) => l.event === 'lead.created_record_not_this_lead')).toHaveLength(1);
    expect(bookings().map((b) => b.lead_id)).toEqual([janes]);
  });

  it('an appointment POST that landed but whose answer was lost is found in the write logs, never sent twice', async () => {
    const { relay, sandbox, starts, book, bookings } = relayWithSandbox();
    sandbox.injectFault({ kind: 'reset_after_receive', times: 1, path: APPOINTMENT_PATH, method: 'POST' });
    expect((await book(JANE, (await starts())[0]!)).status).toBe(202);
    await relay.deliver(60 * MINUTE);
    expect(bookings()).toHaveLength(1);
    expect(relay.logs().filter((l) => l.event === 'lead.found_in_write_logs' && l.write_kind === 'appointment')).toHaveLength(1);
    const tour = (await relay.store.list({})).find((r) => r.tour_start !== undefined)!;
    expect(tour).toMatchObject({ status: 'confirmed', created_record_id: bookings()[0]!.event_id });
  });

  it("an in-doubt tour never takes an earlier failed job of the same tour (ResMan refused it before the site's fix) for its own", async () => {
    let old: Record<string, unknown> | undefined;
    const answer = async (path: string, res: Response) => {
      if (!path.startsWith('/v1/admin/logs/writes/') || !old || !path.includes('write_category=events')) return res;
      const body = (await res.json()) as { results: { logs: unknown[] } };
      body.results.logs.push(old);
      return new Response(JSON.stringify(body), { status: res.status, headers: res.headers });
    };
    const { relay, sandbox, starts, book, bookings } = relayWithSandbox({ answer });
    const start = (await starts())[0]!;
    expect((await postLead(relay.app, JANE)).status).toBe(202);
    await relay.deliver();
    const card = sandbox.leads()[0]!.created_record_id!;
    const utc = new Date(Date.parse(start)).toISOString();
    // The log's record of this very tour, refused ten minutes ago (its lead source, since fixed).
    old = {
      id: 'wl_old',
      created_at: new Date(relay.clock.now() - 10 * MINUTE).toISOString(),
      job_id: 'job_refused_before_fix',
      job_log_id: 'jl_old',
      status: 'FAILURE',
      integration_id: SANDBOX_IDS.integration_id,
      job_type: 'resman-create-appointment',
      parameters: { lead_id: card, appointment_date: utc.slice(0, 10), appointment_time: utc.slice(11, 19) },
      error: 'Transaction Source could not be found',
      name: 'resman-create-appointment',
    };
    // This POST never reaches ResMan: the tour is in doubt, and must not follow the old job.
    sandbox.injectFault({ kind: 'reset', times: 1, path: APPOINTMENT_PATH, method: 'POST' });
    expect((await book(JANE, start)).status).toBe(202);
    await relay.deliver(60 * MINUTE);
    expect(bookings()).toHaveLength(1);
    const tour = (await relay.store.list({})).find((r) => r.tour_start !== undefined)!;
    expect(tour).toMatchObject({ status: 'confirmed', created_record_id: bookings()[0]!.event_id });
    expect(relay.logs().filter((l) => l.event === 'lead.found_in_write_logs')).toEqual([]);
  });

  it('with write logs refused, a tour in doubt that Propexo does not list yet is a dead letter for a person, never sent twice', async () => {
    const refused = async (path: string, res: Response) =>
      path.startsWith('/v1/admin/logs/writes/')
        ? new Response(JSON.stringify({ error: 'Bad Request', message: 'write logs are not enabled for this token' }), { status: 400 })
        : res;
    const { relay, sandbox, starts, book, bookings } = relayWithSandbox({ answer: refused, sandbox: { readBackDelayMs: 3 * 60 * MINUTE } });
    sandbox.injectFault({ kind: 'reset_after_receive', times: 1, path: APPOINTMENT_PATH, method: 'POST' });
    expect((await book(JANE, (await starts())[0]!)).status).toBe(202);
    await relay.deliver(60 * MINUTE);
    expect(bookings()).toHaveLength(1);
    const tour = (await relay.store.list({})).find((r) => r.tour_start !== undefined)!;
    expect(tour).toMatchObject({ status: 'failed', error: 'in_doubt_unresolved' });
  });

  it('an appointment POST Propexo never handled is looked for, then sent again once', async () => {
    const { relay, sandbox, starts, book, bookings } = relayWithSandbox();
    sandbox.injectFault({ kind: 'reset', times: 1, path: APPOINTMENT_PATH, method: 'POST' });
    expect((await book(JANE, (await starts())[0]!)).status).toBe(202);
    await relay.deliver(60 * MINUTE);
    expect(bookings()).toHaveLength(1);
    expect(relay.logs().filter((l) => l.event === 'lead.resending_appointment')).toHaveLength(1);
  });

  it("a held lead's tour takes no place and is never sent", async () => {
    const { relay, starts, bookings } = relayWithSandbox();
    const start = (await starts())[0]!;
    const res = await postLead(relay.app, { ...JANE, tour: { start }, meta: { trap: 'i am a bot' } });
    expect(res.status).toBe(202);
    await relay.deliver();
    expect(bookings()).toHaveLength(0);
    expect(await starts()).toContain(start);
    expect((await relay.store.counts()).held).toBe(2);
  });

  it("an operator's release counts Propexo's own tour in the slot: of two held bookings in a slot of two, one is kept", async () => {
    const { relay, slots, bookings } = relayWithSandbox({ perSlot: 2 });
    // Tomorrow at 10:00 in Austin the office has a tour in ResMan (the sandbox's): one place left.
    const tomorrow = (await slots()).days[1]!;
    const ten = tomorrow.slots.find((s) => s.label === '10:00 AM')!.start;
    const held = async (i: number) => {
      const res = await postLead(relay.app, { ...person(i), tour: { start: ten }, meta: { trap: 'filled' } });
      return ((await res.json()) as { id: string }).id;
    };
    const [a, b] = [await held(1), await held(2)];
    const release = async (id: string) =>
      (
        await relay.app.request(`/admin/api/leads/${id}/release`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })
      ).json();
    expect(await release(a)).toMatchObject({ status: 'queued', tour: 'released' });
    expect(await release(b)).toMatchObject({ status: 'queued', tour: 'slot_taken' });
    await relay.deliver();
    expect(bookings()).toHaveLength(1);
  });

  it('a tour waits out its dead-lettered lead: once an operator retries the lead days later, the tour goes too', async () => {
    const { relay, sandbox, starts, book, bookings } = relayWithSandbox();
    const later = (await starts()).at(-1)!; // thirteen days ahead
    sandbox.injectFault({ kind: '503', times: 100_000, path: '/v1/leads/resman', method: 'POST' });
    const { id } = (await (await book(JANE, later)).json()) as { id: string };
    await relay.deliver(4 * DAY);
    expect(await relay.store.get(id)).toMatchObject({ status: 'failed', error: 'not_delivered_in_time' });
    const tour = (await relay.store.list({})).find((r) => r.tour_start !== undefined)!;
    expect(tour).toMatchObject({ status: 'queued', error: 'waiting_for_lead_failed' });
    sandbox.clearFaults();
    const retry = await relay.app.request(`/admin/api/leads/${id}/retry`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(retry.status).toBe(200);
    await relay.deliver(60 * MINUTE);
    expect(bookings()).toHaveLength(1);
    expect(await relay.store.get(tour.id)).toMatchObject({ status: 'confirmed' });
  });

  it('a tour whose time comes before it could be sent becomes a dead letter for the office', async () => {
    const { relay, sandbox, starts, book, bookings } = relayWithSandbox();
    sandbox.injectFault({ kind: '503', times: 100_000, path: '/v1/leads/resman', method: 'POST' });
    expect((await book(JANE, (await starts())[0]!)).status).toBe(202);
    await relay.deliver(2 * DAY);
    const tour = (await relay.store.list({})).find((r) => r.tour_start !== undefined)!;
    expect(tour).toMatchObject({ status: 'failed', error: 'tour_time_passed' });
    expect(bookings()).toHaveLength(0);
    expect(relay.logs().filter((l) => l.event === 'lead.dead_letter' && l.reason === 'tour_time_passed')).toHaveLength(1);
  });

  it('refuses what is not a bookable tour with a clear 4xx', async () => {
    const { relay, starts, book } = relayWithSandbox();
    const [first] = await starts();
    const fieldsOf = async (res: Response) => ((await res.json()) as { error: { fields: { field: string; code: string }[] } }).error.fields;
    const noTours = await book(JANE, first!, undefined, 'no-tours');
    expect(noTours.status).toBe(400);
    expect(await fieldsOf(noTours)).toEqual([expect.objectContaining({ field: 'tour', code: 'unknown_field' })]);
    const offGrid = await book(JANE, first!.replace(/:00(?=[-+])/, ':07'));
    expect(offGrid.status).toBe(400);
    expect(await fieldsOf(offGrid)).toEqual([expect.objectContaining({ field: 'tour.start', code: 'invalid_choice' })]);
    const extra = await postLead(relay.app, { ...JANE, tour: { start: first, unit: 'x' } });
    expect(await fieldsOf(extra)).toEqual([expect.objectContaining({ field: 'tour.unit', code: 'unknown_field' })]);
    const notObject = await postLead(relay.app, { ...JANE, tour: first });
    expect(await fieldsOf(notObject)).toEqual([expect.objectContaining({ field: 'tour', code: 'invalid_type' })]);
    // A real slot gone past the notice while the prospect typed: the slots open now.
    relay.clock.advance(15 * DAY);
    const late = await book(JANE, first!);
    expect(late.status).toBe(409);
    expect((await relay.store.counts()).queued).toBe(0);
  });
});
