/**
 * The browser's API, mounted at `/v1/sites/:site/leads`: `POST` stores a lead and answers 202 once
 * it is safe; `GET /:id` is its receipt (status only, no personal data). The group's guards (site,
 * origin, CORS) apply once, with `use()`; the POST's own checks run in the order a refusal costs.
 */
import { Hono, type Context } from 'hono';
import { parseMeta } from '../../contract/meta.js';
import { isRecord, parseSubmission } from '../../contract/submission.js';
import type { SlotTakenBody, TourReceipt, ToursAnswer } from '../../contract/tours.js';
import { limitBody, requireJson } from '../http/body.js';
import { ApiError, methodNotAllowed } from '../http/errors.js';
import { originGuard, siteResolver } from '../http/guards.js';
import { allowedOriginCors } from '../http/headers.js';
import { waitUntilOf } from '../http/wait-until.js';
import { clientLimit, lookupLimit, siteQuotaAdmits } from '../http/rate-limit.js';
import { contentHash, fingerprints } from '../outbox/delivery/fingerprint.js';
import { propertyToday } from '../config/time-zone.js';
import { withContext } from '../outbox/lead-context.js';
import { newLeadRecord, type LeadRecord } from '../outbox/store/types.js';
import { unknownChoices, type PropertyLists } from '../propexo/property-lists.js';
import type { SpamScreen } from '../spam/screen.js';
import type { BookedTours } from '../tours/booked.js';
import { checkBooking, freshTours, parseTourRequest } from '../tours/booking.js';
import { tourTerms } from '../tours/settings.js';
import { isoInZone } from '../tours/zoned-time.js';
import type { SiteConfig } from '../config/sites.js';
import type { RelayDeps, RelayEnv } from '../types.js';

/** Largest lead body accepted; a full submission with 2000 characters of notes is far below it. */
export const MAX_BODY_BYTES = 16 * 1024;
export const IDEMPOTENCY_KEY = /^[A-Za-z0-9_-]{8,128}$/;
/** A key repeated within this window gets the first answer; nothing new is stored. */
export const KEY_WINDOW_MS = 24 * 60 * 60 * 1000;
/** The same prospect (names and a contact) from the same site within this window is the same lead. */
export const DEDUPE_WINDOW_MS = 10 * 60 * 1000;

const defaultNewId = () => `ld_${crypto.randomUUID().replaceAll('-', '')}`;

