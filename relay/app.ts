/**
 * `createRelay(deps)`: the relay as a Hono app built only from injected parts, so Node, Workers and
 * tests differ in what they pass in, never in what the app detects.
 *
 * Routes: GET /healthz, GET /widget.js and /widget/* (the built widget), and
 * OPTIONS + POST /v1/sites/:site/leads. Everything else is a 404 or 405 envelope.
 */
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { secureHeaders } from 'hono/secure-headers';
import { isRecord, parseSubmission } from '../contract/submission.js';
import { CACHE_ENTRY, CACHE_IMMUTABLE, safeAssetPath, type WidgetAssets } from './assets.js';
import type { RelayConfig } from './config.js';
import { createDeliverer, type Deliver } from './deliver.js';
import { ApiError, createErrorHandler, errorResponse, methodNotAllowed, notFound } from './http-errors.js';
import type { RateLimiter } from './limits/types.js';
import type { Logger } from './log.js';
import { originGuard, requireJson, siteLimits, siteResolver, type RelayEnv } from './middleware.js';
import { createPropexoClient } from './propexo/client.js';
import type { LeadRecord, LeadStore } from './store/types.js';

export interface RelayDeps {
  config: RelayConfig;
  /** The upstream fetch (Propexo); tests pass a fake or point config at the sandbox. */
  fetch: typeof fetch;
  clock: { now(): number };
  limiter: RateLimiter;
  store: LeadStore;
  logger: Logger;
  getClientIp: (c: Context) => string | undefined;
  assets?: WidgetAssets;
  newId?: () => string;
}

/** Largest lead body accepted; a full submission with 2000 characters of notes is far below it. */
export const MAX_BODY_BYTES = 16 * 1024;
export const IDEMPOTENCY_KEY = /^[A-Za-z0-9_-]{8,128}$/;
export const LEADS_PATH = '/v1/sites/:site/leads';

const defaultNewId = () => `ld_${crypto.randomUUID().replaceAll('-', '')}`;

