/**
 * The relay's running check of its sites (relay/sites/monitor.ts) against a scripted directory, on a
 * manual clock: what it finds, when it checks again, what it tells subscribers (once per change),
 * which leads it holds, what it learns from delivery, and when it releases held leads.
 */
import { describe, expect, it } from 'vitest';
import { parseSites, type SiteConfig } from '../../relay/config/sites.js';
import { createLogger } from '../../relay/lib/log.js';
import type { ListResult } from '../../relay/propexo/answers.js';
import type { PropexoDirectory } from '../../relay/propexo/directory.js';
import { createSiteChecks } from '../../relay/sites/monitor.js';
import type { SiteCheckEvent } from '../../relay/sites/types.js';
import { checkedSink } from '../support/hygiene.js';
import { manualClock } from './fixtures.js';

const HOUR = 3_600_000;
const MINUTE = 60_000;

const ok = <T>(items: T[]): ListResult<T> => ({ ok: true, items, complete: true });
const outage: ListResult<never> = { ok: false, kind: 'unavailable', reason: 'http_503', status: 503, maybeDelivered: false };

/** One integration with two properties; `answer` replaces the lists' answers (an outage, say). */
function directory() {
  const calls: string[] = [];
  const state = {
    outage: false,
    employees: [
      { id: 'emp_a', property_id: 'prop_a', name: 'A', email: null, is_active: true },
      { id: 'emp_gone', property_id: 'prop_a', name: 'Gone', email: null, is_active: false },
      { id: 'emp_b', property_id: 'prop_b', name: 'B', email: null, is_active: null },
    ],
  };
  const lists: PropexoDirectory = {
    async listProperties(integration) {
      calls.push(`properties:${integration}`);
      if (state.outage) return outage;
      if (integration !== 'int_1') return ok([]);
      return ok([
        { id: 'prop_a', integration_id: 'int_1', name: 'A', city: null, state: null, is_active: true },
        { id: 'prop_b', integration_id: 'int_1', name: 'B', city: null, state: null, is_active: null },
        { id: 'prop_closed', integration_id: 'int_1', name: 'Closed', city: null, state: null, is_active: false },
      ]);
    },
    async listEmployees(scope) {
      calls.push(`employees:${scope.property_id}`);
      return state.outage ? outage : ok(state.employees.filter((e) => e.property_id === scope.property_id));
    },
    async listLeadSources(scope) {
      calls.push(`lead-sources:${scope.property_id}`);
      if (state.outage) return outage;
      return ok(['web', 'zillow'].map((name) => ({ id: `src_${scope.property_id}_${name}`, property_id: scope.property_id, name })));
    },
  };
  return { lists, calls, state };
}

const site = (slug: string, property: string, extra: object = {}) => ({
  [slug]: {
    name: slug,
    integration_id: 'int_1',
    property_id: property,
    employee_id: property === 'prop_a' ? 'emp_a' : 'emp_b',
    lead_source_id: `src_${property}_web`,
    allowed_origins: ['https://a.example'],
    ...extra,
  },
});

function setup(sitesJson: object) {
  const clock = manualClock();
  const dir = directory();
  let sites: ReadonlyMap<string, SiteConfig> = parseSites(JSON.stringify(sitesJson), 8787);
  const lines: string[] = [];
  const events: SiteCheckEvent[] = [];
  const released: string[] = [];
  const checks = createSiteChecks({
    sites: () => sites,
    directory: dir.lists,
    clock,
    logger: createLogger({ sink: checkedSink(lines), clock }),
    everyMs: HOUR,
    retryMs: MINUTE,
    onRelease: (slug) => released.push(slug),
  });
  checks.subscribe((e) => events.push(e));
  const logs = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  const setSites = (json: object) => void (sites = parseSites(JSON.stringify(json), 8787));
  return { clock, dir, checks, events, released, logs, setSites };
}

const statusOf = (checks: ReturnType<typeof setup>['checks'], slug: string) => checks.report().sites.find((s) => s.site === slug)!;