export function leadRoutes(deps: RelayDeps & { spamScreen: SpamScreen; lists: PropertyLists; booked: BookedTours }): Hono<RelayEnv> {
  const { config, clock, store, logger, getClientIp } = deps;
  const newId = deps.newId ?? defaultNewId;
  const lookups = lookupLimit(deps);

  /** A store that cannot answer makes the lead not accepted: 503, so the browser keeps the answers and tries again. */
  function unavailableOnFailure<T>(call: Promise<T>): Promise<T> {
    return call.catch((err: unknown) => {
      logger.error('store.unavailable', { error: err });
      throw new ApiError(503, 'unavailable', 'The relay cannot take leads right now; please try again shortly.', {
        headers: { 'Retry-After': '5' },
      });
    });
  }

  const leads = new Hono<RelayEnv>();
  leads.use(
    '/:id?',
    siteResolver(deps.sites ?? config.sites),
    originGuard(),
    // After the origin guard: a refused origin gets no Access-Control-* header at all.
    allowedOriginCors({
      allowMethods: ['GET', 'POST'],
      allowHeaders: ['Content-Type', 'Idempotency-Key'],
      exposeHeaders: ['Retry-After', 'RateLimit', 'RateLimit-Policy'],
      maxAge: 600,
    }),
  );

  leads.post(
    '/',
    requireJson(),
    limitBody(MAX_BODY_BYTES),
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
      // A booking's retry gets its tour back, as the first answer had it.
      const tour = await unavailableOnFailure(store.tourOf(first.id));
      return receipt(c, first, 202, tour ? tourReceipt(tour, c.get('site')) : undefined);
    },
    clientLimit(deps),
    async function acceptLead(c) {
      const site = c.get('site');
      // The prospect's fields, and beside them `meta` (attribution, consent), which Propexo never
      // sees, and a booking's `tour`.
      const { meta: rawMeta, tour: rawTour, ...fields } = await readJsonObject(c);
      const now = clock.now();
      // A move-in date counts from the property's today, in its time zone.
      const parsed = parseSubmission(fields, propertyToday(site.time_zone, now));
      const meta = rawMeta === undefined ? ({ ok: true, value: {} } as const) : parseMeta(rawMeta);
      const tourRequest = rawTour === undefined ? undefined : parseTourRequest(rawTour, site);
      const issues = [
        ...(parsed.ok ? [] : parsed.fields),
        ...(meta.ok ? [] : meta.fields),
        ...(tourRequest?.ok === false ? tourRequest.fields : []),
      ];
      const lead = parsed.ok && meta.ok ? withContext(parsed.value, meta.value, site, now) : undefined;
      if (lead && !lead.ok) issues.push(...lead.fields);
      if (!lead?.ok || tourRequest?.ok === false)
        throw new ApiError(400, 'invalid_fields', 'Some fields need attention.', { fields: issues });
      // A plan or unit of another property, or none at all, is not passed on to ResMan.
      const choices = await unknownChoices(deps.lists, site, lead.submission, waitUntilOf(c));
      if (choices.length > 0) throw new ApiError(400, 'invalid_fields', 'Some fields need attention.', { fields: choices });
      const tours = tourRequest && site.tours ? { ...site, tours: site.tours } : undefined;
      const booking =
        tours && tourRequest?.ok
          ? await unavailableOnFailure(checkBooking(deps, tours, tourRequest.value, now, waitUntilOf(c)))
          : undefined;
      if (booking && !booking.ok) {
        if ('fields' in booking) throw new ApiError(400, 'invalid_fields', 'Some fields need attention.', { fields: booking.fields });
        return slotTaken(c, booking.tours);
      }

      const key = c.req.header('idempotency-key');
      const spam = await deps.spamScreen({
        site,
        meta: meta.ok ? meta.value : {},
        now,
        idempotencyKey: key,
        remoteIp: () => getClientIp(c),
      });
      // Only a valid lead counts against the site's quota; past it, the lead is held, not refused.
      const held = spam ?? ((await siteQuotaAdmits(deps.limiter, site)) ? undefined : 'over_site_limit');
      // Suspected spam, or a lead past the site's quota, is kept apart: held, never sent unless an
      // operator releases it; so is its tour, which then takes no place.
      const status = held ? ('held' as const) : ('queued' as const);
      const tourStart = booking?.ok ? booking.start : undefined;
      const outcome = await unavailableOnFailure(
        store.accept(
          newLeadRecord(
            {
              id: newId(),
              site: site.slug,
              ...(key === undefined ? {} : { idempotency_key: key }),
              ...(lead.campaign === undefined ? {} : { campaign: lead.campaign }),
              fingerprints: await fingerprints(site.slug, lead.submission, deps.hashing),
              // The prospect's own words, before the relay's dated lines, and the tour asked for: a replay hashes the same.
              content_hash: await contentHash(parsed.ok ? parsed.value : lead.submission, lead.campaign, deps.hashing, tourStart),
              status,
              ...(held ? { error: held } : {}),
              submission: lead.submission,
            },
            now,
          ),
          { now, keyWindowMs: KEY_WINDOW_MS, dedupeWindowMs: DEDUPE_WINDOW_MS },
          booking?.ok
            ? {
                // The tour's record: the lead's words (the notes and contact the office reads), its
                // campaign (the lead source), no fingerprint or key of its own.
                record: newLeadRecord(
                  {
                    id: newId(),
                    site: site.slug,
                    fingerprints: [],
                    submission: lead.submission,
                    ...(lead.campaign === undefined ? {} : { campaign: lead.campaign }),
                    status,
                    ...(held ? { error: held } : {}),
                    tour_start: booking.start,
                  },
                  now,
                ),
                capacity: booking.capacity,
              }
            : undefined,
        ),
      );
      const { record, created } = outcome;
      if (outcome.slot_taken) {
        logger.info('tour.slot_taken', { site: site.slug, tour_start: new Date(tourStart!).toISOString() });
        return slotTaken(c, await unavailableOnFailure(freshTours(deps, tours!, clock.now(), waitUntilOf(c))));
      }
      const tourOf = outcome.tour ? { tour_id: outcome.tour.id, tour_start: new Date(outcome.tour.tour_start!).toISOString() } : {};
      if (created && held) {
        logger.warn('lead.held', { lead_id: record.id, site: site.slug, reason: held, ...tourOf });
      } else if (created) {
        logger.info('lead.accepted', {
          lead_id: record.id,
          site: site.slug,
          ...(record.follows ? { follows: record.follows } : {}),
          ...tourOf,
        });
        await deps.outbox?.wake();
      } else {
        logger.info('lead.replayed', { lead_id: record.id, site: site.slug, by: 'content', ...tourOf });
      }
      // A held lead is answered like any other: a bot learns nothing from the answer.
      return receipt(c, record, 202, outcome.tour ? tourReceipt(outcome.tour, site) : undefined);
    },
  );

  leads.get('/:id', lookups, async function leadReceipt(c) {
    const lead = await unavailableOnFailure(store.get(c.req.param('id')));
    if (!lead || lead.site !== c.get('site').slug) throw new ApiError(404, 'not_found', 'No such lead.');
    return receipt(c, lead, 200);
  });

  leads.all('/', methodNotAllowed('POST, OPTIONS'));
  leads.all('/:id', methodNotAllowed('GET, HEAD, OPTIONS'));
  return leads;
}

