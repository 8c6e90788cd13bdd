/**
 * The console's pieces the runtime suite does not reach: a lead's timeline through a dead letter and
 * an operator's retry (who retried, the reason it failed, the attempt Propexo refused), the CSV's
 * masking and its guard against spreadsheet formulas, the leads filter's refusals, and the overview's
 * figures on a manual clock.
 */
import { describe, expect, it } from 'vitest';
import type { LeadActivity, LeadRecord } from '../../relay/outbox/store/types.js';
import { leadsCsv, parseLeadFilter, reasonOf, siteOverview } from '../../relay/routes/console-data.js';
import { VALID_LEAD, buildRelay, errorOf, postLead, propexoLike } from './fixtures.js';

const ADMIN = 'adm_0123456789abcdef';

describe('a lead timeline through a dead letter and a retry', () => {
  it('records the refused attempt, the dead letter, the retry with who, and the confirmation', async () => {
    let reject = true;
    const relay = buildRelay({
      env: { ADMIN_TOKEN: ADMIN },
      handler: (c, i) =>
        (reject
          ? propexoLike({ create: () => Response.json({ error: { code: 'invalid_request', message: 'Invalid' } }, { status: 400 }) })
          : propexoLike())(c, i),
    });
    const { id } = (await (await postLead(relay.app, VALID_LEAD)).json()) as { id: string };
    await relay.deliver();
    reject = false;
    const bearer = { authorization: `Bearer ${ADMIN}` };
    const retry = await relay.app.request(`/admin/api/leads/${id}/retry`, { method: 'POST', headers: bearer });
    expect(await retry.json()).toEqual({ id, status: 'queued' });
    await relay.deliver();
    const { lead, history } = (await (await relay.app.request(`/admin/api/leads/${id}`, { headers: bearer })).json()) as {
      lead: { status: string };
      history: { type: string; detail?: Record<string, unknown> }[];
    };
    expect(lead.status).toBe('confirmed');
    expect(history.map((e) => e.type)).toEqual(['accepted', 'dead_lettered', 'retried', 'attempt', 'confirmed']);
    expect(history[1]!.detail).toEqual({ reason: 'propexo_rejected', status: 400 });
    expect(history[2]!.detail).toEqual({ by: 'token', previous_error: 'propexo_rejected' });
    // The Bearer API needs no Origin; a second retry is a conflict.
    const again = await relay.app.request(`/admin/api/leads/${id}/retry`, { method: 'POST', headers: bearer });
    expect([again.status, (await errorOf(again)).code]).toEqual([409, 'conflict']);
  });
});

describe('reveal', () => {
  it('logs who revealed which lead and when, without the contact, and answers it only to the one who asked', async () => {
    const relay = buildRelay({ env: { ADMIN_TOKEN: ADMIN } });
    const { id } = (await (await postLead(relay.app, VALID_LEAD)).json()) as { id: string };
    const bearer = { authorization: `Bearer ${ADMIN}` };
    const shown = await (await relay.app.request(`/admin/api/leads/${id}`, { headers: bearer })).text();
    expect(shown).not.toMatch(/jane\.doe@gmail\.com|5125550142|We have a cat/);
    const revealed = (await (await relay.app.request(`/admin/api/leads/${id}/reveal`, { method: 'POST', headers: bearer })).json()) as {
      contact: Record<string, unknown>;
    };
    expect(revealed.contact).toMatchObject({ email_1: 'jane.doe@gmail.com', phone_1: '5125550142', notes: 'We have a cat.' });
    const line = relay.logs().find((l) => l.event === 'lead.revealed' || l.msg === 'lead.revealed');
    expect(line).toMatchObject({ lead_id: id, site: 'oak-grove', by: 'token', at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/) });
    expect(JSON.stringify(relay.logs())).not.toMatch(/jane\.doe@gmail\.com|5125550142/);
  });
});

describe("a lead's reason, as the console shows it", () => {
  const of = (error: string, detail: unknown) => reasonOf({ error, error_detail: JSON.stringify(detail) });

  it("names a waiting lead's wrong ids, the fields Propexo refused, and ResMan's errors", () => {
    expect(of('site_misconfigured', [{ field: 'lead_source_map.google', id: 'src_x', problem: 'refused' }])).toBe(
      'lead_source_map.google src_x: refused',
    );
    const issues = [{ code: 'custom', path: ['phone_1'], message: 'Phone number is not reachable' }];
    expect(of('propexo_rejected', { status: 400, details: { message: 'invalid request', details: { issues } } })).toBe(
      'Propexo answered 400: ["phone_1"] Phone number is not reachable',
    );
    expect(of('write_failed', { errors: ['Transaction Source could not be found'] })).toBe('ResMan: Transaction Source could not be found');
    expect(of('not_delivered_in_time', { error: 'site_misconfigured' })).toBe('last error: site_misconfigured');
  });

  it('masks an email or phone an upstream message quotes, and says nothing without a detail', () => {
    const quoted = of('write_failed', { errors: ['Prospect jane.doe@gmail.com (512-555-0142) already exists'] });
    expect(quoted).toBe('ResMan: Prospect j***@gmail.com (******0142) already exists');
    expect(reasonOf({ error: 'propexo_rejected' })).toBeNull();
    expect(reasonOf({ error: 'write_failed', error_detail: 'not json' })).toBeNull();
    expect(reasonOf({ error_detail: '["x"]' })).toBeNull();
  });
});

