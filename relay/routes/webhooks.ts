/**
 * `POST /v1/propexo/webhooks` (mounted there): Propexo's WRITE_OPERATION_FAILURE, so a failed write is retried now
 * instead of at the next poll. Verified as Propexo documents: `propexo-signature` is the hex
 * HMAC-SHA256 of the raw body with PROPEXO_WEBHOOK_SECRET, compared in constant time. Anything
 * unsigned or mis-signed is 401; without a secret configured, everything is.
 *
 * Propexo signs the body alone, no time: a signed failure stays valid forever, and each copy would
 * make the deliverer ask Propexo again. So each (job, body) is acted on once, remembered in the
 * limiter's store for MAX_LEAD_AGE_HOURS (by then its lead is confirmed or a dead letter, and the
 * webhook does nothing); a copy is answered 200, so Propexo does not send it again, and does nothing.
 */
import { Hono } from 'hono';
import { timingSafeEqual } from 'hono/utils/buffer';
import { limitBody } from '../http/body.js';
import { ApiError, methodNotAllowed } from '../http/errors.js';
import { routeLimit } from '../http/rate-limit.js';
import { hex, webCryptoHashing } from '../lib/hash.js';
import type { RelayDeps, RelayEnv } from '../types.js';

const MAX_WEBHOOK_BYTES = 64 * 1024;

export async function hmacSha256Hex(secret: string, body: ArrayBuffer): Promise<string> {
  const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const mac = await crypto.subtle.sign('HMAC', key, body);
  return [...new Uint8Array(mac)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

export function webhookRoutes(deps: RelayDeps): Hono<RelayEnv> {
  const { store, clock, logger, limiter } = deps;
  const secret = deps.config.propexo.webhookSecret;
  const hashing = deps.hashing ?? webCryptoHashing;

  /** True the first time this job's webhook comes with this body; counted atomically by the limiter. */
  async function firstSighting(jobId: string, body: string): Promise<boolean> {
    const key = `webhook:${jobId.slice(0, 128)}:${hex(await hashing.sha256(body))}`;
    try {
      return (await limiter.limit({ key, max: 1, windowMs: deps.config.delivery.maxAgeMs })).success;
    } catch {
      // Not remembered, not acted on: Propexo sends it again, and the write is checked on its schedule anyway.
      throw new ApiError(503, 'unavailable', 'The relay cannot take webhooks right now.', { headers: { 'Retry-After': '5' } });
    }
  }

  const webhooks = new Hono<RelayEnv>();
  // Per client before the signature is checked: each guess costs an HMAC, each replay a limiter call.
  webhooks.use(routeLimit(deps, 'webhook', deps.config.webhookRatePerMinute));
  webhooks.post('/', limitBody(MAX_WEBHOOK_BYTES), async function propexoWebhook(c) {
    const raw = await c.req.arrayBuffer();
    const given = (c.req.header('propexo-signature') ?? '').trim().toLowerCase();
    const valid = secret !== undefined && /^[0-9a-f]{64}$/.test(given) && (await timingSafeEqual(given, await hmacSha256Hex(secret, raw)));
    if (!valid) {
      logger.warn('webhook.refused', { signed: given !== '', configured: secret !== undefined });
      throw new ApiError(401, 'unauthorized', 'The webhook signature is missing or wrong.');
    }
    let text: string;
    let event: { trigger?: unknown; data?: { event?: unknown; root_job_id?: unknown; errors?: unknown } };
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(raw);
      event = JSON.parse(text);
    } catch {
      throw new ApiError(400, 'invalid_json', 'The body is not valid UTF-8 JSON.');
    }
    const kind = event?.trigger ?? event?.data?.event;
    const jobId = event?.data?.root_job_id;
    if (kind !== 'WRITE_OPERATION_FAILURE' || typeof jobId !== 'string') {
      logger.info('webhook.ignored', { trigger: typeof kind === 'string' ? kind.slice(0, 64) : null });
      return c.json({ received: true });
    }
    if (!(await firstSighting(jobId, text))) {
      logger.warn('webhook.replayed', { job_id: jobId });
      return c.json({ received: true, replayed: true });
    }
    const lead = await store.findByJobId(jobId);
    if (lead?.status === 'sent') {
      // The deliverer reads write-status now, sees FAILURE and retries the write within its bounds.
      await store.update(lead.id, { next_attempt_at: clock.now(), updated_at: clock.now() }, { ifStatus: 'sent' });
      deps.outbox?.wake();
    }
    logger.warn('webhook.write_failed', { job_id: jobId, lead_id: lead?.id ?? null, lead_status: lead?.status ?? null });
    return c.json({ received: true });
  });
  webhooks.all('/', methodNotAllowed('POST'));
  return webhooks;
}
