/**
 * A site's ids are resolved when a lead is sent, not when it is accepted (issue 11): a dead letter
 * refused for a bad id goes out with the fixed one once the site is fixed and an operator retries it,
 * and the log says which ids changed.
 */
import { describe, expect, it } from 'vitest';
import { newLeadRecord } from '../../relay/outbox/store/types.js';
import { ORIGIN, SITE_IDS, VALID_LEAD, buildRelay, okResponse, postLead, propexoLike } from './fixtures.js';

const ADMIN = 'adm_0123456789abcdef';
const admin = { authorization: `Bearer ${ADMIN}` };
type Ids = typeof SITE_IDS;

const sitesJson = (ids: Ids, map: Record<string, string>) =>
  JSON.stringify({ 'oak-grove': { name: 'Oak Grove', ...ids, allowed_origins: [ORIGIN], form_token: 'optional', lead_source_map: map } });

/** Propexo refusing (400) any create that carries one of `bad`. */
const refusing = (bad: string[]) =>
  propexoLike({
    create: (call) => {
      const body = call.body as Record<string, unknown>;
      return Object.values(body).some((v) => typeof v === 'string' && bad.includes(v))
        ? Response.json({ error: { code: 'invalid_request', message: 'Invalid id' } }, { status: 400 })
        : okResponse('job_fixed');
    },
  });

const creates = (relay: ReturnType<typeof buildRelay>) =>
  relay.upstream.calls.filter((c) => c.url.endsWith('/v1/leads/resman/')).map((c) => c.body as Record<string, unknown>);

/** A lead accepted under `before`, dead-lettered, then retried by an operator under `after`. */
async function fixAndRetry(
  before: { ids: Ids; map: Record<string, string> },
  after: { ids: Ids; map: Record<string, string> },
  bad: string[],
) {
  const first = buildRelay({ env: { SITES_JSON: sitesJson(before.ids, before.map), ADMIN_TOKEN: ADMIN }, handler: refusing(bad) });
  const res = await postLead(first.app, { ...VALID_LEAD, meta: { attribution: { utm_source: 'Google' } } });
  const { id } = (await res.json()) as { id: string };
  await first.deliver();
  expect((await first.store.get(id))!).toMatchObject({ status: 'failed', error: 'propexo_rejected' });
  expect(creates(first)).toHaveLength(1);

  // The operator fixes the site: a relay with the new configuration on the same outbox.
  const second = buildRelay({
    env: { SITES_JSON: sitesJson(after.ids, after.map), ADMIN_TOKEN: ADMIN },
    handler: refusing(bad),
    store: first.store,
  });
  const retry = await second.app.request(`/admin/leads/${id}/retry`, { method: 'POST', headers: admin });
  expect(retry.status).toBe(200);
  await second.deliver();
  return { first, second, id, sentBefore: creates(first)[0]!, sentAfter: creates(second) };
}

describe('site ids resolved when a lead is sent', () => {
  it("a dead letter refused for its campaign's lead source goes out with the fixed one after an operator's retry", async () => {
    const { second, id, sentBefore, sentAfter } = await fixAndRetry(
      { ids: SITE_IDS, map: { google: 'lsrc_bad' } },
      { ids: SITE_IDS, map: { google: 'lsrc_google' } },
      ['lsrc_bad'],
    );
    expect(sentBefore.lead_source_id).toBe('lsrc_bad');
    expect(sentAfter).toHaveLength(1);
    expect(sentAfter[0]).toMatchObject({ ...SITE_IDS, lead_source_id: 'lsrc_google' });
    expect((await second.store.get(id))!.status).toBe('confirmed');
    const changed = second.logs().filter((l) => l.event === 'lead.ids_changed');
    expect(changed).toHaveLength(1);
    expect(changed[0]).toMatchObject({ lead_id: id, site: 'oak-grove', changed: ['lead_source_id'] });
    // Names of ids, no personal data.
    expect(JSON.stringify(changed[0])).not.toMatch(/jane|doe|5550142|gmail/i);
  });

  it("a dead letter refused for the site's property and employee goes out with the fixed ones", async () => {
    const bad = { ...SITE_IDS, property_id: 'prop_typo', employee_id: 'emp_gone' };
    const { second, id, sentBefore, sentAfter } = await fixAndRetry(
      { ids: bad, map: { google: 'lsrc_google' } },
      { ids: SITE_IDS, map: { google: 'lsrc_google' } },
      ['prop_typo', 'emp_gone'],
    );
    expect(sentBefore).toMatchObject({ property_id: 'prop_typo', employee_id: 'emp_gone' });
    expect(sentAfter).toHaveLength(1);
    expect(sentAfter[0]).toMatchObject({ ...SITE_IDS, lead_source_id: 'lsrc_google' });
    expect((await second.store.get(id))!.status).toBe('confirmed');
    const changed = second.logs().filter((l) => l.event === 'lead.ids_changed');
    expect(changed.map((l) => l.changed)).toEqual([['property_id', 'employee_id']]);
  });

  it('a campaign the map did not list when the lead came in gets the source mapped when it is sent', async () => {
    const first = buildRelay({ env: { SITES_JSON: sitesJson(SITE_IDS, {}) } });
    await postLead(first.app, { ...VALID_LEAD, meta: { attribution: { utm_source: 'Google' } } });
    expect(first.store.all()[0]).toMatchObject({ campaign: 'google' });
    expect(first.store.all()[0]).not.toHaveProperty('lead_source_id');
    const second = buildRelay({ env: { SITES_JSON: sitesJson(SITE_IDS, { google: 'lsrc_google' }) }, store: first.store });
    await second.deliver();
    expect(creates(second).map((b) => b.lead_source_id)).toEqual(['lsrc_google']);
    expect(second.logs().filter((l) => l.event === 'lead.ids_changed')).toEqual([]);
  });

  it('a lead stored before campaigns were kept is sent with the lead source it was given', async () => {
    const relay = buildRelay({ env: { SITES_JSON: sitesJson(SITE_IDS, { google: 'lsrc_google' }) } });
    const old = newLeadRecord(
      {
        id: 'ld_old',
        site: 'oak-grove',
        fingerprints: [],
        submission: { first_name: 'Ana', last_name: 'Old', phone_1: '5125550100' },
        lead_source_id: 'lsrc_chosen_at_accept',
      },
      relay.clock.now(),
    );
    await relay.store.accept(old, { now: relay.clock.now(), keyWindowMs: 1, dedupeWindowMs: 1 });
    await relay.deliver();
    expect(creates(relay)).toEqual([expect.objectContaining({ ...SITE_IDS, lead_source_id: 'lsrc_chosen_at_accept' })]);
  });
});
