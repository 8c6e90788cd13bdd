/**
 * The operator's routes, mounted at `/admin`, all after ADMIN_RATE_PER_MINUTE per client (every
 * guess at the token or a cookie counts):
 * - `GET /admin/leads?status=failed&site=&limit=` and `POST /admin/leads/:id/retry`: the scripts'
 *   API, behind ADMIN_TOKEN as Bearer (compared in constant time). Unlike every browser-facing
 *   answer these include the leads' fields: the operator needs them to act on a dead letter.
 * - `GET /admin/sites` and `POST /admin/sites/check`: the sites' check against Propexo
 *   (relay/sites/), behind the Bearer token too.
 * - `POST /admin/session` (the token, as JSON or a form) and `DELETE /admin/session`: the console's
 *   sign-in and sign-out (relay/http/session.ts).
 * - `/admin/api/…`: the console's API (console-api.ts), with the session cookie or the Bearer token;
 *   a state change made with the cookie must name the relay's own origin.
 * Without ADMIN_TOKEN configured, every admin request is refused.
 */
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { timingSafeEqual } from 'hono/utils/buffer';
import { ApiError, methodNotAllowed } from '../http/errors.js';
import { limitBody } from '../http/body.js';
import { routeLimit } from '../http/rate-limit.js';
import { createSessions, sameOrigin, sessionCookie, sessionCookieValue, type Sessions } from '../http/session.js';
import { webCryptoHashing } from '../lib/hash.js';
import { releaseHeld, requeueDeadLetter } from '../outbox/delivery/requeue.js';
import { LEAD_STATUSES, type LeadStatus } from '../outbox/store/types.js';
import type { RelayDeps, RelayEnv } from '../types.js';
import type { BookedTours } from '../tours/booked.js';
import { consoleApiRoutes, heldToursOf, refuseTourAlone } from './console-api.js';

const unauthorized = (c: Context, message = 'A valid admin token is required.') => {
  c.header('WWW-Authenticate', 'Bearer realm="resman-lead-form admin"');
  return new ApiError(401, 'unauthorized', message);
};
const bearerOf = (c: Context) => /^Bearer (\S+)$/.exec(c.req.header('authorization') ?? '')?.[1];
const tokenMatches = async (given: string | undefined, token: string | undefined) =>
  token !== undefined && given !== undefined && (await timingSafeEqual(given, token));

function adminAuth(token: string | undefined): MiddlewareHandler<RelayEnv> {
  return async function adminAuth(c, next) {
    if (!(await tokenMatches(bearerOf(c), token))) throw unauthorized(c);
    await next();
  };
}

/** The console's guard: Bearer for scripts, else a valid session cookie, with its own origin for a change. */
function consoleAuth(deps: RelayDeps, sessions: Sessions | undefined): MiddlewareHandler<RelayEnv> {
  return async function consoleAuth(c, next) {
    const bearer = bearerOf(c);
    if (bearer !== undefined) {
      if (!(await tokenMatches(bearer, deps.config.adminToken))) throw unauthorized(c);
      c.set('actor', 'token');
      return next();
    }
    const session = await sessions?.verify(sessionCookieValue(c), deps.clock.now());
    if (!session) throw unauthorized(c, 'Sign in to the console, or send the admin token.');
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD' && !sameOrigin(c)) {
      throw new ApiError(403, 'origin_not_allowed', "A change must come from the console's own origin.");
    }
    c.set('actor', `session:${session.id.slice(0, 8)}`);
    await next();
  };
}

/** The token from a JSON body `{"token": …}` or a form field `token`; undefined for anything else. */
async function signInToken(c: Context): Promise<string | undefined> {
  const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  const text = await c.req.text();
  if (type === 'application/x-www-form-urlencoded') return new URLSearchParams(text).get('token') ?? undefined;
  if (type !== 'application/json') throw new ApiError(415, 'unsupported_media_type', 'Send the token as JSON or as a form.');
  try {
    const token = (JSON.parse(text) as { token?: unknown } | null)?.token;
    return typeof token === 'string' ? token : undefined;
  } catch {
    throw new ApiError(400, 'invalid_json', 'The body is not JSON.');
  }
}