describe('the site checks', () => {
  it('checks every site at once, each list once per run, and says what is wrong with which id', async () => {
    const t = setup({
      ...site('good', 'prop_a'),
      ...site('twin', 'prop_a', { lead_source_map: { zillow: 'src_prop_a_zillow' } }),
      ...site('bad', 'prop_a', { employee_id: 'emp_gone', lead_source_map: { google: 'src_nope' } }),
      ...site('closed', 'prop_closed', { employee_id: 'emp_x' }),
      ...site('nowhere', 'prop_z'),
      ...site('lost', 'prop_a', { integration_id: 'int_9' }),
      ...site('unsure', 'prop_b'), // is_active null: not said, so not held against it
    });
    expect(t.checks.report().sites.map((s) => s.status)).toEqual(Array(7).fill('unchecked'));
    await t.checks.checkDue();
    const by = (slug: string) => statusOf(t.checks, slug);
    expect([by('good').status, by('twin').status, by('unsure').status]).toEqual(['ok', 'ok', 'ok']);
    expect(by('bad').problems.map(({ field, id, problem }) => [field, id, problem])).toEqual([
      ['employee_id', 'emp_gone', 'inactive'],
      ['lead_source_map.google', 'src_nope', 'not_found'],
    ]);
    expect(by('closed').problems.map((p) => [p.field, p.problem])).toEqual([
      ['property_id', 'inactive'],
      ['employee_id', 'not_found'],
    ]);
    expect(by('nowhere').problems.map((p) => [p.field, p.problem])).toEqual([['property_id', 'not_found']]);
    expect(by('lost').problems.map((p) => [p.field, p.problem])).toEqual([['integration_id', 'not_found']]);
    // One properties list per integration, one employees and one lead-sources list per property.
    expect([...t.dir.calls].sort()).toEqual(
      [
        'properties:int_1',
        'properties:int_9',
        'employees:prop_a',
        'lead-sources:prop_a',
        'employees:prop_b',
        'lead-sources:prop_b',
        'employees:prop_closed',
        'lead-sources:prop_closed',
      ].sort(),
    );
    // One alert per misconfigured site, naming the ids.
    const alerts = t.logs().filter((l) => l.event === 'site.misconfigured');
    expect(alerts.map((a) => [a.site, a.alert, a.level])).toEqual([
      ['bad', true, 'error'],
      ['closed', true, 'error'],
      ['nowhere', true, 'error'],
      ['lost', true, 'error'],
    ]);
    expect(alerts[0]!.problems).toEqual([
      expect.objectContaining({ field: 'employee_id', id: 'emp_gone', problem: 'inactive', source: 'check' }),
      expect.objectContaining({ field: 'lead_source_map.google', id: 'src_nope', problem: 'not_found' }),
    ]);
    expect(t.events.map((e) => [e.type, e.site])).toEqual(alerts.map((a) => ['site.misconfigured', a.site]));
  });

  it('holds only the leads sent with a wrong id, and tells each change once: misconfigured, then fixed (with the release)', async () => {
    const broken = site('oak', 'prop_a', { lead_source_map: { google: 'src_nope' } });
    const t = setup(broken);
    await t.checks.checkDue();
    const ids = { integration_id: 'int_1', property_id: 'prop_a', employee_id: 'emp_a' };
    expect(t.checks.holding('oak', { ...ids, lead_source_id: 'src_nope' }).map((p) => p.field)).toEqual(['lead_source_map.google']);
    expect(t.checks.holding('oak', { ...ids, lead_source_id: 'src_prop_a_web' })).toEqual([]);
    expect(t.checks.holding('elsewhere', { ...ids, lead_source_id: 'src_nope' })).toEqual([]);
    // The next checks find the same: nothing more is said.
    t.clock.advance(HOUR);
    expect(t.checks.nextDueAt()).toBe(t.clock.now());
    await t.checks.checkDue();
    expect(t.events.map((e) => e.type)).toEqual(['site.misconfigured']);

    // Fixed in the sites: not held any more (the entry changed), checked at once, fixed, released.
    t.setSites(site('oak', 'prop_a', { lead_source_map: { google: 'src_prop_a_zillow' } }));
    expect(t.checks.holding('oak', { ...ids, lead_source_id: 'src_nope' })).toEqual([]);
    expect(statusOf(t.checks, 'oak').status).toBe('unchecked');
    expect(t.checks.nextDueAt()).toBe(Number.NEGATIVE_INFINITY);
    await t.checks.checkDue();
    expect(statusOf(t.checks, 'oak')).toMatchObject({ status: 'ok', problems: [], checked_at: t.clock.now() });
    expect(t.events.map((e) => e.type)).toEqual(['site.misconfigured', 'site.fixed']);
    expect(t.released).toEqual(['oak']);
    expect(t.logs().filter((l) => l.event === 'site.fixed')).toHaveLength(1);
  });

  it('an outage leaves a site unknown, never misconfigured, and is checked again sooner, then hourly', async () => {
    const t = setup(site('oak', 'prop_a', { lead_source_map: { google: 'src_nope' } }));
    t.dir.state.outage = true;
    await t.checks.checkDue();
    expect(statusOf(t.checks, 'oak')).toMatchObject({ status: 'unknown', error: 'unavailable:http_503', problems: [] });
    expect(
      t.checks.holding('oak', { integration_id: 'int_1', property_id: 'prop_a', employee_id: 'emp_a', lead_source_id: 'src_nope' }),
    ).toEqual([]);
    expect(t.events.map((e) => e.type)).toEqual(['site.check_failed']);
    expect(t.checks.nextDueAt() - t.clock.now()).toBe(MINUTE);
    t.clock.advance(MINUTE);
    await t.checks.checkDue();
    expect(t.checks.nextDueAt() - t.clock.now()).toBe(2 * MINUTE); // doubling
    expect(t.events.map((e) => e.type)).toEqual(['site.check_failed']); // said once per spell
    t.dir.state.outage = false;
    t.clock.advance(2 * MINUTE);
    await t.checks.checkDue();
    expect(statusOf(t.checks, 'oak').status).toBe('misconfigured');
    expect(t.checks.nextDueAt() - t.clock.now()).toBe(HOUR);
    // An outage at a later check keeps the verdict it had, and says why the last attempt failed.
    t.dir.state.outage = true;
    t.clock.advance(HOUR);
    await t.checks.checkDue();
    expect(statusOf(t.checks, 'oak')).toMatchObject({ status: 'misconfigured', error: 'unavailable:http_503' });
  });

  it('learns an id delivery saw refused, until the entry changes or an operator checks again', async () => {
    const t = setup(site('oak', 'prop_a', { lead_source_map: { craigslist: 'src_prop_a_zillow', zillow: 'src_prop_a_zillow' } }));
    await t.checks.checkDue();
    expect(statusOf(t.checks, 'oak').status).toBe('ok');
    expect(t.checks.refused('oak', 'lead_source_id', 'src_elsewhere', 'ResMan: no')).toBe(false);
    expect(t.checks.refused('oak', 'lead_source_id', 'src_prop_a_zillow', 'ResMan: Transaction Source could not be found')).toBe(true);
    expect(statusOf(t.checks, 'oak').problems.map((p) => [p.field, p.problem, p.source])).toEqual([
      ['lead_source_map.craigslist', 'refused', 'delivery'],
      ['lead_source_map.zillow', 'refused', 'delivery'],
    ]);
    expect(t.checks.refused('oak', 'lead_source_id', 'src_prop_a_zillow', 'again')).toBe(true);
    expect(t.events.map((e) => e.type)).toEqual(['site.misconfigured']); // the same problems: said once
    // The hourly check cannot see what ResMan refuses: the learned problem stays.
    t.clock.advance(HOUR);
    await t.checks.checkDue();
    expect(statusOf(t.checks, 'oak').status).toBe('misconfigured');
    // An operator's check (the source made active in ResMan) forgets it.
    const report = await t.checks.checkNow();
    expect(report.sites[0]).toMatchObject({ status: 'ok', problems: [] });
    expect(t.events.map((e) => e.type)).toEqual(['site.misconfigured', 'site.fixed']);
    expect(t.released).toEqual(['oak']);
  });

  it('a subscriber that throws is logged and does not stop the others', async () => {
    const t = setup(site('oak', 'prop_a', { employee_id: 'emp_gone' }));
    const seen: string[] = [];
    t.checks.subscribe(() => {
      throw new Error('mail server down');
    });
    const stop = t.checks.subscribe((e) => seen.push(e.type));
    await t.checks.checkDue();
    expect(seen).toEqual(['site.misconfigured']);
    expect(t.logs().some((l) => l.event === 'site_checks.listener_failed')).toBe(true);
    stop();
    t.setSites(site('oak', 'prop_a'));
    await t.checks.checkDue();
    expect(seen).toEqual(['site.misconfigured']);
    expect(t.events.map((e) => e.type)).toEqual(['site.misconfigured', 'site.fixed']);
  });
});
