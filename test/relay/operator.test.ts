/** What operators touch: the admin routes, Propexo's webhook, and `npm run outbox`. */
import { describe, expect, it } from 'vitest';
import { runOutboxCommand } from '../../relay/outbox/cli.js';
import { hmacSha256Hex } from '../../relay/routes/webhooks.js';
import { VALID_LEAD, buildRelay, errorOf, postLead, propexoLike } from './fixtures.js';

const ADMIN = 'adm_0123456789abcdef';
const HOOK = 'whsec_test_secret_1';
const rejecting = propexoLike({ create: () => Response.json({ error: { code: 'invalid_request', message: 'Invalid' } }, { status: 400 }) });

async function deadLetter() {
  let reject = true;
  const ok = propexoLike();
  const relay = buildRelay({
    env: { ADMIN_TOKEN: ADMIN, PROPEXO_WEBHOOK_SECRET: HOOK },
    handler: (c, i) => (reject ? rejecting : ok)(c, i),
  });
  const { id } = (await (await postLead(relay.app, VALID_LEAD)).json()) as { id: string };
  await relay.deliver();
  expect((await relay.store.get(id))!.status).toBe('failed');
  return { ...relay, id, fix: () => (reject = false) };
}

const admin = (token = ADMIN) => ({ authorization: `Bearer ${token}` });

describe('admin routes', () => {
  it('refuse without the right token, in constant-time comparison, and when none is configured', async () => {
    const { app } = await deadLetter();
    for (const headers of [{}, admin('wrong'), admin(`${ADMIN}x`), { authorization: ADMIN }, admin('')]) {
      const res = await app.request('/admin/leads', { headers });
      expect(res.status).toBe(401);
      expect((await errorOf(res)).code).toBe('unauthorized');
      expect(res.headers.get('www-authenticate')).toContain('Bearer');
    }
    const unconfigured = buildRelay();
    expect((await unconfigured.app.request('/admin/leads', { headers: admin() })).status).toBe(401);
  });

  it('list dead letters with their reason; a retry queues one again and it is delivered', async () => {
    const { app, id, fix, deliver, store } = await deadLetter();
    const list = await app.request('/admin/leads?status=failed', { headers: admin() });
    expect(list.status).toBe(200);
    const body = (await list.json()) as { counts: Record<string, number>; leads: { id: string; error: string }[] };
    expect(body.counts).toEqual({ queued: 0, sent: 0, confirmed: 0, failed: 1, held: 0 });
    expect(body.leads.map((l) => [l.id, l.error])).toEqual([[id, 'propexo_rejected']]);
    expect((await errorOf(await app.request('/admin/leads?status=lost', { headers: admin() }))).code).toBe('invalid_fields');

    fix();
    const retry = await app.request(`/admin/leads/${id}/retry`, { method: 'POST', headers: admin() });
    expect(await retry.json()).toEqual({ id, status: 'queued' });
    await deliver();
    expect((await store.get(id))!.status).toBe('confirmed');

    const again = await app.request(`/admin/leads/${id}/retry`, { method: 'POST', headers: admin() });
    expect(again.status).toBe(409);
    expect((await errorOf(again)).code).toBe('conflict');
    expect((await app.request('/admin/leads/ld_nope/retry', { method: 'POST', headers: admin() })).status).toBe(404);
  });
});

