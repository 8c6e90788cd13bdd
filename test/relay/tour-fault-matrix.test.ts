/**
 * Issue 15's Done-when, "appointment delivery passes the same fault matrix as leads": the cases of
 * the leads' matrix (support/fault-cases.ts), queued in waves on `POST /v1/events/appointments/leads/resman`
 * as the sandbox receives bookings, while a burst of prospects each book their own tour through a
 * real relay. Every lead and every tour must end confirmed exactly once: the sandbox holds one lead
 * per prospect and exactly one appointment per booking, on that prospect's lead, at the instant
 * chosen; none is a dead letter.
 *
 * On every outbox (support/matrix-stores.ts). SQLite runs every case without Propexo's read-back
 * (the harder mode: a tour then finds its lead by the create's write-status) and one case of each
 * outcome (found, sent again, retried) with it; PostgreSQL and the Durable Object in workerd run those
 * three without read-back, which keeps the file near half a minute: the delivery steps are the same
 * code on every store, and what differs (the claims) each of those cases crosses.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ToursAnswer } from '../../contract/tours.js';
import type { RunningSandbox, SandboxTourBooking } from '../../sandbox/index.js';
import {
  ANSWER_TIMEOUT_MS,
  CASES,
  CASE_DEADLINE_MS,
  UPSTREAM_TIMEOUT_MS,
  contactOf,
  faultWaves,
  lead,
  pool,
  startReadBackSandboxes,
  wavesFor,
  type FaultCase,
  type ReadBack,
} from './support/fault-cases.js';
import {
  ORIGIN,
  SITE,
  durableObjectStore,
  postgresStore,
  sqliteStore,
  type MatrixRelay,
  type MatrixStore,
} from './support/matrix-stores.js';

const APPOINTMENT_PATH = '/v1/events/appointments/leads/resman';
const SOME = new Set(['reset after processing', '502 (proxy page)', '429']);

const some = CASES.filter((c) => SOME.has(c.name));
const PLAN: { store: MatrixStore; bookings: number; mode: ReadBack; cases: FaultCase[] }[] = [
  { store: sqliteStore, bookings: 30, mode: 'delayed', cases: CASES },
  { store: sqliteStore, bookings: 30, mode: 'immediate', cases: some },
  { store: postgresStore, bookings: 16, mode: 'delayed', cases: some },
  { store: durableObjectStore, bookings: 16, mode: 'delayed', cases: some },
];

let sandboxes = {} as Record<ReadBack, RunningSandbox>;
let onReceived = () => {};
let relay: MatrixRelay | undefined;

beforeAll(async () => {
  sandboxes = await startReadBackSandboxes(() => onReceived());
});
afterAll(async () => {
  await Promise.all(Object.values(sandboxes).map((s) => s.close()));
});

async function runCase(store: MatrixStore, bookings: number, mode: ReadBack, fc: FaultCase): Promise<void> {
  const sandbox = sandboxes[mode];
  const waves = wavesFor(bookings);
  const tag = `tour${fc.kind.replace(/[^a-z0-9]/gi, '').toLowerCase()}`;
  const booked = () => sandbox.appointments().filter((a): a is SandboxTourBooking => a.action === 'create');
  const faults = faultWaves(sandbox, fc, waves, APPOINTMENT_PATH, () => booked().length);
  onReceived = faults.check;
  onReceived();
  relay = await store.start(sandbox.url, fc.holds ? UPSTREAM_TIMEOUT_MS : ANSWER_TIMEOUT_MS);
  const r = relay;

  const slots = (await (await fetch(`${r.url}/v1/sites/${SITE}/tours`, { headers: { origin: ORIGIN } })).json()) as ToursAnswer;
  const starts = slots.days.flatMap((d) => d.slots.map((s) => s.start)).slice(0, bookings);
  expect(starts).toHaveLength(bookings);
  const prospects = starts.map((start, i) => ({ body: lead(tag, i), start }));
  const answers = await pool(prospects, 10, async ({ body, start }, i) => {
    const headers: Record<string, string> = { origin: ORIGIN, 'content-type': 'application/json' };
    if (i % 2 === 0) headers['idempotency-key'] = `tour-fault-${tag}-${i}-key`;
    const res = await fetch(`${r.url}/v1/sites/${SITE}/leads`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ ...body, tour: { start } }),
      signal: AbortSignal.timeout(10_000),
    });
    return res.status;
  });
  expect(answers).toEqual(Array(bookings).fill(202));

  await expect
    .poll(
      async () => {
        const c = await r.counts();
        return c.confirmed + c.failed;
      },
      { timeout: CASE_DEADLINE_MS, interval: 50 },
    )
    .toBeGreaterThanOrEqual(2 * bookings)
    .catch(() => {}); // the counts below say what was left
  expect(await r.counts()).toEqual({ queued: 0, sent: 0, confirmed: 2 * bookings, failed: 0, held: 0 });

  // One lead per prospect, and exactly one appointment per booking, on that prospect's lead, at its instant.
  const leadOf = new Map(sandbox.leads().map((l) => [contactOf(l.body), l]));
  expect(sandbox.leads()).toHaveLength(bookings);
  const appointments = booked();
  const perLead = new Map<string, SandboxTourBooking[]>();
  for (const a of appointments) perLead.set(a.lead_id, [...(perLead.get(a.lead_id) ?? []), a]);
  const wrong = prospects.flatMap(({ body, start }) => {
    const card = leadOf.get(contactOf(body))?.created_record_id;
    const onCard = card ? (perLead.get(card) ?? []) : [];
    const utc = new Date(Date.parse(start)).toISOString();
    const ok =
      onCard.length === 1 &&
      onCard[0]!.write_status === 'SUCCESS' &&
      onCard[0]!.body.appointment_date === utc.slice(0, 10) &&
      onCard[0]!.body.appointment_time === utc.slice(11, 19);
    return ok ? [] : [`${contactOf(body)}: ${onCard.length} appointments`];
  });
  expect(wrong, 'bookings without exactly one appointment at their instant on their lead').toEqual([]);
  expect(appointments).toHaveLength(bookings);

  // A confirmed tour keeps the appointment's id (the slots count it once by it), never another's.
  const eventIds = new Set(appointments.map((a) => a.event_id));
  const tours = (await r.list()).filter((x) => x.tour_start !== undefined);
  expect(tours).toHaveLength(bookings);
  expect(tours.filter((t) => t.created_record_id !== undefined && !eventIds.has(t.created_record_id))).toEqual([]);

  // The faults fired, and the relay took the path each calls for.
  expect(faults.queued()).toBe(waves.at.length);
  expect(await (await sandbox.app.request('/__sandbox/faults')).json()).toEqual([]);
  const logs = r.logs();
  expect(logs.filter((l) => l.event === fc.event && fc.reason.test(l.reason ?? '')).length).toBeGreaterThanOrEqual(waves.total);
  const count = (event: string, match: (l: Record<string, unknown>) => boolean = () => true) =>
    logs.filter((l) => l.event === event && match(l as unknown as Record<string, unknown>)).length;
  if (fc.outcome === 'found')
    expect(
      count('lead.found_in_write_logs', (l) => l.write_kind === 'appointment') +
        count('lead.confirmed', (l) => l.how === 'found_after_doubt'),
      'appointments found after doubt',
    ).toBeGreaterThanOrEqual(waves.total);
  if (fc.outcome === 'resent') expect(count('lead.resending_appointment')).toBeGreaterThanOrEqual(waves.total);
  expect(logs.filter((l) => l.event === 'lead.dead_letter' || l.event === 'deliverer.error')).toEqual([]);
}

describe.each(PLAN)("appointments' fault matrix on the $store.name outbox, $mode read-back", ({ store, bookings, mode, cases }) => {
  beforeAll(() => store.setup(), 60_000);
  afterEach(async () => {
    onReceived = () => {};
    await relay?.close();
    relay = undefined;
    for (const sandbox of Object.values(sandboxes)) sandbox.reset();
  });
  afterAll(() => store.teardown(), 30_000);

  describe(`${bookings} bookings per fault, each one appointment`, () => {
    it.each(cases)('$name', { timeout: CASE_DEADLINE_MS + 20_000 }, (fc) => runCase(store, bookings, mode, fc));
  });
});
