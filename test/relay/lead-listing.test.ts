/**
 * The lead listing that confirmation rounds read (`client.listLeads`), against the sandbox's
 * `GET /v1/leads/`. The matching rules a round applies to what it reads: matching.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { createPropexoClient } from '../../relay/propexo/client.js';
import { SANDBOX_IDS } from '../../sandbox/index.js';
import { TOKEN, aLead, setup } from './sandbox-helpers.js';

const property = { integration_id: SANDBOX_IDS.integration_id, property_id: SANDBOX_IDS.property_id };

describe('client.listLeads', () => {
  it("reads a property's leads newest first, a page at a time, with hasMore", async () => {
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

  it('a page whose meta leaves hasMore out (or null) says nothing of what follows', async () => {
    for (const meta of [{}, { hasMore: null }, undefined]) {
      const client = createPropexoClient({
        baseUrl: 'http://propexo.test',
        token: TOKEN,
        timeoutMs: 1_000,
        fetch: (async () => Response.json({ ...(meta ? { meta } : {}), results: [] })) as typeof fetch,
      });
      expect(await client.listLeads(property, { offset: 0, limit: 250 })).toMatchObject({ ok: true, hasMore: null });
    }
  });

  it('an answer without a results array is unreadable, not an empty page', async () => {
    const client = createPropexoClient({
      baseUrl: 'http://propexo.test',
      token: TOKEN,
      timeoutMs: 1_000,
      fetch: (async () => Response.json({ meta: { hasMore: false } })) as typeof fetch,
    });
    expect(await client.listLeads(property, { offset: 0, limit: 250 })).toMatchObject({
      ok: false,
      kind: 'unavailable',
      reason: 'unreadable_body',
    });
  });
});
