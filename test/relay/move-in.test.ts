/**
 * Move-in dates that make sense: from the property's today, in its own time zone, to two years after
 * it. The relay refuses others (400, `date_out_of_range`), and the form's settings tell the widget
 * the property's today. On the manual clock, set to moments where the time zone decides the date.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../relay/config/config-error.js';
import { parseSites } from '../../relay/config/sites.js';
import { DEFAULT_TIME_ZONE, propertyToday } from '../../relay/config/time-zone.js';
import { ORIGIN, ROOMY_LIMITS, SITE_IDS, SITES, VALID_LEAD, buildRelay, errorOf, postLead } from './fixtures.js';

// 03:30 UTC on 10 March 2026: still the 9th in Chicago (CDT, UTC−5), already the 10th in Tokyo.
const EVENING_IN_CHICAGO = Date.UTC(2026, 2, 10, 3, 30);

const SITES_WITH_ZONES = JSON.stringify({
  'oak-grove': { ...SITES['oak-grove'], limits: ROOMY_LIMITS },
  tokyo: { ...SITES['oak-grove'], name: 'Tokyo Tower', limits: ROOMY_LIMITS, time_zone: 'Asia/Tokyo' },
});

function relayAt(now: number) {
  const relay = buildRelay({ env: { SITES_JSON: SITES_WITH_ZONES } });
  relay.clock.t = now;
  return relay;
}

const post = (relay: ReturnType<typeof buildRelay>, date: string, site = 'oak-grove') =>
  postLead(relay.app, { ...VALID_LEAD, email_1: `jane.${date}.${site}@gmail.com`, target_move_in_date: date }, { site });

describe('move-in dates', () => {
  it("refuses a date before the property's today, by its time zone, with a code and message of its own", async () => {
    const relay = relayAt(EVENING_IN_CHICAGO);
    const res = await post(relay, '2020-01-01');
    expect(res.status).toBe(400);
    const error = await errorOf(res);
    expect(error.code).toBe('invalid_fields');
    expect(error.fields).toEqual([
      { field: 'target_move_in_date', code: 'date_out_of_range', message: 'Choose a date from today to two years ahead.' },
    ]);
    // The 9th is today in Chicago (the default zone), yesterday in Tokyo.
    expect((await post(relay, '2026-03-09')).status).toBe(202);
    expect((await errorOf(await post(relay, '2026-03-09', 'tokyo'))).fields.map((f) => f.code)).toEqual(['date_out_of_range']);
    expect((await post(relay, '2026-03-10', 'tokyo')).status).toBe(202);
    expect(relay.store.all().map((l) => l.submission.target_move_in_date)).toEqual(['2026-03-09', '2026-03-10']);
  });

  it('takes a date up to two years after the property’s today, and refuses the day after', async () => {
    const relay = relayAt(EVENING_IN_CHICAGO);
    expect((await post(relay, '2028-03-09')).status).toBe(202);
    expect((await errorOf(await post(relay, '2028-03-10'))).fields.map((f) => f.code)).toEqual(['date_out_of_range']);
    expect((await post(relay, '2028-03-10', 'tokyo')).status).toBe(202);
    expect((await errorOf(await post(relay, '2099-12-31'))).fields.map((f) => f.code)).toEqual(['date_out_of_range']);
  });

  it("GET …/form says the property's today", async () => {
    const relay = relayAt(EVENING_IN_CHICAGO);
    const today = async (site: string) =>
      ((await (await relay.app.request(`/v1/sites/${site}/form`, { headers: { origin: ORIGIN } })).json()) as { today: string }).today;
    expect(await today('oak-grove')).toBe('2026-03-09');
    expect(await today('tokyo')).toBe('2026-03-10');
  });

  it('a site’s time zone is an IANA zone, checked at start; the default is America/Chicago', () => {
    const base = { name: 'Oak', ...SITE_IDS, allowed_origins: [ORIGIN] };
    const issuesOf = (time_zone: unknown): string[] => {
      try {
        parseSites(JSON.stringify({ oak: { ...base, time_zone } }), 8787);
      } catch (err) {
        if (err instanceof ConfigError) return [...err.issues];
        throw err;
      }
      return [];
    };
    expect(parseSites(JSON.stringify({ oak: base }), 8787).get('oak')!.time_zone).toBe('America/Chicago');
    expect(DEFAULT_TIME_ZONE).toBe('America/Chicago');
    for (const zone of ['America/Los_Angeles', 'Pacific/Honolulu', 'America/Puerto_Rico', 'UTC']) expect(issuesOf(zone), zone).toEqual([]);
    for (const zone of ['Central', 'America/Springfield', '', 'GMT+25']) {
      expect(issuesOf(zone), zone).toEqual(['SITES_JSON: oak.time_zone: must be an IANA time zone like America/Chicago']);
    }
    expect(issuesOf(-6)).toEqual(['SITES_JSON: oak.time_zone: must be a string']);
  });

  it('reads the date at the property across a change of daylight saving time', () => {
    // 2 November 2026, 05:59 and 06:00 UTC: 23:59 and 00:00 in Chicago (CST, UTC−6, since the 1st).
    expect(propertyToday('America/Chicago', Date.UTC(2026, 10, 2, 5, 59))).toBe('2026-11-01');
    expect(propertyToday('America/Chicago', Date.UTC(2026, 10, 2, 6, 0))).toBe('2026-11-02');
    expect(propertyToday('Pacific/Honolulu', Date.UTC(2026, 0, 1, 9, 59))).toBe('2025-12-31');
  });
});