/**
 * The only thing a browser learns about a lead: its id, where it is on its way (held looks queued)
 * and, once known, what it became in ResMan: a `new_lead`, or an inquiry on the prospect's
 * `existing_lead` (a returning prospect, or a repeat with new words).
 */
function receipt(c: Context<RelayEnv>, lead: LeadRecord, status: 200 | 202, tour?: TourReceipt) {
  const recordedAs = lead.target_lead_id !== undefined ? 'existing_lead' : lead.status === 'confirmed' ? 'new_lead' : undefined;
  return c.json(
    {
      id: lead.id,
      status: lead.status === 'held' ? 'queued' : lead.status,
      ...(recordedAs ? { recorded_as: recordedAs } : {}),
      ...(tour ? { tour } : {}),
    },
    status,
  );
}

/** The tour a booking holds, with the property's offset, as the slots answer gives a start. */
function tourReceipt(tour: LeadRecord, site: SiteConfig): TourReceipt {
  const start = tour.tour_start!;
  const minutes = tourTerms(site.tours).slot_minutes;
  return { start: isoInZone(start, site.time_zone), end: isoInZone(start + minutes * 60_000, site.time_zone) };
}

/** `409 slot_taken`: the envelope, and the slots open now; nothing was stored, so a new key is fine. */
function slotTaken(c: Context<RelayEnv>, tours: ToursAnswer) {
  c.header('Cache-Control', 'no-store');
  const body: SlotTakenBody = {
    error: { code: 'slot_taken', message: 'That tour time was just taken; please pick another.', fields: [] },
    tours,
  };
  return c.json(body, 409);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The body as a JSON object, or 400 invalid_json (bad UTF-8, bad JSON, or not an object). */
async function readJsonObject(c: Context<RelayEnv>): Promise<Record<string, unknown>> {
  const bytes = await c.req.arrayBuffer();
  // limitBody trusts Content-Length when present; the runtime holds the body to it, this re-checks cheaply.
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