describe('Propexo webhook', () => {
  async function sentLead() {
    let checks = 0;
    let retries = 0;
    const relay = buildRelay({
      env: { PROPEXO_WEBHOOK_SECRET: HOOK },
      policy: { confirmFirstDelayMs: 60_000 },
      handler: propexoLike({
        status: () =>
          Response.json(
            ++checks === 1
              ? { write_status: 'FAILURE', errors: ['down'], created_record_id: null }
              : { write_status: 'SUCCESS', errors: [], created_record_id: 'rec_w' },
          ),
        retry: () => {
          retries++;
          return Response.json({ success: true });
        },
      }),
    });
    const { id } = (await (await postLead(relay.app, VALID_LEAD)).json()) as { id: string };
    await relay.deliverer.runOnce(); // sent; its first check is a minute away
    expect((await relay.store.get(id))!.status).toBe('sent');
    return { ...relay, id, retries: () => retries };
  }
  const hook = (app: ReturnType<typeof buildRelay>['app'], body: string, signature?: string) =>
    app.request('/v1/propexo/webhooks', {
      method: 'POST',
      body,
      headers: signature === undefined ? {} : { 'propexo-signature': signature },
    });
  const failure = (job: string) =>
    JSON.stringify({
      trigger: 'WRITE_OPERATION_FAILURE',
      data: {
        event: 'WRITE_OPERATION_FAILURE',
        integration_id: 'int_oak',
        vendor: 'RESMAN',
        root_job_id: job,
        write_status: 'FAILURE',
        errors: ['down'],
      },
    });
  const sign = async (body: string, secret = HOOK) => hmacSha256Hex(secret, new TextEncoder().encode(body).buffer as ArrayBuffer);

  it('a signed WRITE_OPERATION_FAILURE makes the lead due now: the write is retried without waiting for the poll', async () => {
    const { app, id, store, clock, deliverer, retries } = await sentLead();
    const body = failure('job_1');
    const res = await hook(app, body, await sign(body));
    expect(res.status).toBe(200);
    expect((await store.get(id))!.next_attempt_at).toBe(clock.now());
    await deliverer.runOnce();
    expect(retries()).toBe(1);
    clock.advance(60_000);
    await deliverer.runOnce();
    expect(await store.get(id)).toMatchObject({ status: 'confirmed', created_record_id: 'rec_w' });
  });

  it('a replayed webhook is answered 200 and does nothing: no second check, no second retry', async () => {
    const { app, id, store, deliverer, retries, logs, clock } = await sentLead();
    const body = failure('job_1');
    const signature = await sign(body);
    expect(await (await hook(app, body, signature)).json()).toEqual({ received: true });
    await deliverer.runOnce();
    expect(retries()).toBe(1);
    const due = (await store.get(id))!.next_attempt_at;
    expect(due).toBeGreaterThan(clock.now());
    for (let i = 0; i < 3; i++) {
      const res = await hook(app, body, signature);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ received: true, replayed: true });
    }
    expect((await store.get(id))!.next_attempt_at).toBe(due);
    expect(logs().filter((l) => l.event === 'webhook.replayed')).toHaveLength(3);
    // Another failure of the same job is another body: news, acted on.
    const again = JSON.stringify({ ...JSON.parse(body), data: { ...JSON.parse(body).data, errors: ['down again'] } });
    expect(await (await hook(app, again, await sign(again))).json()).toEqual({ received: true });
    expect((await store.get(id))!.next_attempt_at).toBe(clock.now());
  });

  it('remembers a webhook for MAX_LEAD_AGE_HOURS, the longest its lead can wait on a write', async () => {
    const { app, clock } = await sentLead();
    const body = failure('job_9');
    const signature = await sign(body);
    const replayed = async () => ((await (await hook(app, body, signature)).json()) as { replayed?: boolean }).replayed === true;
    expect(await replayed()).toBe(false);
    clock.advance(72 * 3_600_000 - 1);
    expect(await replayed()).toBe(true);
    clock.advance(1);
    expect(await replayed()).toBe(false);
  });

  it('refuses a missing, wrong or foreign signature with 401, and ignores what it does not act on', async () => {
    const { app, id, store, clock } = await sentLead();
    const body = failure('job_1');
    const due = (await store.get(id))!.next_attempt_at;
    for (const signature of [
      undefined,
      '',
      'abc',
      await sign(body, 'another_secret'),
      await sign(`${body} `),
      (await sign(body)).slice(0, 63),
    ]) {
      const res = await hook(app, body, signature);
      expect(res.status, String(signature)).toBe(401);
      expect((await errorOf(res)).code).toBe('unauthorized');
    }
    expect((await store.get(id))!.next_attempt_at).toBe(due);
    const other = JSON.stringify({ trigger: 'SOMETHING_ELSE', data: {} });
    expect((await hook(app, other, await sign(other))).status).toBe(200);
    const unknownJob = failure('job_404');
    expect((await hook(app, unknownJob, await sign(unknownJob))).status).toBe(200);
    expect(clock.now()).toBeLessThan(due);
    const unconfigured = buildRelay();
    expect((await hook(unconfigured.app, body, await sign(body))).status).toBe(401);
  });
});

describe('npm run outbox', () => {
  it('lists, shows, retries and counts, with contacts masked in lists', async () => {
    const { store, id, fix, deliver, clock } = await deadLetter();
    const out: string[] = [];
    const run = (...args: string[]) => runOutboxCommand(store, args, (t) => out.push(t), clock.now());

    expect(await run('stats')).toBe(0);
    expect(out.pop()).toBe('queued: 0  sent: 0  confirmed: 0  failed: 1  held: 0');
    expect(await run('list', '--status', 'failed')).toBe(0);
    expect(out).toHaveLength(2);
    expect(out[0]).toContain(id);
    expect(out[0]).toContain('propexo_rejected');
    expect(out[0]).toContain('j***@gmail.com');
    expect(out[0]).not.toContain('jane.doe@gmail.com');
    out.length = 0;
    expect(await run('show', id)).toBe(0);
    expect(JSON.parse(out.pop()!)).toMatchObject({
      id,
      status: 'failed',
      submission: { email_1: 'jane.doe@gmail.com' },
      history: [{ type: 'accepted' }, { type: 'dead_lettered', detail: { reason: 'propexo_rejected', status: 400 } }],
    });
    expect(await run('list', '--status', 'lost')).toBe(2);

    fix();
    expect(await run('retry', '--all-failed')).toBe(0);
    expect(out.pop()).toBe('1 lead(s) queued again');
    expect((await store.history(id)).at(-1)).toMatchObject({ type: 'retried', detail: { by: 'cli' } });
    await deliver();
    expect((await store.get(id))!.status).toBe('confirmed');
    expect(await run('retry', id)).toBe(1);
    expect(out.join('\n')).toContain('is confirmed, not failed or held');
    expect(await run('bogus')).toBe(2);
  });
});

