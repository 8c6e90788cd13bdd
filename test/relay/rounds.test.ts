/**
 * The timing of confirmation rounds (schedule.ts), and a round on its own (rounds.ts) over a memory
 * store and a stub listing: the cases the deliverer's end-to-end tests reach only by timing.
 */
import { describe, expect, it } from 'vitest';
import { ConfirmationRounds } from '../../relay/outbox/delivery/rounds.js';
import { DEFAULT_POLICY, type DeliveryPolicy } from '../../relay/outbox/delivery/policy.js';
import { RoundSchedule } from '../../relay/outbox/delivery/schedule.js';
import { createLogger } from '../../relay/lib/log.js';
import { createMemoryLeadStore } from '../../relay/outbox/store/memory.js';
import { newLeadRecord } from '../../relay/outbox/store/types.js';
import type { PropexoClient } from '../../relay/propexo/client.js';
import { SITE_IDS, manualClock } from './fixtures.js';

const policy = { listingEveryMs: 60_000, confirmFirstDelayMs: 2_000, listingEmptyRounds: 2 };

describe('RoundSchedule', () => {
  it('a property never rounded may have one at once', () => {
    expect(new RoundSchedule(policy).nextAt('p', true)).toBe(Number.NEGATIVE_INFINITY);
  });

  it('after a round that listed: the backlog gap while creates wait, the short one once none do', () => {
    const schedule = new RoundSchedule(policy);
    schedule.start('p', 1_000, true).active = true;
    expect(schedule.gap(true)).toBe(60_000);
    expect(schedule.nextAt('p', true)).toBe(61_000);
    expect(schedule.nextAt('p', false)).toBe(3_000);
  });

  it('after a round with too few leads to list: soon, backlog or not; after a refused listing: not before its rest', () => {
    const schedule = new RoundSchedule(policy);
    schedule.start('p', 1_000, true);
    expect(schedule.nextAt('p', true)).toBe(3_000);
    schedule.start('q', 1_000, false).restUntil = 3_601_000;
    expect(schedule.nextAt('q', false)).toBe(3_601_000);
  });

  it('a lead waits for the next round only after one that listed, and at the backlog pace the round owes it', () => {
    const schedule = new RoundSchedule(policy);
    expect(schedule.waitUntil('p', 1_000, true)).toBeNull();
    schedule.start('p', 1_000, false).active = true;
    expect(schedule.waitUntil('p', 5_000, false)).toBeNull(); // the next round is already due
    expect(schedule.owesBacklog('p')).toBe(false);
    expect(schedule.waitUntil('p', 5_000, true)).toBe(61_000);
    expect(schedule.owesBacklog('p')).toBe(true);
  });

  it('listings that show none of their leads (no read-back): a rest after listingEmptyRounds, doubling, reset by one that shows any', () => {
    const schedule = new RoundSchedule(policy);
    const HOUR = 3_600_000;
    expect(schedule.listed('p', false)).toBe(0);
    expect(schedule.listed('p', false)).toBe(HOUR);
    expect(schedule.listed('q', false)).toBe(0); // each property on its own
    expect(schedule.listed('p', false)).toBe(2 * HOUR); // still nothing after the rest: one is enough
    expect(schedule.listed('p', false)).toBe(4 * HOUR);
    for (let i = 0; i < 10; i++) schedule.listed('p', false);
    expect(schedule.listed('p', false)).toBe(24 * HOUR);
    expect(schedule.listed('p', true)).toBe(0);
    expect(schedule.listed('p', false)).toBe(0);
    expect(schedule.listed('p', false)).toBe(HOUR);
    const never = new RoundSchedule({ ...policy, listingEmptyRounds: 0 });
    for (let i = 0; i < 5; i++) expect(never.listed('p', false)).toBe(0);
  });
});

describe('a round', () => {
  const SITES = new Map([['oak-grove', { ...SITE_IDS, name: 'Oak Grove', allowed_origins: [] }]]) as unknown as ConstructorParameters<
    typeof ConfirmationRounds
  >[0]['sites'];

  it('that skipped a waiting lead a task held makes the next one come as soon as no creates wait', async () => {
    const clock = manualClock();
    const t0 = clock.now();
    const store = createMemoryLeadStore();
    const names = Array.from({ length: 11 }, (_, i) => `L${i}`);
    for (const name of names) {
      const submission = { first_name: name, last_name: 'Doe', email_1: `${name}@mail.test` };
      const record = newLeadRecord({ id: `ld_${name}`, site: 'oak-grove', fingerprints: [], submission }, t0 - 30_000);
      await store.accept(
        { ...record, status: 'sent', job_id: `job_${name}`, attempts: 1, updated_at: t0 - 20_000, next_attempt_at: t0 },
        { now: t0, keyWindowMs: 0, dedupeWindowMs: 0 },
      );
    }
    const leads = names.map((name) => ({
      id: `rec_${name}`,
      first_name: name,
      last_name: 'Doe',
      email_1: `${name}@mail.test`,
      phone_1: null,
      created_at: new Date(t0 - 10_000).toISOString(),
    }));
    const client = { listLeads: async () => ({ ok: true, leads, hasMore: false }) } as unknown as PropexoClient;
    const busy = new Set(['ld_L10']);
    const rounds = new ConfirmationRounds({
      store,
      client,
      sites: SITES,
      clock,
      logger: createLogger({ sink: () => {} }),
      policy: { ...DEFAULT_POLICY, clockSkewMs: 60_000 } satisfies DeliveryPolicy,
      random: () => 0.5,
      upstream: (call) => call(),
      confirm: async (lead, id) => !!(await store.update(lead.id, { status: 'confirmed', created_record_id: id }, { ifStatus: 'sent' })),
      busy: (id) => busy.has(id),
    });

    // The round the backlog's end brings: L10 is in a task's hands (it was due in a backlog pass).
    expect(await rounds.run([(await store.get('ld_L0'))!], false)).toBe(10);
    expect((await store.get('ld_L10'))!.status).toBe('sent');
    // That task parks L10 for the next round at the backlog's pace (a minute), then lets it go.
    await store.update('ld_L10', { next_attempt_at: t0 + 60_000 });
    busy.clear();

    // The next round comes after the short gap, not the minute: too few to list, L10 is due now.
    clock.advance(DEFAULT_POLICY.confirmFirstDelayMs);
    expect(await rounds.run([], false)).toBe(1);
    expect((await store.get('ld_L10'))!.next_attempt_at).toBe(clock.now());
  });
});