export function createRelay(deps: RelayDeps): Hono<RelayEnv> {
  const { config, clock, limiter, store, logger, getClientIp, assets } = deps;
  const newId = deps.newId ?? defaultNewId;
  const client = createPropexoClient({
    baseUrl: config.propexo.baseUrl,
    token: config.propexo.token,
    fetch: deps.fetch,
    timeoutMs: config.upstreamTimeoutMs,
  });
  const deliver: Deliver = createDeliverer({ client, store, logger, clock });

  const app = new Hono<RelayEnv>();
  app.onError(createErrorHandler(logger));
  app.notFound(notFound);

  // overwrite: false lets the widget routes keep their cross-origin resource policy.
  app.use(secureHeaders({ overwrite: false }));
  app.use(async function requestLog(c, next) {
    const started = clock.now();
    await next();
    const fields = { method: c.req.method, path: c.req.path, status: c.res.status, ms: clock.now() - started };
    if (c.req.path === '/healthz') logger.debug('request', fields);
    else logger.info('request', fields);
  });

  app.get('/healthz', (c) => c.json({ ok: true }));

  async function serveAsset(c: Context<RelayEnv>, path: string | null, cacheControl: string) {
    const asset = path === null || !assets ? null : await assets.get(path);
    if (!asset) return errorResponse(c, 404, 'not_found', 'No such file.');
    c.header('Content-Type', asset.contentType);
    c.header('Cache-Control', cacheControl);
    // The widget is a module script loaded cross-origin by marketing sites: it needs CORS and CORP.
    c.header('Access-Control-Allow-Origin', '*');
    c.header('Cross-Origin-Resource-Policy', 'cross-origin');
    return c.body(typeof asset.body === 'string' ? asset.body : new Uint8Array(asset.body));
  }

  app.get('/widget.js', (c) => serveAsset(c, 'widget.js', CACHE_ENTRY));
  // widget.js imports its lazy chunks as ./widget/<name>-<hash>.js: the URL path is the file's path
  // under the widget root, and the build names every file in widget/ by its content, so they never change.
  app.get('/widget/*', (c) => serveAsset(c, safeAssetPath(c.req.path.slice(1)), CACHE_IMMUTABLE));

  const leadGuards = [
    siteResolver(config.sites),
    originGuard(),
    // After the origin guard: a refused origin gets no Access-Control-* header at all.
    cors({
      origin: (origin) => origin,
      allowMethods: ['POST'],
      allowHeaders: ['Content-Type', 'Idempotency-Key'],
      exposeHeaders: ['Retry-After', 'RateLimit', 'RateLimit-Policy'],
      maxAge: 600,
    }),
  ] as const;

  app.options(LEADS_PATH, ...leadGuards, (c) => c.body(null, 204));

  app.post(
    LEADS_PATH,
    ...leadGuards,
    requireJson(),
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: () => {
        throw new ApiError(413, 'payload_too_large', `The body must be at most ${MAX_BODY_BYTES} bytes.`);
      },
    }),
    siteLimits({ limiter, getClientIp }),
    async function createLead(c) {
      const site = c.get('site');
      const data = await readJsonObject(c);

      const key = c.req.header('idempotency-key');
      if (key !== undefined && !IDEMPOTENCY_KEY.test(key)) {
        throw new ApiError(400, 'invalid_idempotency_key', 'Idempotency-Key must be 8 to 128 letters, digits, - or _.');
      }
      // A lead already sent under this key gets the same answer; nothing is stored or sent again.
      const previous = key === undefined ? null : await store.findByIdempotencyKey(site.slug, key);
      if (previous?.status === 'sent') return accepted(c, previous);

      const parsed = parseSubmission(data);
      if (!parsed.ok) throw new ApiError(400, 'invalid_fields', 'Some fields need attention.', { fields: parsed.fields });

      const now = clock.now();
      const inserted = await store.insert({
        id: newId(),
        site: site.slug,
        ...(key === undefined ? {} : { idempotency_key: key }),
        status: 'received',
        created_at: now,
        updated_at: now,
        attempts: 1,
        submission: parsed.value,
      });
      let record: LeadRecord;
      if (inserted.inserted) {
        record = inserted.record;
      } else {
        const existing = inserted.existing;
        if (existing.status === 'sent') return accepted(c, existing);
        // Only a failed lead is tried again, and only by one request (compare-and-set on the status).
        const claimed =
          existing.status === 'failed'
            ? await store.update(
                existing.id,
                { status: 'received', attempts: existing.attempts + 1, submission: parsed.value, error: undefined, updated_at: now },
                { ifStatus: 'failed' },
              )
            : null;
        if (!claimed) {
          throw new ApiError(503, 'upstream_unavailable', 'This lead is still being delivered; try again in a moment.', {
            headers: { 'Retry-After': '2' },
          });
        }
        record = claimed;
      }
      logger.info('lead.received', { lead_id: record.id, site: site.slug, attempt: record.attempts, idempotent: key !== undefined });

      const outcome = await deliver(record, site);
      if (outcome.ok) return accepted(c, outcome.record);
      if (outcome.kind === 'rejected' || outcome.kind === 'unauthorized') {
        throw new ApiError(502, 'upstream_rejected', 'The lead could not be delivered. The site’s operator has been notified.');
      }
      throw new ApiError(503, 'upstream_unavailable', 'The leasing office’s system is busy or unreachable; please try again shortly.', {
        headers: { 'Retry-After': String(outcome.retryAfterSeconds) },
      });
    },
  );

  app.all('/healthz', methodNotAllowed('GET, HEAD'));
  app.all('/widget.js', methodNotAllowed('GET, HEAD'));
  app.all('/widget/*', methodNotAllowed('GET, HEAD'));
  app.all(LEADS_PATH, methodNotAllowed('POST, OPTIONS'));

  return app;
}

function accepted(c: Context<RelayEnv>, record: LeadRecord) {
  return c.json({ id: record.id, status: 'sent' as const }, 202);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The body as a JSON object, or 400 invalid_json (bad UTF-8, bad JSON, or not an object). */
async function readJsonObject(c: Context<RelayEnv>): Promise<Record<string, unknown>> {
  const bytes = await c.req.arrayBuffer();
  // bodyLimit trusts Content-Length when present; the runtime enforces it, this re-checks cheaply.
  if (bytes.byteLength > MAX_BODY_BYTES) {
    throw new ApiError(413, 'payload_too_large', `The body must be at most ${MAX_BODY_BYTES} bytes.`);
  }
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new ApiError(400, 'invalid_json', 'The body is not valid UTF-8.');
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new ApiError(400, 'invalid_json', 'The body is not valid JSON.');
  }
  if (!isRecord(data)) throw new ApiError(400, 'invalid_json', 'The body must be a JSON object.');
  return data;
}