/** `booked`: Propexo's listing of each property's tours, which a released tour's slot counts. */
export function adminRoutes(deps: RelayDeps, booked?: BookedTours): Hono<RelayEnv> {
  const { store, clock, logger, config } = deps;
  const heldTours = heldToursOf(deps, booked);
  const admin = new Hono<RelayEnv>();
  const sessions =
    config.adminToken === undefined
      ? undefined
      : createSessions({
          adminToken: config.adminToken,
          ...(config.sessionSecret ? { sessionSecret: config.sessionSecret } : {}),
          lifetimeMs: config.adminSessionMs,
          hashing: deps.hashing ?? webCryptoHashing,
        });
  // Limited first, so every guess at the token counts.
  admin.use(routeLimit(deps, 'admin', config.adminRatePerMinute));

  admin.post('/session', limitBody(4096), async function signIn(c) {
    // Login CSRF: another site's page must not sign a browser into this console.
    if (!sameOrigin(c)) throw new ApiError(403, 'origin_not_allowed', "Sign in from the console's own origin.");
    const given = await signInToken(c);
    if (!sessions || !(await tokenMatches(given, config.adminToken))) {
      logger.warn('admin.sign_in_refused', {});
      throw unauthorized(c, 'The admin token is not right.');
    }
    const { session, value } = await sessions.issue(clock.now());
    c.header('Set-Cookie', sessionCookie(c, value, Math.floor(sessions.lifetimeMs / 1000)));
    c.header('Cache-Control', 'no-store');
    logger.info('admin.signed_in', { session: session.id.slice(0, 8), expires_at: new Date(session.expiresAt).toISOString() });
    // A form posted without script lands on the console; the console's own fetch reads JSON.
    if ((c.req.header('content-type') ?? '').startsWith('application/x-www-form-urlencoded')) return c.redirect('/admin/', 303);
    return c.json({ expires_at: session.expiresAt });
  });

  admin.delete('/session', async function signOut(c) {
    if (!sameOrigin(c)) throw new ApiError(403, 'origin_not_allowed', "Sign out from the console's own origin.");
    const session = await sessions?.verify(sessionCookieValue(c), clock.now());
    if (session) logger.info('admin.signed_out', { session: session.id.slice(0, 8) });
    c.header('Set-Cookie', sessionCookie(c, '', 0));
    return c.body(null, 204);
  });
  admin.all('/session', methodNotAllowed('POST, DELETE'));

  admin.use('/api/*', consoleAuth(deps, sessions));
  admin.route('/api', consoleApiRoutes(deps, booked));

  admin.use('/leads', adminAuth(config.adminToken));
  admin.use('/leads/*', adminAuth(config.adminToken));
  admin.get('/leads', async function listLeads(c) {
    const status = c.req.query('status');
    if (status !== undefined && !(LEAD_STATUSES as readonly string[]).includes(status)) {
      throw new ApiError(400, 'invalid_fields', 'status must be one of queued, sent, confirmed, failed, held.', {
        fields: [{ field: 'status', code: 'invalid_choice' }],
      });
    }
    const limitText = c.req.query('limit') ?? '100';
    const limit = /^\d{1,4}$/.test(limitText) ? Math.min(1000, Math.max(1, Number(limitText))) : 100;
    const site = c.req.query('site');
    const leads = await store.list({
      ...(status === undefined ? {} : { status: status as LeadStatus }),
      ...(site === undefined ? {} : { site }),
      limit,
    });
    return c.json({ counts: await store.counts(), leads });
  });

  admin.post('/leads/:id/retry', async function retryLead(c) {
    const id = c.req.param('id');
    const lead = await store.get(id);
    if (!lead) throw new ApiError(404, 'not_found', 'No such lead.');
    await refuseTourAlone(store, lead);
    // A held lead is released with its tour (console-api.ts's release); the answer says what became of a tour.
    const released = lead.status === 'held' ? await releaseHeld(store, lead, clock.now(), 'token', heldTours) : null;
    const queued =
      lead.status === 'held' ? (released?.lead ?? null) : await requeueDeadLetter(store, lead, clock.now(), 'token', heldTours);
    if (!queued) throw new ApiError(409, 'conflict', `Only a failed or held lead can be retried; this one is ${lead.status}.`);
    logger.info('lead.requeued_by_operator', { lead_id: id, site: lead.site, previous_error: lead.error, tour: released?.tour ?? null });
    deps.outbox?.wake();
    return c.json({ id, status: queued.status, ...(released?.tour ? { tour: released.tour } : {}) });
  });

  const { siteChecks } = deps;
  if (siteChecks) {
    admin.use('/sites', adminAuth(config.adminToken));
    admin.use('/sites/*', adminAuth(config.adminToken));
    // Every site's verdict, problems with their ids, and the last check's time.
    admin.get('/sites', async (c) => c.json(await siteChecks.report()));
    // A check of every site now (an operator fixed something in ResMan): what delivery learned is forgotten.
    admin.post('/sites/check', async (c) => {
      const report = await siteChecks.checkNow();
      logger.info('sites.checked_by_operator', { sites: report.sites.length });
      return c.json(report);
    });
    admin.all('/sites', methodNotAllowed('GET, HEAD'));
    admin.all('/sites/check', methodNotAllowed('POST'));
  }

  admin.all('/leads', methodNotAllowed('GET, HEAD'));
  admin.all('/leads/:id/retry', methodNotAllowed('POST'));
  // Anything else under /admin: refused as before, without saying whether it exists.
  admin.use('*', adminAuth(config.adminToken));
  return admin;
}