describe('console data', () => {
  const record = (extra: Partial<LeadRecord>): LeadRecord => ({
    id: 'ld_1',
    site: 'oak-grove',
    status: 'queued',
    submission: { first_name: '=HYPERLINK("x")', last_name: 'Doe', email_1: 'jane.doe@gmail.com', phone_1: '5125550142' },
    fingerprints: [],
    created_at: 0,
    updated_at: 0,
    age_from: 0,
    next_attempt_at: 0,
    attempts: 0,
    checks: 0,
    write_retries: 0,
    ...extra,
  });

  it('exports CSV masked, with formulas defused and quotes doubled', () => {
    const csv = leadsCsv([record({ error: 'say "hi", then' })]);
    const [header, row] = csv.split('\r\n');
    expect(header).toBe(
      'id,site,status,created_at,updated_at,confirmed_at,attempts,error,reason,name,email,phone,target_move_in_date,desired_num_bedrooms,floor_plan_id,unit_id,campaign,created_record_id,tour_start,tour_of',
    );
    expect(row).toContain(`"'=HYPERLINK(""x"") D."`);
    expect(row).toContain('"say ""hi"", then"');
    expect(row).toContain('j***@gmail.com,******0142');
    expect(csv).not.toMatch(/jane\.doe|5125550142/);
  });

  it('refuses a bad filter with the field and its code', () => {
    const bad = [
      [{ status: 'lost' }, 'status', 'invalid_choice'],
      [{ from: '2026-13-45' }, 'from', 'invalid_date'],
      [{ q: '555-01' }, 'q', 'invalid_phone'],
      [{ limit: '0' }, 'limit', 'out_of_range'],
    ] as const;
    for (const [query, field, code] of bad) {
      const read = (key: string) => (query as Record<string, string>)[key];
      expect(() => parseLeadFilter(read)).toThrow(expect.objectContaining({ status: 400, fields: [{ field, code }] }));
    }
    expect(parseLeadFilter((k) => ({ q: ' +1 (512) 555-0142 ', to: '2026-01-01' })[k as 'q'])).toEqual({
      limit: 100,
      contact: { phone: '5125550142' },
      to: Date.parse('2026-01-02T00:00:00Z'),
    });
  });

  it('counts today and the week per site, with the median time to confirm; a tour is counted as a tour, not a lead', () => {
    const now = Date.parse('2026-03-10T15:00:00Z');
    const today = Date.parse('2026-03-10T01:00:00Z');
    const rows: LeadActivity[] = [
      { id: 'a', site: 'oak-grove', status: 'confirmed', created_at: today, confirmed_at: today + 1000, attempts: 1 },
      { id: 'b', site: 'oak-grove', status: 'confirmed', created_at: today, confirmed_at: today + 3000, attempts: 1 },
      { id: 'c', site: 'oak-grove', status: 'queued', created_at: now - 3 * 86_400_000, attempts: 0 },
      { id: 'd', site: 'oak-grove', status: 'held', created_at: now - 1000, attempts: 0, error: 'spam:honeypot' },
      // Lead b's tour, confirmed too; and the tour of held lead d, which is no booking.
      { id: 'b-tour', site: 'oak-grove', status: 'confirmed', created_at: today, confirmed_at: today + 9000, attempts: 1, tour: true },
      { id: 'd-tour', site: 'oak-grove', status: 'held', created_at: now - 1000, attempts: 0, error: 'spam:honeypot', tour: true },
    ];
    const [oak, vista] = siteOverview(rows, ['vista'], now);
    expect(oak).toEqual({
      site: 'oak-grove',
      today: { accepted: 3, delivered: 2, confirmed: 2, held: 1, failed: 0, median_confirm_ms: 2000, tours: 1 },
      last_7_days: { accepted: 4, delivered: 2, confirmed: 2, held: 1, failed: 0, median_confirm_ms: 2000, tours: 1 },
      oldest_queued_at: now - 3 * 86_400_000,
    });
    expect(vista!.today.accepted).toBe(0);
  });
});
