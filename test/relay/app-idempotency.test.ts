import { describe, expect, it } from 'vitest';
import { VALID_LEAD, buildRelay, errorOf, okResponse, postLead } from './fixtures.js';

describe('idempotency', () => {
  const KEY = 'fill_0b3c9e2a-1f44';

  it('a key already sent is answered the same, nothing stored or sent again', async () => {
    const { app, upstream, store } = buildRelay();
    const first = await postLead(app, VALID_LEAD, { key: KEY });
    expect(first.status).toBe(202);
    const firstBody = await first.json();
    const again = await postLead(app, VALID_LEAD, { key: KEY });
    expect(again.status).toBe(202);
    expect(await again.json()).toEqual(firstBody);
    expect(upstream.calls).toHaveLength(1);
    expect(store.all()).toHaveLength(1);
  });

  it('keys are per site, and a different key is a new lead', async () => {
    const { app, upstream } = buildRelay();
    await postLead(app, VALID_LEAD, { key: KEY });
    await postLead(app, VALID_LEAD, { key: `${KEY}-2` });
    await postLead(app, VALID_LEAD, { key: KEY, site: 'pine-ridge', origin: 'https://pineridge.example' });
    expect(upstream.calls).toHaveLength(3);
  });

  it('a failed lead is retried under the same key and then replayed', async () => {
    const { app, upstream, store } = buildRelay({ handler: () => new Response('busy', { status: 503 }) });
    const first = await postLead(app, VALID_LEAD, { key: KEY });
    expect(first.status).toBe(503);
    expect(store.all()[0]).toMatchObject({ status: 'failed', error: 'unavailable:http_503', attempts: 1 });

    upstream.respond(() => okResponse('job_retry'));
    const second = await postLead(app, VALID_LEAD, { key: KEY });
    expect(second.status).toBe(202);
    expect(await second.json()).toEqual({ id: 'ld_test1', status: 'sent' });
    expect(store.all()).toHaveLength(1);
    expect(store.all()[0]).toMatchObject({ status: 'sent', job_id: 'job_retry', attempts: 2 });
    expect(store.all()[0]!.error).toBeUndefined();

    await postLead(app, VALID_LEAD, { key: KEY });
    expect(upstream.calls).toHaveLength(2);
  });

  it('two concurrent requests with one key send once', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const { app, upstream } = buildRelay({ handler: async () => (await gate, okResponse()) });
    const a = postLead(app, VALID_LEAD, { key: KEY });
    const b = postLead(app, VALID_LEAD, { key: KEY });
    const second = await b;
    expect(second.status).toBe(503);
    expect(second.headers.get('retry-after')).toBe('2');
    expect((await errorOf(second)).code).toBe('upstream_unavailable');
    release();
    expect((await a).status).toBe(202);
    expect(upstream.calls).toHaveLength(1);
  });
});
