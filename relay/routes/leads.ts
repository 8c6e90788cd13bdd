/**
 * The browser's API: `POST /v1/sites/:site/leads` stores a lead and answers 202 once it is safe;
 * `GET /v1/sites/:site/leads/:id` is its receipt (status only, no personal data).
 */
import type { Context, Hono } from 'hono';
import { parseMeta, type LeadMeta } from '../../contract/meta.js';
import type { FormTokens } from '../spam/form-token.js';
import { isRecord, parseSubmission } from '../../contract/submission.js';
import { withContext } from '../outbox/lead-context.js';
import { fingerprints } from '../outbox/delivery/fingerprint.js';
import { ApiError, methodNotAllowed } from '../http/errors.js';
import { bodyLimit, cors, lookupLimit, originGuard, requireJson, siteLimits, siteResolver, type RelayEnv } from '../http/guards.js';
import type { RelayDeps } from '../app.js';
import { newLeadRecord, type LeadRecord } from '../outbox/store/types.js';
import { turnstileIdempotencyKey, type TurnstileVerdict } from '../spam/turnstile.js';

/** Largest lead body accepted; a full submission with 2000 characters of notes is far below it. */
export const MAX_BODY_BYTES = 16 * 1024;
export const IDEMPOTENCY_KEY = /^[A-Za-z0-9_-]{8,128}$/;
export const LEADS_PATH = '/v1/sites/:site/leads';
/** A key repeated within this window gets the first answer; nothing new is stored. */
export const KEY_WINDOW_MS = 24 * 60 * 60 * 1000;
/** The same prospect (names and a contact) from the same site within this window is the same lead. */
export const DEDUPE_WINDOW_MS = 10 * 60 * 1000;

const defaultNewId = () => `ld_${crypto.randomUUID().replaceAll('-', '')}`;

