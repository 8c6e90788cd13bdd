/**
 * The lead listing that confirmation rounds read (`client.listLeads`), against the sandbox's
 * `GET /v1/leads/`, and the matching rules a round applies to what it reads.
 */
import { describe, expect, it } from 'vitest';
import { exactTime, samePerson } from '../../relay/outbox/delivery/matching.js';
import { createPropexoClient } from '../../relay/propexo/client.js';
import { SANDBOX_IDS } from '../../sandbox/index.js';
import type { LeadRecord } from '../../relay/outbox/store/types.js';
import { TOKEN, aLead, setup } from './sandbox-helpers.js';

const property = { integration_id: SANDBOX_IDS.integration_id, property_id: SANDBOX_IDS.property_id };

describe('client.listLeads', () => {
  it('reads a property\'s leads newest first, a page at a time, with hasMore', async () => {
    const { clock, sandbox, postLead } = setup({ writeDelayMs: 0 });
    for (let i = 0; i < 7; i++) {
      expect((await postLead(aLead({ first_name: `Page${i}`, email_1: `page${i}@mail.test` }))).status).toBe(200);
      clock.advance(1_000);
    }
    const urls: string[] = [];
    const client = createPropexoClient({
      baseUrl: 'http://sandbox.test',
      token: TOKEN,
      timeoutMs: 1_000,
      fetch: ((input: RequestInfo | URL, init?: RequestInit) => {
        urls.push(String(input));
        return sandbox.app.request(String(input).replace('http://sandbox.test', ''), init);
      }) as typeof fetch,
    });

    const first = await client.listLeads(property, { offset: 0, limit: 3 });
    if (!first.ok) throw new Error(first.reason);
    expect(first.hasMore).toBe(true);
    expect(first.leads.map((l) => l.first_name)).toEqual(['Page6', 'Page5', 'Page4']);
    expect(first.rateLimitLimit).toBe(150);
    const query = new URL(urls[0]!).searchParams;
    expect(Object.fromEntries(query)).toEqual({ ...property, offset: '0', limit: '3', 'order-by': 'created_at:desc' });

    // The sandbox's own demo leads are older: the last page of ours runs into them.
    const rest = await client.listLeads(property, { offset: 6, limit: 250 });
    if (!rest.ok) throw new Error(rest.reason);
    expect(rest.leads[0]!.first_name).toBe('Page0');
    expect(rest.hasMore).toBe(false);
    // Out-of-range paging is clamped to Propexo's documented 1..250.
    await client.listLeads(property, { offset: -5, limit: 10_000 });
    expect(Object.fromEntries(new URL(urls[2]!).searchParams)).toMatchObject({ offset: '0', limit: '250' });
  });

  it('an answer without a results array is unreadable, not an empty page', async () => {
    const client = createPropexoClient({
      baseUrl: 'http://propexo.test',
      token: TOKEN,
      timeoutMs: 1_000,
      fetch: (async () => Response.json({ meta: { hasMore: false } })) as typeof fetch,
    });
    expect(await client.listLeads(property, { offset: 0, limit: 250 })).toMatchObject({ ok: false, kind: 'unavailable', reason: 'unreadable_body' });
  });
});

describe('what a round takes as the same prospect', () => {
  const lead = (submission: Partial<LeadRecord['submission']>) => ({ submission: { first_name: 'Jane', last_name: 'Doe', ...submission } }) as LeadRecord;
  const record = (extra: object) => ({ id: 'r', first_name: 'JANE ', last_name: 'doe', email_1: null, phone_1: null, created_at: null, ...extra });

  it('folded names and the same email or 10-digit phone', () => {
    expect(samePerson(lead({ email_1: 'Jane@Mail.test' }), record({ email_1: 'jane@mail.test' }))).toBe(true);
    expect(samePerson(lead({ phone_1: '5125550142' }), record({ phone_1: '+1 (512) 555-0142' }))).toBe(true);
    expect(samePerson(lead({ email_1: 'jane@mail.test' }), record({ email_1: 'other@mail.test' }))).toBe(false);
    expect(samePerson(lead({ email_1: 'jane@mail.test' }), record({ first_name: 'Janet', email_1: 'jane@mail.test' }))).toBe(false);
    expect(samePerson(lead({ email_1: 'jane@mail.test' }), record({ phone_1: '5125550142' }))).toBe(false);
  });

  it('only a full creation time is evidence: a bare date or none is not', () => {
    expect(exactTime('2026-01-15T10:00:00.000Z')).toBe(Date.UTC(2026, 0, 15, 10));
    expect(exactTime('2026-01-15')).toBeNaN();
    expect(exactTime(null)).toBeNaN();
    expect(exactTime('yesterday')).toBeNaN();
  });
});
