/**
 * The form token on both runtimes: single use across the relay's own limiter (memory on one Node
 * process, the limiter Durable Object in workerd), and required unless the site opts out. A lead
 * that breaks either rule is answered like any other, held, and never reaches Propexo.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFormTokens } from '../../relay/spam/form-token.js';
import { SANDBOX_IDS, startSandbox, type RunningSandbox } from '../../sandbox/index.js';
import { checkedSink } from '../support/hygiene.js';
import { VALID_LEAD } from '../relay/fixtures.js';
import { ADMIN_TOKEN, ORIGIN, nodeTarget, relayVars, workerdTarget, type RelayTarget } from './targets.js';

const TOKEN = 'ptx_runtime_form_token_4242';
const SITES = {
  'oak-grove': { name: 'Oak Grove', ...SANDBOX_IDS, allowed_origins: [ORIGIN] },
  'oak-grove-server': { name: 'Oak Grove (server posts)', ...SANDBOX_IDS, allowed_origins: [ORIGIN], form_token: 'optional' },
};

let n = 0;
const person = () => {
  n += 1;
  return {
    ...VALID_LEAD,
    first_name: `Tok${String.fromCharCode(96 + n)}`,
    email_1: `tok${n}@gmail.com`,
    phone_1: `(512) 555-02${String(n).padStart(2, '0')}`,
  };
};

describe.each([
  ['node', nodeTarget],
  ['workerd', workerdTarget],
] as const)('form token on %s', (_runtime, start) => {
  let sandbox: RunningSandbox;
  let relay: RelayTarget;

  beforeAll(async () => {
    sandbox = await startSandbox({ token: TOKEN, writeDelayMs: 10, slowDownMs: 0, rateLimitPerMinute: 100_000, log: checkedSink() });
    relay = await start(relayVars(sandbox.url, TOKEN, SITES));
  }, 60_000);
  afterAll(async () => {
    await relay?.close();
    await sandbox?.close();
  });

  const post = async (site: string, meta: object, key?: string) => {
    const lead = person();
    const res = await fetch(`${relay.url}/v1/sites/${site}/leads`, {
      method: 'POST',
      headers: { origin: ORIGIN, 'content-type': 'application/json', ...(key ? { 'idempotency-key': key } : {}) },
      body: JSON.stringify({ ...lead, meta }),
    });
    expect(res.status).toBe(202);
    return { ...((await res.json()) as { id: string; status: string }), email: lead.email_1 };
  };
  /** The lead as the operator sees it (status, and the reason it is held). */
  const admin = async (id: string) => {
    const res = await fetch(`${relay.url}/admin/leads?limit=1000`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    const { leads } = (await res.json()) as { leads: { id: string; status: string; error?: string }[] };
    return leads.find((l) => l.id === id)!;
  };
  // Minted as the relay does (its key comes from the Propexo token), issued a minute ago: filled by a person.
  const token = () => createFormTokens(TOKEN).issue('oak-grove', Date.now() - 60_000);

  it('one token, three leads: the first is delivered, the others held as reused', async () => {
    const shared = await token();
    const [first, second, third] = [
      await post('oak-grove', { form_token: shared }),
      await post('oak-grove', { form_token: shared }),
      await post('oak-grove', { form_token: shared }),
    ];
    for (const lead of [first!, second!, third!]) expect(lead.status).toBe('queued');
    await expect.poll(async () => (await admin(first!.id)).status).toBe('confirmed');
    expect(await admin(second!.id)).toMatchObject({ status: 'held', error: 'spam:form_token_reused' });
    expect(await admin(third!.id)).toMatchObject({ status: 'held', error: 'spam:form_token_reused' });
    const emails = sandbox.leads().map((l) => l.body.email_1);
    expect(emails).toContain(first!.email);
    expect(emails).not.toContain(second!.email);
    expect(emails).not.toContain(third!.email);
  });

  it('a retry of the same lead (same Idempotency-Key) is the same lead, not a reuse', async () => {
    const once = await token();
    const body = JSON.stringify({ ...person(), meta: { form_token: once } });
    const send = () =>
      fetch(`${relay.url}/v1/sites/oak-grove/leads`, {
        method: 'POST',
        headers: { origin: ORIGIN, 'content-type': 'application/json', 'idempotency-key': `retry-${_runtime}-0001` },
        body,
      }).then((r) => r.json() as Promise<{ id: string }>);
    const first = await send();
    expect((await send()).id).toBe(first.id);
    await expect.poll(async () => (await admin(first.id)).status).toBe('confirmed');
  });

  it('no token: held on a site that takes leads only from its form, delivered on one that opted out', async () => {
    const formOnly = await post('oak-grove', {});
    const serverPost = await post('oak-grove-server', {});
    await expect.poll(async () => (await admin(serverPost.id)).status).toBe('confirmed');
    expect(await admin(formOnly.id)).toMatchObject({ status: 'held', error: 'spam:form_token_missing' });
    expect(sandbox.leads().map((l) => l.body.email_1)).not.toContain(formOnly.email);
  });
});
