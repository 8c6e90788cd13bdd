/**
 * The same-origin fallback of the origin guard (a request without Origin but marked
 * `Sec-Fetch-Site: same-origin` stands for the relay's own origin) is for the form's GETs, and HEAD
 * like every GET. A POST must name an allowed Origin: a lead is never taken on the fallback.
 */
import { describe, expect, it } from 'vitest';
import { ORIGIN, VALID_LEAD, buildRelay, errorOf } from './fixtures.js';

const SAME_ORIGIN = { 'sec-fetch-site': 'same-origin' };

describe('the same-origin fallback of the origin guard', () => {
  it('lets a same-origin GET or HEAD of the form and of a receipt through', async () => {
    const t = buildRelay();
    for (const method of ['GET', 'HEAD']) {
      const form = await t.app.request(`${ORIGIN}/v1/sites/oak-grove/form`, { method, headers: SAME_ORIGIN });
      expect(form.status, `${method} form`).toBe(200);
      // An unknown lead: past the guard, so a 404 rather than a 403.
      const receipt = await t.app.request(`${ORIGIN}/v1/sites/oak-grove/leads/ld_nope`, { method, headers: SAME_ORIGIN });
      expect(receipt.status, `${method} receipt`).toBe(404);
    }
  });

  it('refuses a POST without Origin, however it is marked, and stores nothing', async () => {
    const t = buildRelay();
    const res = await t.app.request(`${ORIGIN}/v1/sites/oak-grove/leads`, {
      method: 'POST',
      headers: { ...SAME_ORIGIN, 'content-type': 'application/json' },
      body: JSON.stringify(VALID_LEAD),
    });
    expect(res.status).toBe(403);
    expect((await errorOf(res)).code).toBe('origin_not_allowed');
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect((await t.store.counts()).queued).toBe(0);
    expect((await t.store.counts()).held).toBe(0);
  });

  it('takes the same POST when it names the allowed Origin', async () => {
    const t = buildRelay();
    const res = await t.app.request(`${ORIGIN}/v1/sites/oak-grove/leads`, {
      method: 'POST',
      headers: { ...SAME_ORIGIN, origin: ORIGIN, 'content-type': 'application/json' },
      body: JSON.stringify(VALID_LEAD),
    });
    expect(res.status).toBe(202);
  });
});
