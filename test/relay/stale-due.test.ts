/**
 * A store whose `due()` answers with rows read before a task wrote them (Postgres: a round trip in
 * which another task commits) must not hand a lead to a second task with that old copy: the fault
 * matrix saw a lead confirmed twice on Postgres. The store here reads, then waits, then answers.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryLeadStore } from '../../relay/outbox/store/memory.js';
import { VALID_LEAD, buildRelay, postLead } from './fixtures.js';

describe('due leads read before a task wrote them', () => {
  it('are not handed to a second task: one confirmation per lead', async () => {
    const inner = createMemoryLeadStore();
    const slowReads = Object.assign(Object.create(inner) as typeof inner, {
      async due(now: number, limit: number) {
        const rows = await inner.due(now, limit);
        // Meanwhile the task working on these leads finishes and writes them.
        await new Promise((resolve) => setTimeout(resolve, 30));
        return rows;
      },
    });
    const relay = buildRelay({ store: slowReads });
    for (const name of ['Ann', 'Bea', 'Cy']) {
      expect(
        (await postLead(relay.app, { ...VALID_LEAD, first_name: name, email_1: `${name}@gmail.com` }, { headers: { 'x-n': name } })).status,
      ).toBe(202);
    }
    await relay.deliver();
    const confirmations = relay.logs().filter((l) => l.event === 'lead.confirmed');
    expect(confirmations.map((l) => l.lead_id).sort()).toEqual(
      relay.store
        .all()
        .map((l) => l.id)
        .sort(),
    );
    expect(relay.upstream.calls.filter((c) => c.method === 'POST')).toHaveLength(3);
  });
});
