/**
 * Following a write job, as Propexo documents it: `GET /v1/admin/write-status/{job_id}`,
 * `POST /v1/admin/retry-write/{job_id}` and `GET /v1/admin/logs/writes/`. Mounted under /v1.
 */
import { Hono } from 'hono';
import { badRequest } from './create-lead.js';
import type { SandboxStore } from './store.js';

/** The spec's `write_category` enum (`_v1_admin_logs_writes__get_input`). The sandbox writes `leads` and `events` only. */
const WRITE_CATEGORIES: ReadonlySet<string> = new Set([
  'amenities',
  'applicants',
  'applications',
  'contracts',
  'crm_listings',
  'deposit_summaries',
  'event_types',
  'events',
  'file_types',
  'file_upload',
  'invoices',
  'leads',
  'leases',
  'listings',
  'properties',
  'purchase_orders',
  'recurring_resident_charges',
  'resident_charges',
  'resident_payments',
  'resident_pets',
  'residents',
  'service_request_vendors',
  'service_requests',
  'transactions',
  'units',
]);

const TIME_RANGES_MS: Record<string, number> = { hour: 3_600_000, day: 86_400_000, week: 7 * 86_400_000, month: 31 * 86_400_000 };

export function writeJobRoutes(store: SandboxStore, now: () => number): Hono {
  const routes = new Hono();

  routes.get('/admin/write-status/:job_id', (c) => {
    const job = store.job(c.req.param('job_id'));
    // The spec documents only 200 and 400 here: an unknown job is a 400.
    if (!job) return badRequest('No write job with this id', ['root_job_id']);
    return c.json({ write_status: job.write_status, errors: job.errors, created_record_id: job.created_record_id });
  });

  routes.post('/admin/retry-write/:job_id', async (c) => {
    const job_id = c.req.param('job_id');
    // The spec declares a JSON body, an object with no properties.
    const body: unknown = await c.req.json().catch(() => undefined);
    if (typeof body !== 'object' || body === null || Array.isArray(body) || Object.keys(body).length > 0) {
      return badRequest('Expected an empty JSON object', []);
    }
    const retried = store.retry(job_id);
    if (retried === undefined) return badRequest('No write job with this id', ['root_job_id']);
    // "Only failed write operations can be retried": nothing is queued, and no new job exists.
    if (retried === null) return c.json({ success: false, job_id });
    return c.json({ success: true, job_id: retried });
  });

  routes.get('/admin/logs/writes', (c) => {
    const q = new URL(c.req.url).searchParams;
    const limit = q.get('limit') === null ? 100 : Number(q.get('limit'));
    const offset = q.get('offset') === null ? 0 : Number(q.get('offset'));
    const range = q.get('time_range');
    const status = q.get('status');
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) return badRequest('limit must be an integer from 1 to 100', ['limit']);
    if (!Number.isInteger(offset) || offset < 0) return badRequest('offset must be an integer >= 0', ['offset']);
    if (range !== null && !Object.hasOwn(TIME_RANGES_MS, range))
      return badRequest('time_range must be hour, day, week or month', ['time_range']);
    if (status !== null && status !== 'SUCCESS' && status !== 'FAILURE') return badRequest('status must be SUCCESS or FAILURE', ['status']);
    const category = q.get('write_category');
    if (category !== null && !WRITE_CATEGORIES.has(category))
      return badRequest("write_category must be one of the spec's categories", ['write_category']);
    const integration = q.get('integration_id');
    const since = range === null ? Number.NEGATIVE_INFINITY : now() - TIME_RANGES_MS[range]!;
    // Lead creates and updates are `leads`; lead events, tour bookings and moves `events`; the sandbox writes nothing else.
    const wanted = category === null || category === 'leads' || category === 'events' ? category : undefined;
    const logs = (wanted === undefined ? [] : store.writeLogs(wanted))
      .filter(
        (l) =>
          (integration === null || l.integration_id === integration) &&
          (status === null || l.status === status) &&
          Date.parse(l.created_at) >= since,
      )
      .slice(offset, offset + limit);
    return c.json({ results: { logs } });
  });

  return routes;
}
