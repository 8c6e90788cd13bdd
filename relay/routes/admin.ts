/**
 * The operator's view of the outbox, mounted at `/admin` behind `ADMIN_TOKEN` (Bearer, compared in
 * constant time, applied once to the group, after ADMIN_RATE_PER_MINUTE per client): `GET /admin/leads?status=failed&site=&limit=` and
 * `POST /admin/leads/:id/retry`; and of the sites' check against Propexo: `GET /admin/sites` and
 * `POST /admin/sites/check` (relay/sites/).
 * Unlike every browser-facing answer these include the leads' fields: the operator needs them to
 * act on a dead letter. Without ADMIN_TOKEN configured, every admin request is refused.
 */
import { Hono, type MiddlewareHandler } from 'hono';
import { timingSafeEqual } from 'hono/utils/buffer';
import { ApiError, methodNotAllowed } from '../http/errors.js';
import { routeLimit } from '../http/rate-limit.js';
import { requeueDeadLetter } from '../outbox/delivery/requeue.js';
import { LEAD_STATUSES, type LeadStatus } from '../outbox/store/types.js';
import type { RelayDeps, RelayEnv } from '../types.js';

function adminAuth(token: string | undefined): MiddlewareHandler<RelayEnv> {
  return async function adminAuth(c, next) {
    const given = /^Bearer (\S+)$/.exec(c.req.header('authorization') ?? '')?.[1];
    if (token === undefined || given === undefined || !(await timingSafeEqual(given, token))) {
      c.header('WWW-Authenticate', 'Bearer realm="resman-lead-form admin"');
      throw new ApiError(401, 'unauthorized', 'A valid admin token is required.');
    }
    await next();
  };
}

export function adminRoutes(deps: RelayDeps): Hono<RelayEnv> {
  const { store, clock, logger } = deps;
  const admin = new Hono<RelayEnv>();
  // Limited first, so every guess at the token counts.
  admin.use(routeLimit(deps, 'admin', deps.config.adminRatePerMinute), adminAuth(deps.config.adminToken));

  admin.get('/leads', async function listLeads(c) {
    const status = c.req.query('status');
    if (status !== undefined && !(LEAD_STATUSES as readonly string[]).includes(status)) {
      throw new ApiError(400, 'invalid_fields', 'status must be one of queued, sent, confirmed, failed.', {
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
    const queued = await requeueDeadLetter(store, lead, clock.now());
    if (!queued) throw new ApiError(409, 'conflict', `Only a failed or held lead can be retried; this one is ${lead.status}.`);
    logger.info('lead.requeued_by_operator', { lead_id: id, site: lead.site, previous_error: lead.error });
    deps.outbox?.wake();
    return c.json({ id, status: queued.status });
  });

  const { siteChecks } = deps;
  if (siteChecks) {
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
  return admin;
}