export function leadRoutes(app: Hono<RelayEnv>, deps: RelayDeps & { formTokens: FormTokens }): void {
  const { config, clock, limiter, store, logger, getClientIp } = deps;
  const newId = deps.newId ?? defaultNewId;

  /** A store that cannot answer makes the lead not accepted: 503, so the browser keeps the answers and tries again. */
  function unavailableOnFailure<T>(call: Promise<T>): Promise<T> {
    return call.catch((err: unknown) => {
      logger.error('store.unavailable', { error: err });
      throw new ApiError(503, 'unavailable', 'The relay cannot take leads right now; please try again shortly.', {
        headers: { 'Retry-After': '5' },
      });
    });
  }

  const lookups = lookupLimit({ limiter, getClientIp });

  /**
   * Why a lead looks like a bot's, or undefined: the hidden field filled in, or a form token that is
   * forged, expired, or came back faster than a person types. A lead without a token (a form that
   * could not load the form settings) is not held for that alone. Then, for a site with Turnstile,
   * Cloudflare's verdict on the visitor's response (checked last: a lead already caught spends no call).
   */
  async function spamReason(c: Context<RelayEnv>, meta: LeadMeta, now: number): Promise<string | undefined> {
    const site = c.get('site').slug;
    if (meta.trap) return 'spam:honeypot';
    if (meta.form_token !== undefined) {
      const verdict = await deps.formTokens.check(site, meta.form_token, now);
      if (verdict !== 'ok') return `spam:form_token_${verdict}`;
    }
    return c.get('site').turnstile ? turnstileReason(c, meta) : undefined;
  }

  /**
   * Turnstile: no response, or one Cloudflare refuses, is held. When Cloudflare gives no verdict
   * (unreachable, too slow, 5xx, or it refuses our secret) the lead is let through: fail open, since
   * a real prospect must not wait on, or be held for, an outage of one spam layer of several.
   * Runs only for a new lead: an Idempotency-Key replay was answered before this (`replay`), so a
   * response, single use at Cloudflare, is never verified twice for one fill.
   */
  async function turnstileReason(c: Context<RelayEnv>, meta: LeadMeta): Promise<string | undefined> {
    const site = c.get('site').slug;
    if (!meta.turnstile) return 'spam:turnstile_missing';
    if (!deps.turnstile) {
      // parseConfig refuses a site with turnstile and no TURNSTILE_SECRET; only a hand-built config gets here.
      logger.alert('turnstile.unavailable', { site, reason: 'not_configured' });
      return undefined;
    }
    const remoteIp = getClientIp(c);
    const verdict: TurnstileVerdict = await deps.turnstile
      .verify({
        token: meta.turnstile,
        ...(remoteIp === undefined ? {} : { remoteIp }),
        idempotencyKey: await turnstileIdempotencyKey(site, c.req.header('idempotency-key')),
      })
      // An injected verifier that throws is no verdict either (the error is not logged: it may quote the request).
      .catch(() => ({ outcome: 'unavailable', reason: 'verifier_error' }) as const);
    if (verdict.outcome === 'passed') return undefined;
    if (verdict.outcome === 'failed') {
      logger.info('turnstile.failed', { site, error_codes: verdict.errorCodes });
      return 'spam:turnstile_failed';
    }
    const fields = { site, reason: verdict.reason, ...(verdict.errorCodes ? { error_codes: verdict.errorCodes } : {}), accepted: true };
    if (verdict.misconfigured) logger.alert('turnstile.unavailable', { ...fields, hint: 'Cloudflare refused TURNSTILE_SECRET or the request' });
    else logger.warn('turnstile.unavailable', fields);
    return undefined;
  }
  const guards = [
    siteResolver(config.sites),
    originGuard(),
    // After the origin guard: a refused origin gets no Access-Control-* header at all.
    cors({
      allowMethods: ['GET', 'POST'],
      allowHeaders: ['Content-Type', 'Idempotency-Key'],
      exposeHeaders: ['Retry-After', 'RateLimit', 'RateLimit-Policy'],
      maxAge: 600,
    }),
  ] as const;

  app.options(LEADS_PATH, ...guards, (c) => c.body(null, 204));
  app.options(`${LEADS_PATH}/:id`, ...guards, (c) => c.body(null, 204));

  app.post(
    LEADS_PATH,
    ...guards,
    requireJson(),
    bodyLimit(MAX_BODY_BYTES, () => {
      throw new ApiError(413, 'payload_too_large', `The body must be at most ${MAX_BODY_BYTES} bytes.`);
    }),
    async function keyFormat(c, next) {
      const key = c.req.header('idempotency-key');
      if (key !== undefined && !IDEMPOTENCY_KEY.test(key)) {
        throw new ApiError(400, 'invalid_idempotency_key', 'Idempotency-Key must be 8 to 128 letters, digits, - or _.');
      }
      await next();
    },
    async function replayLimit(c, next) {
      return c.req.header('idempotency-key') === undefined ? next() : lookups(c, next);
    },
    async function replay(c, next) {
      // Before the lead limits: a browser retrying a lead it already sent must not be locked out by them.
      const key = c.req.header('idempotency-key');
      if (key === undefined) return next();
      const first = await unavailableOnFailure(store.findByIdempotencyKey(c.get('site').slug, key, clock.now() - KEY_WINDOW_MS));
      if (!first) return next();
      logger.info('lead.replayed', { lead_id: first.id, site: first.site, by: 'idempotency_key' });
      return receipt(c, first, 202);
    },
    siteLimits({ limiter, getClientIp }),
    async function acceptLead(c) {
      const site = c.get('site');
      // The prospect's fields, and beside them `meta` (attribution, consent), which Propexo never sees.
      const { meta: rawMeta, ...fields } = await readJsonObject(c);
      const parsed = parseSubmission(fields);
      const meta = rawMeta === undefined ? ({ ok: true, value: {} } as const) : parseMeta(rawMeta);
      const issues = [...(parsed.ok ? [] : parsed.fields), ...(meta.ok ? [] : meta.fields)];
      const now = clock.now();
      const lead = parsed.ok && meta.ok ? withContext(parsed.value, meta.value, site, now) : undefined;
      if (lead && !lead.ok) issues.push(...lead.fields);
      if (!lead?.ok) throw new ApiError(400, 'invalid_fields', 'Some fields need attention.', { fields: issues });
      const spam = await spamReason(c, meta.ok ? meta.value : {}, now);

      const key = c.req.header('idempotency-key');
      const { record, created } = await unavailableOnFailure(
        store.accept(
          newLeadRecord(
            {
              id: newId(),
              site: site.slug,
              ...(key === undefined ? {} : { idempotency_key: key }),
              ...(lead.lead_source_id === undefined ? {} : { lead_source_id: lead.lead_source_id }),
              fingerprints: await fingerprints(site.slug, lead.submission, deps.hashing),
              // Suspected spam is kept, apart: held, never sent unless an operator releases it.
              status: spam ? 'held' : 'queued',
              ...(spam ? { error: spam } : {}),
              submission: lead.submission,
            },
            now,
          ),
          { now, keyWindowMs: KEY_WINDOW_MS, dedupeWindowMs: DEDUPE_WINDOW_MS },
        ),
      );
      if (created && spam) {
        logger.warn('lead.held', { lead_id: record.id, site: site.slug, reason: spam });
      } else if (created) {
        logger.info('lead.accepted', { lead_id: record.id, site: site.slug });
        await deps.outbox?.wake();
      } else {
        logger.info('lead.replayed', { lead_id: record.id, site: site.slug, by: 'content' });
      }
      // A held lead is answered like any other: a bot learns nothing from the answer.
      return receipt(c, record, 202);
    },
  );

  app.get(`${LEADS_PATH}/:id`, ...guards, lookups, async function leadReceipt(c) {
    const lead = await unavailableOnFailure(store.get(c.req.param('id')));
    if (!lead || lead.site !== c.get('site').slug) throw new ApiError(404, 'not_found', 'No such lead.');
    return receipt(c, lead, 200);
  });

  app.all(LEADS_PATH, methodNotAllowed('POST, OPTIONS'));
  app.all(`${LEADS_PATH}/:id`, methodNotAllowed('GET, HEAD, OPTIONS'));
}

/** The only thing a browser learns about a lead: its id and where it is on its way (held looks queued). */
function receipt(c: Context<RelayEnv>, lead: LeadRecord, status: 200 | 202) {
  return c.json({ id: lead.id, status: lead.status === 'held' ? 'queued' : lead.status }, status);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The body as a JSON object, or 400 invalid_json (bad UTF-8, bad JSON, or not an object). */
async function readJsonObject(c: Context<RelayEnv>): Promise<Record<string, unknown>> {
  // Read already by bodyLimit when the request had no Content-Length.
  const bytes = c.get('body') ?? (await c.req.arrayBuffer());
  // bodyLimit trusts Content-Length when present; the runtime enforces it, this re-checks cheaply.
  if (bytes.byteLength > MAX_BODY_BYTES) {
    throw new ApiError(413, 'payload_too_large', `The body must be at most ${MAX_BODY_BYTES} bytes.`);
  }
  let data: unknown;
  try {
    data = JSON.parse(utf8.decode(bytes));
  } catch {
    throw new ApiError(400, 'invalid_json', 'The body is not valid UTF-8 JSON.');
  }
  if (!isRecord(data)) throw new ApiError(400, 'invalid_json', 'The body must be a JSON object.');
  return data;
}
