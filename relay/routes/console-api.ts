/**
 * The console's JSON API under `/admin/api/`, behind the console's guard (admin.ts): a session
 * cookie, or the admin token as Bearer for scripts. `c.get('actor')` names who acts in the logs and
 * on the lead's timeline. Contact details are masked everywhere but a reveal's answer; each reveal
 * is logged (`lead.revealed`) and goes on the lead's timeline.
 */
import { Hono } from 'hono';
import { ApiError, methodNotAllowed } from '../http/errors.js';
import { hex, webCryptoHashing } from '../lib/hash.js';
import { type HeldTours, configuredTourCapacity, releaseHeld, requeueDeadLetter, tourStaysPut } from '../outbox/delivery/requeue.js';
import { MARKED_SPAM, type LeadRecord, type LeadStore } from '../outbox/store/types.js';
import type { BookedTours } from '../tours/booked.js';
import { slotsTaken } from '../tours/availability.js';
import type { RelayDeps, RelayEnv } from '../types.js';
import { contactOf, leadsCsv, maskedLead, parseLeadFilter, siteOverview, type LeadFilter } from './console-data.js';

/** The most leads the store lists at once, and so the most an export holds. */
const MAX_LIST = 1000;
const WEEK = 7 * 86_400_000;

/**
 * What an operator's release does with a held tour: the slot takes the site's `tours.per_slot` less
 * the tours Propexo lists in it, as a booking counts them (relay/tours/booking.ts); without Propexo's
 * listing (`booked` absent), per_slot alone.
 */
export function heldToursOf(deps: Pick<RelayDeps, 'sites' | 'config' | 'logger' | 'store' | 'clock'>, booked?: BookedTours): HeldTours {
  const sites = deps.sites ?? deps.config.sites;
  const configured = configuredTourCapacity(sites);
  if (!booked) return { capacity: configured, logger: deps.logger };
  return {
    capacity: async (tour) => {
      const site = sites.get(tour.site);
      if (!site?.tours || tour.tour_start === undefined) return configured(tour);
      const taken = await slotsTaken({ store: deps.store, booked }, { ...site, tours: site.tours }, deps.clock.now());
      return Math.max(0, site.tours.per_slot - taken.listed(tour.tour_start));
    },
    logger: deps.logger,
  };
}

/** A tour record an operator may not act on alone (requeue.ts, tourStaysPut): 409 with the reason. */
export async function refuseTourAlone(store: LeadStore, record: LeadRecord): Promise<void> {
  const why = await tourStaysPut(store, record);
  if (why) throw new ApiError(409, 'conflict', why);
}

