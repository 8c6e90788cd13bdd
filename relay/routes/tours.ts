/**
 * `GET /v1/sites/:site/tours?from=YYYY-MM-DD&days=N`: the tour slots a prospect can book, per
 * property-local date, from the site's `tours` hours (relay/tours/slots.ts), less what is taken: the
 * relay's own bookings, counted from its store as the booking itself counts them, and the
 * appointments Propexo lists for the property (relay/tours/booked.ts) but for those that are the
 * relay's own tours already delivered. The same origin rule and
 * lookup limit as the form's routes. `from` defaults to the property's today and `days` to the whole
 * window (`days_ahead`); both are clamped into the window, and the answer says which dates it covers.
 *
 * `{ site, time_zone, slot_minutes, address, days: [{ date, weekday, slots: [{ start, label }] }] }`:
 * `start` is an instant with the property's offset, the value a booking sends back; `label` is its
 * wall time in English (the widget formats `start` in its own language and the property's zone).
 */
import { Hono } from 'hono';
import type { FieldIssue } from '../../contract/errors.js';
import { isCalendarDate } from '../../contract/submission.js';
import { ApiError, methodNotAllowed } from '../http/errors.js';
import { originGuard, siteResolver } from '../http/guards.js';
import { allowedOriginCors } from '../http/headers.js';
import { lookupLimit } from '../http/rate-limit.js';
import { waitUntilOf } from '../http/wait-until.js';
import type { BookedTours } from '../tours/booked.js';
import { slotsTaken, toursAnswer } from '../tours/availability.js';
import type { RelayDeps, RelayEnv } from '../types.js';

export interface TourRouteDeps extends Pick<RelayDeps, 'config' | 'sites' | 'clock' | 'limiter' | 'logger' | 'getClientIp' | 'store'> {
  booked: BookedTours;
}

/** Mounted at `/v1/sites/:site`: its `/tours`. */
export function tourRoutes(deps: TourRouteDeps): Hono<RelayEnv> {
  const { clock } = deps;
  const tours = new Hono<RelayEnv>();
  tours.use(
    '/tours',
    siteResolver(deps.sites ?? deps.config.sites),
    originGuard(),
    allowedOriginCors({ allowMethods: ['GET'], maxAge: 600 }),
  );

  tours.get('/tours', lookupLimit(deps), async function tourSlots(c) {
    const site = c.get('site');
    const settings = site.tours;
    if (!settings) throw new ApiError(404, 'not_found', 'This site does not offer tours.');
    const from = c.req.query('from');
    const daysText = c.req.query('days');
    const issues: FieldIssue[] = [];
    if (from !== undefined && !isCalendarDate(from)) issues.push({ field: 'from', code: 'invalid_date' });
    if (daysText !== undefined && !/^\d{1,3}$/.test(daysText)) issues.push({ field: 'days', code: 'not_integer' });
    else if (daysText !== undefined && (Number(daysText) < 1 || Number(daysText) > settings.days_ahead)) {
      issues.push({ field: 'days', code: 'out_of_range' });
    }
    if (issues.length > 0) throw new ApiError(400, 'invalid_fields', 'Some fields need attention.', { fields: issues });

    const now = clock.now();
    const taken = await slotsTaken(deps, { ...site, tours: settings }, now, waitUntilOf(c));
    c.header('Cache-Control', 'no-store');
    return c.json(
      toursAnswer({ ...site, tours: settings }, now, taken, {
        ...(from === undefined ? {} : { from }),
        ...(daysText === undefined ? {} : { days: Number(daysText) }),
      }),
    );
  });

  tours.all('/tours', methodNotAllowed('GET, HEAD, OPTIONS'));
  return tours;
}