describe('an operator retry never creates blindly', () => {
  it('a write never confirmed in time goes back to checking its job, not to a second create', async () => {
    let pending = true;
    const relay = buildRelay({
      env: { ADMIN_TOKEN: ADMIN },
      policy: { maxAgeMs: 5_000 },
      handler: propexoLike({
        status: () =>
          Response.json(
            pending
              ? { write_status: 'PENDING', errors: [], created_record_id: null }
              : { write_status: 'SUCCESS', errors: [], created_record_id: 'rec_slow' },
          ),
      }),
    });
    const { id } = (await (await postLead(relay.app, VALID_LEAD)).json()) as { id: string };
    await relay.deliver(10_000);
    expect(await relay.store.get(id)).toMatchObject({ status: 'failed', error: 'write_not_confirmed_in_time', job_id: 'job_1' });
    pending = false;
    expect(await (await relay.app.request(`/admin/leads/${id}/retry`, { method: 'POST', headers: admin() })).json()).toEqual({
      id,
      status: 'sent',
    });
    await relay.deliver();
    expect(await relay.store.get(id)).toMatchObject({ status: 'confirmed', created_record_id: 'rec_slow' });
    expect(relay.upstream.calls.filter((c) => c.method === 'POST' && c.url.endsWith('/v1/leads/resman/'))).toHaveLength(1);
  });

  it('a failed write is looked for once before it is created again', async () => {
    const relay = buildRelay({
      env: { ADMIN_TOKEN: ADMIN },
      handler: propexoLike({ status: () => Response.json({ write_status: 'FAILURE', errors: ['down'], created_record_id: null }) }),
      policy: { failureChecksAfterRetry: 0 },
    });
    const { id } = (await (await postLead(relay.app, VALID_LEAD)).json()) as { id: string };
    await relay.deliver();
    expect(await relay.store.get(id)).toMatchObject({ status: 'failed', error: 'write_failed' });
    relay.upstream.respond(propexoLike());
    await relay.app.request(`/admin/leads/${id}/retry`, { method: 'POST', headers: admin() });
    await relay.deliver();
    const requeuedAt = relay.upstream.calls.findIndex((c, i) => i > 0 && c.url.includes('/v1/leads/?'));
    const after = relay.upstream.calls.slice(requeuedAt);
    expect(after.some((c) => c.url.includes('retry-write'))).toBe(false);
    // By email, then by phone; only then the create.
    expect(after.map((c) => `${c.method} ${new URL(c.url).pathname}`).slice(0, 3)).toEqual([
      'GET /v1/leads/',
      'GET /v1/leads/',
      'POST /v1/leads/resman/',
    ]);
    expect((await relay.store.get(id))!.status).toBe('confirmed');
    // The dead letter's POST time is not kept: the line says why it resends, with no duration from 1970.
    const resend = relay.logs().find((l) => l.event === 'lead.resending_after_search');
    expect(resend).toMatchObject({ lead_id: id, after: 'operator_retry' });
    expect(resend).not.toHaveProperty('in_doubt_ms');
    expectDurations(relay.logs());
  });
});

/** Every `*_ms` field of every line is a duration (0 to a year), never a point in time. */
function expectDurations(lines: Record<string, unknown>[]) {
  for (const line of lines) {
    for (const [key, value] of Object.entries(line)) {
      if (key.endsWith('_ms'))
        expect(value, `${String(line.event)}: ${key}`).toSatisfy((v) => typeof v === 'number' && v >= 0 && v < 366 * 86_400_000);
    }
  }
}

describe('an operator retry of a job Propexo no longer knows', () => {
  it('looks for the lead once, then creates it again (checking the unknown job again would loop)', async () => {
    const relay = buildRelay({
      env: { ADMIN_TOKEN: ADMIN },
      handler: propexoLike({ status: () => Response.json({ error: { message: 'no such job' } }, { status: 404 }) }),
    });
    const { id } = (await (await postLead(relay.app, VALID_LEAD)).json()) as { id: string };
    await relay.deliver();
    expect(await relay.store.get(id)).toMatchObject({ status: 'failed', error: 'job_not_found' });
    relay.upstream.respond(propexoLike());
    const retried = await relay.app.request(`/admin/leads/${id}/retry`, { method: 'POST', headers: admin() });
    expect(await retried.json()).toEqual({ id, status: 'queued' });
    await relay.deliver();
    expect((await relay.store.get(id))!.status).toBe('confirmed');
    expectDurations(relay.logs());
  });
});