export function consoleApiRoutes(deps: RelayDeps, booked?: BookedTours): Hono<RelayEnv> {
  const { store, clock, logger } = deps;
  const hashing = deps.hashing ?? webCryptoHashing;
  const heldTours = heldToursOf(deps, booked);
  const api = new Hono<RelayEnv>();

  const filtered = async (filter: LeadFilter): Promise<{ leads: LeadRecord[]; truncated: boolean }> => {
    // One more than asked, to tell whether there are more (the store gives at most 1000).
    const listed = await store.list({
      ...(filter.site ? { site: filter.site } : {}),
      ...(filter.status ? { status: filter.status } : {}),
      ...(filter.from !== undefined ? { createdFrom: filter.from } : {}),
      ...(filter.to !== undefined ? { createdBefore: filter.to } : {}),
      ...filter.contact,
      limit: Math.min(filter.limit + 1, MAX_LIST),
    });
    return { leads: listed.slice(0, filter.limit), truncated: listed.length > filter.limit || listed.length === MAX_LIST };
  };
  const leadOr404 = async (id: string): Promise<LeadRecord> => {
    const lead = await store.get(id);
    if (!lead) throw new ApiError(404, 'not_found', 'No such lead.');
    return lead;
  };

  api.get('/overview', async function overview(c) {
    const now = clock.now();
    const [rows, counts, propexo] = await Promise.all([store.activity(now - WEEK), store.counts(), deps.propexoState?.() ?? null]);
    // Configured sites show even without leads; a site only in KV shows once it has one.
    const sites = deps.config.sites.keys();
    c.header('Cache-Control', 'no-store');
    return c.json({
      generated_at: now,
      counts,
      sites: siteOverview(rows, sites, now),
      propexo: propexo && { ...propexo, backlog: counts.queued },
    });
  });

  api.get('/leads', async function listLeads(c) {
    const { leads, truncated } = await filtered(parseLeadFilter((key) => c.req.query(key)));
    c.header('Cache-Control', 'no-store');
    return c.json({ leads: leads.map(maskedLead), truncated, contact_details: 'masked' });
  });

  api.get('/leads.csv', async function exportLeads(c) {
    const filter = parseLeadFilter((key) => c.req.query(key));
    const { leads } = await filtered({ ...filter, limit: MAX_LIST });
    logger.info('leads.exported', { by: c.get('actor'), count: leads.length, site: filter.site ?? null, status: filter.status ?? null });
    c.header('Cache-Control', 'no-store');
    c.header('Content-Disposition', 'attachment; filename="leads.csv"');
    // Masked always: a file travels further than a screen. Reveal a lead to see its details.
    c.header('X-Contact-Details', 'masked');
    return c.body(leadsCsv(leads), 200, { 'Content-Type': 'text/csv; charset=utf-8' });
  });

  api.get('/leads/:id', async function oneLead(c) {
    const lead = await leadOr404(c.req.param('id'));
    c.header('Cache-Control', 'no-store');
    return c.json({ lead: maskedLead(lead), history: await store.history(lead.id) });
  });

  api.post('/leads/:id/reveal', async function reveal(c) {
    const lead = await leadOr404(c.req.param('id'));
    const by = c.get('actor');
    const at = clock.now();
    await store.appendEvent(lead.id, { at, type: 'revealed', detail: { by } });
    logger.info('lead.revealed', { lead_id: lead.id, site: lead.site, by, at: new Date(at).toISOString() });
    c.header('Cache-Control', 'no-store');
    return c.json({ id: lead.id, contact: contactOf(lead) });
  });

  api.post('/leads/:id/retry', async function retry(c) {
    const lead = await leadOr404(c.req.param('id'));
    if (lead.status !== 'failed') throw new ApiError(409, 'conflict', `Only a failed lead can be retried; this one is ${lead.status}.`);
    await refuseTourAlone(store, lead);
    const queued = await requeueDeadLetter(store, lead, clock.now(), c.get('actor'), heldTours);
    if (!queued) throw new ApiError(409, 'conflict', 'The lead changed meanwhile; look again.');
    logger.info('lead.requeued_by_operator', { lead_id: lead.id, site: lead.site, previous_error: lead.error, by: c.get('actor') });
    deps.outbox?.wake();
    return c.json({ id: lead.id, status: queued.status });
  });

  api.post('/leads/:id/release', async function release(c) {
    const lead = await leadOr404(c.req.param('id'));
    if (lead.status !== 'held' || lead.error === MARKED_SPAM) {
      throw new ApiError(
        409,
        'conflict',
        `Only a held lead not marked as spam can be released; this one is ${lead.error === MARKED_SPAM ? 'marked as spam' : lead.status}.`,
      );
    }
    await refuseTourAlone(store, lead);
    // Its tour too, while the tour's slot has a place; else the tour is a dead letter for the office.
    const released = await releaseHeld(store, lead, clock.now(), c.get('actor'), heldTours);
    if (!released) throw new ApiError(409, 'conflict', 'The lead changed meanwhile; look again.');
    logger.info('lead.released_by_operator', {
      lead_id: lead.id,
      site: lead.site,
      held_for: lead.error,
      tour: released.tour,
      by: c.get('actor'),
    });
    deps.outbox?.wake();
    return c.json({ id: lead.id, status: released.lead.status, tour: released.tour });
  });

  api.post('/leads/:id/spam', async function markSpam(c) {
    const lead = await leadOr404(c.req.param('id'));
    if (lead.status !== 'held') throw new ApiError(409, 'conflict', `Only a held lead can be marked as spam; this one is ${lead.status}.`);
    await refuseTourAlone(store, lead);
    const now = clock.now();
    const by = c.get('actor');
    const mark = (record: LeadRecord) =>
      store.update(
        record.id,
        { error: MARKED_SPAM, updated_at: now },
        { ifStatus: 'held' },
        { at: now, type: 'marked_spam', detail: { by, held_for: record.error ?? null } },
      );
    const marked = await mark(lead);
    if (!marked) throw new ApiError(409, 'conflict', 'The lead changed meanwhile; look again.');
    // Its held tour likewise, so the two are purged together.
    const tour = lead.tour_start === undefined ? await store.tourOf(lead.id) : null;
    const tourMarked = tour?.status === 'held' && (await mark(tour)) !== null;
    logger.info('lead.marked_spam', { lead_id: lead.id, site: lead.site, held_for: lead.error, tour: tourMarked, by });
    return c.json({ id: lead.id, status: marked.status, error: MARKED_SPAM, tour: tourMarked ? MARKED_SPAM : null });
  });

  /**
   * Live updates by polling: a version of the outbox (counts by status and the newest lead) as an
   * ETag; a poll with If-None-Match of an unchanged outbox is a 304 with no body. Polling rather
   * than server-sent events: on Workers a stream would hold a Worker and the one outbox object open.
   */
  api.get('/changes', async function changes(c) {
    const [counts, newest] = await Promise.all([store.counts(), store.list({ limit: 1 })]);
    const version = hex(await hashing.sha256(JSON.stringify([counts, newest[0]?.id ?? null, newest[0]?.updated_at ?? null]))).slice(0, 16);
    const etag = `"${version}"`;
    c.header('ETag', etag);
    c.header('Cache-Control', 'no-cache');
    if (c.req.header('if-none-match') === etag) return c.body(null, 304);
    return c.json({ version, counts });
  });

  // The sites' check as `GET /admin/sites` gives it, for the console's cookie (that route takes the Bearer token only).
  api.get('/sites', async function sites(c) {
    c.header('Cache-Control', 'no-store');
    return c.json(deps.siteChecks ? await deps.siteChecks.report() : null);
  });
  // The console's "Check now" (as `POST /admin/sites/check`): the sites re-read, every one checked, fixed ones' leads released.
  api.post('/sites/check', async function checkSites(c) {
    if (!deps.siteChecks) throw new ApiError(404, 'not_found', 'This relay does not check its sites.');
    const report = await deps.siteChecks.checkNow();
    logger.info('sites.checked_by_operator', { sites: report.sites.length, by: c.get('actor') });
    return c.json(report);
  });

  api.all('/overview', methodNotAllowed('GET, HEAD'));
  api.all('/sites', methodNotAllowed('GET, HEAD'));
  api.all('/sites/check', methodNotAllowed('POST'));
  api.all('/leads', methodNotAllowed('GET, HEAD'));
  api.all('/leads.csv', methodNotAllowed('GET, HEAD'));
  api.all('/changes', methodNotAllowed('GET, HEAD'));
  api.all('/leads/:id', methodNotAllowed('GET, HEAD'));
  for (const action of ['reveal', 'retry', 'release', 'spam']) api.all(`/leads/:id/${action}`, methodNotAllowed('POST'));
  // Here, not at /admin's catch-all, which asks a signed-in console for the Bearer token.
  api.all('*', () => {
    throw new ApiError(404, 'not_found', 'No such route.');
  });
  return api;
}
