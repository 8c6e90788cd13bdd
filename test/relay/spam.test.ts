/**
 * Spam defence on the relay: the hidden field and the signed, timed form token. Suspected spam is
 * answered like any lead (a bot learns nothing), kept apart as `held`, never sent, and an operator
 * can release it.
 */
import { describe, expect, it } from 'vitest';
import { MIN_FILL_MS, createFormTokens } from '../../relay/spam/form-token.js';
import { ORIGIN, SITES, TOKEN, VALID_LEAD, buildRelay, postLead } from './fixtures.js';

const ADMIN = 'adm_spam_test_0123456789';

async function formToken(relay: ReturnType<typeof buildRelay>) {
  const res = await relay.app.request('/v1/sites/oak-grove/form', { headers: { origin: ORIGIN } });
  return ((await res.json()) as { form_token: string }).form_token;
}

describe('spam defence', () => {
  it('a lead sent back a few seconds after the form was handed out goes through', async () => {
    const relay = buildRelay();
    const token = await formToken(relay);
    relay.clock.advance(MIN_FILL_MS + 5_000);
    const res = await postLead(relay.app, { ...VALID_LEAD, meta: { form_token: token } });
    expect(await res.json()).toMatchObject({ status: 'queued' });
    expect(relay.store.all()[0]).toMatchObject({ status: 'queued' });
  });

  const held: [string, (relay: ReturnType<typeof buildRelay>) => Promise<object>, string][] = [
    ['the hidden field filled in', async () => ({ trap: 'http://cheap-pills.example' }), 'spam:honeypot'],
    ['sent back faster than a person types', async (relay) => ({ form_token: await formToken(relay) }), 'spam:form_token_too_fast'],
    ['a forged token', async () => ({ form_token: `${Date.now().toString(36)}.${'A'.repeat(43)}` }), 'spam:form_token_invalid'],
    [
      "another deployment's token",
      async (relay) => ({ form_token: await createFormTokens('another_propexo_token').issue('oak-grove', relay.clock.now() - 60_000) }),
      'spam:form_token_invalid',
    ],
    [
      'a token a day old',
      async (relay) => ({ form_token: await createFormTokens(TOKEN).issue('oak-grove', relay.clock.now() - 25 * 3_600_000) }),
      'spam:form_token_expired',
    ],
    [
      "another site's token",
      async (relay) => ({ form_token: await createFormTokens(TOKEN).issue('pine-ridge', relay.clock.now() - 60_000) }),
      'spam:form_token_invalid',
    ],
  ];
  for (const [what, meta, reason] of held) {
    it(`${what}: answered like any lead, held with its reason, never sent`, async () => {
      const relay = buildRelay();
      const res = await postLead(relay.app, { ...VALID_LEAD, meta: await meta(relay) });
      expect(res.status).toBe(202);
      const receipt = (await res.json()) as { id: string; status: string };
      expect(receipt.status).toBe('queued');
      const receiptLater = await relay.app.request(`/v1/sites/oak-grove/leads/${receipt.id}`, { headers: { origin: ORIGIN } });
      expect(await receiptLater.json()).toEqual({ id: receipt.id, status: 'queued' });
      expect(await relay.store.get(receipt.id)).toMatchObject({ status: 'held', error: reason });
      await relay.deliver();
      expect(relay.upstream.calls).toHaveLength(0);
      expect((await relay.store.counts()).held).toBe(1);
      expect(relay.logs().find((l) => l.event === 'lead.held')).toMatchObject({ level: 'warn', reason });
    });
  }

  it('a held lead never swallows the same person sent properly a minute later, same words or not: each is sent', async () => {
    const relay = buildRelay();
    const fill = { ...VALID_LEAD, notes: 'Can we see it Saturday?' };
    // Sent too fast, say by an autofill extension: held.
    const bot = (await (await postLead(relay.app, { ...fill, meta: { trap: 'x' } })).json()) as { id: string };
    relay.clock.advance(MIN_FILL_MS + 60_000);
    const token = await createFormTokens(TOKEN).issue('oak-grove', relay.clock.now() - 30_000);
    const res = await postLead(relay.app, { ...fill, meta: { form_token: token } });
    const person = (await res.json()) as { id: string };
    expect(person.id).not.toBe(bot.id);
    await relay.deliver();
    expect(await relay.store.get(bot.id)).toMatchObject({ status: 'held' });
    expect(await relay.store.get(person.id)).toMatchObject({ status: 'confirmed' });
    const creates = relay.upstream.calls.filter((c) => c.method === 'POST').map((c) => c.body as Record<string, unknown>);
    expect(creates).toHaveLength(1);
    expect(creates[0]).toMatchObject({ phone_1: '5125550142', notes: expect.stringContaining('Can we see it Saturday?') });
  });

  it('a form token is single use: the second and third leads with it are held, the first alone is sent', async () => {
    const relay = buildRelay();
    const token = await createFormTokens(TOKEN).issue('oak-grove', relay.clock.now() - 30_000);
    const ids: string[] = [];
    for (const [i, name] of ['Ann', 'Bea', 'Cid'].entries()) {
      const res = await postLead(relay.app, { ...VALID_LEAD, first_name: name, email_1: `${name}@gmail.com`, meta: { form_token: token } });
      expect(res.status).toBe(202);
      ids.push(((await res.json()) as { id: string }).id);
      relay.clock.advance(i * 3_600_000);
    }
    await relay.deliver();
    expect(await relay.store.get(ids[0]!)).toMatchObject({ status: 'confirmed' });
    for (const id of ids.slice(1)) expect(await relay.store.get(id)).toMatchObject({ status: 'held', error: 'spam:form_token_reused' });
    expect(relay.upstream.calls.filter((c) => c.method === 'POST')).toHaveLength(1);
  });

  it("a token's use is per site: the same string on another site is that site's forgery, not a reuse", async () => {
    const relay = buildRelay();
    const token = await createFormTokens(TOKEN).issue('oak-grove', relay.clock.now() - 30_000);
    await postLead(relay.app, { ...VALID_LEAD, meta: { form_token: token } });
    const res = await postLead(
      relay.app,
      { ...VALID_LEAD, meta: { form_token: token } },
      { site: 'pine-ridge', origin: 'https://pineridge.example' },
    );
    const { id } = (await res.json()) as { id: string };
    expect(await relay.store.get(id)).toMatchObject({ status: 'held', error: 'spam:form_token_invalid' });
  });

  it('a browser retrying its lead (same Idempotency-Key) gets the first answer, not a reuse', async () => {
    const relay = buildRelay();
    const token = await createFormTokens(TOKEN).issue('oak-grove', relay.clock.now() - 30_000);
    const send = () => postLead(relay.app, { ...VALID_LEAD, meta: { form_token: token } }, { key: 'retry-key-0001' });
    const first = (await (await send()).json()) as { id: string };
    const again = (await (await send()).json()) as { id: string };
    expect(again.id).toBe(first.id);
    expect(await relay.store.get(first.id)).toMatchObject({ status: 'queued' });
    expect(relay.store.all()).toHaveLength(1);
  });

  describe('a lead without a form token', () => {
    const { form_token: _optional, ...formOnly } = SITES['oak-grove'];
    const required = { SITES_JSON: JSON.stringify({ ...SITES, 'oak-grove': formOnly }) };

    it('is held on a site that only takes leads from its form (the default)', async () => {
      const relay = buildRelay({ env: required });
      expect(relay.config.sites.get('oak-grove')!.form_token).toBe('required');
      const { id } = (await (await postLead(relay.app, VALID_LEAD)).json()) as { id: string };
      expect(await relay.store.get(id)).toMatchObject({ status: 'held', error: 'spam:form_token_missing' });
      await relay.deliver();
      expect(relay.upstream.calls).toHaveLength(0);
    });

    it('is queued on a site that also posts from its own servers (form_token: "optional"), where a token sent is still single use', async () => {
      const relay = buildRelay();
      const { id } = (await (await postLead(relay.app, VALID_LEAD)).json()) as { id: string };
      expect(await relay.store.get(id)).toMatchObject({ status: 'queued' });
      const token = await createFormTokens(TOKEN).issue('oak-grove', relay.clock.now() - 30_000);
      await postLead(relay.app, { ...VALID_LEAD, first_name: 'Ann', meta: { form_token: token } });
      const reused = await postLead(relay.app, { ...VALID_LEAD, first_name: 'Bea', meta: { form_token: token } });
      const reusedId = ((await reused.json()) as { id: string }).id;
      expect(await relay.store.get(reusedId)).toMatchObject({ status: 'held', error: 'spam:form_token_reused' });
    });
  });

  it('an operator can release a held lead: it is sent like any other', async () => {
    const relay = buildRelay({ env: { ADMIN_TOKEN: ADMIN } });
    const { id } = (await (await postLead(relay.app, { ...VALID_LEAD, meta: { trap: 'x' } })).json()) as { id: string };
    const list = await relay.app.request('/admin/leads?status=held', { headers: { authorization: `Bearer ${ADMIN}` } });
    expect(((await list.json()) as { leads: { id: string }[] }).leads.map((l) => l.id)).toEqual([id]);
    const released = await relay.app.request(`/admin/leads/${id}/retry`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}` } });
    expect(await released.json()).toEqual({ id, status: 'queued' });
    await relay.deliver();
    expect((await relay.store.get(id))!.status).toBe('confirmed');
  });
});
