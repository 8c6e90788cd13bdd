/**
 * One check of some sites against Propexo: for each, its integration has its property, the property
 * is active, its employee is one of the property's and active, and its lead source and every target
 * of its `lead_source_map` are lead sources of the property. Read from the lists (directory.ts), each
 * list once per run however many sites share it: one request per integration, two per property (more
 * only past 250 records).
 *
 * A list Propexo does not give (an outage, a 429, a refused token, a list longer than the pages read)
 * leaves what it would have shown unknown: never a problem. Propexo documents no answer for an
 * unknown id in a filter; an empty list of the integration's properties reads as an unknown integration.
 */
import type { SiteConfig } from '../config/sites.js';
import type { UpstreamFailure } from '../propexo/http.js';
import type { DirectoryEmployee, DirectoryLeadSource, DirectoryProperty, PropexoDirectory } from '../propexo/directory.js';
import type { ListResult } from '../propexo/answers.js';
import type { SiteIdKind, SiteProblem } from './types.js';

/** A site's verdict from one check: its problems, and why part of it could not be checked. */
export interface SiteVerdict {
  problems: SiteProblem[];
  /** Set when something could not be checked: `unavailable:http_503`, `list_truncated`. */
  error?: string;
}

/** The ids that identify what a check of a site looked at: a change of any makes the last verdict stale. */
export function checkedIds(site: SiteConfig): string {
  const map = [...(site.lead_source_map ?? new Map<string, string>())].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify([site.integration_id, site.property_id, site.employee_id, site.lead_source_id, map]);
}

/** Each list read once per run: the promise is shared by every site that needs it. */
function onceEach<K, T>(load: (key: K) => Promise<T>, keyOf: (key: K) => string): (key: K) => Promise<T> {
  const seen = new Map<string, Promise<T>>();
  return (key) => {
    const k = keyOf(key);
    let value = seen.get(k);
    if (!value) seen.set(k, (value = load(key)));
    return value;
  };
}

const failureOf = (f: UpstreamFailure) => `${f.kind}:${f.reason}`;

/** Checks `sites` (reading each list once); resolves with each site's verdict by slug. Never rejects on Propexo's account. */
export async function checkSites(sites: readonly SiteConfig[], directory: PropexoDirectory): Promise<Map<string, SiteVerdict>> {
  const properties = onceEach((integration: string) => directory.listProperties(integration), String);
  const scope = (site: SiteConfig) => ({ integration_id: site.integration_id, property_id: site.property_id });
  const key = (site: SiteConfig) => JSON.stringify([site.integration_id, site.property_id]);
  const employees = onceEach((site: SiteConfig) => directory.listEmployees(scope(site)), key);
  const leadSources = onceEach((site: SiteConfig) => directory.listLeadSources(scope(site)), key);
  const verdicts = new Map<string, SiteVerdict>();
  // One site after another: the lists they share are read once, and the budget paces every page.
  for (const site of sites) verdicts.set(site.slug, await checkSite(site, properties, employees, leadSources));
  return verdicts;
}

async function checkSite(
  site: SiteConfig,
  properties: (integration: string) => Promise<ListResult<DirectoryProperty>>,
  employees: (site: SiteConfig) => Promise<ListResult<DirectoryEmployee>>,
  leadSources: (site: SiteConfig) => Promise<ListResult<DirectoryLeadSource>>,
): Promise<SiteVerdict> {
  const problems: SiteProblem[] = [];
  const problem = (field: string, kind: SiteIdKind, id: string, what: SiteProblem['problem'], detail: string) =>
    problems.push({ field, kind, id, problem: what, detail, source: 'check' });
  let error: string | undefined;
  const unknown = (why: string) => void (error ??= why);

  const props = await properties(site.integration_id);
  if (!props.ok) return { problems, error: failureOf(props) };
  if (props.items.length === 0) {
    problem('integration_id', 'integration_id', site.integration_id, 'not_found', 'Propexo lists no property for this integration');
    return { problems };
  }
  const property = props.items.find((p) => p.id === site.property_id);
  if (!property) {
    if (!props.complete) return { problems, error: 'list_truncated' };
    problem('property_id', 'property_id', site.property_id, 'not_found', 'not a property of the integration');
    return { problems };
  }
  if (property.is_active === false) problem('property_id', 'property_id', site.property_id, 'inactive', 'the property is inactive');

  const staff = await employees(site);
  if (!staff.ok) unknown(failureOf(staff));
  else {
    const employee = staff.items.find((e) => e.id === site.employee_id);
    if (!employee) {
      if (staff.complete) problem('employee_id', 'employee_id', site.employee_id, 'not_found', 'not an employee of the property');
      else unknown('list_truncated');
    } else if (employee.is_active === false) {
      problem('employee_id', 'employee_id', site.employee_id, 'inactive', 'the employee is inactive');
    }
  }

  const sources = await leadSources(site);
  if (!sources.ok) unknown(failureOf(sources));
  else {
    const known = new Set(sources.items.map((s) => s.id));
    const wanted: [field: string, id: string][] = [
      ['lead_source_id', site.lead_source_id],
      ...[...(site.lead_source_map ?? [])].map(([utm, id]): [string, string] => [`lead_source_map.${utm}`, id]),
    ];
    for (const [field, id] of wanted) {
      if (known.has(id)) continue;
      if (sources.complete) problem(field, 'lead_source_id', id, 'not_found', 'not a lead source of the property');
      else unknown('list_truncated');
    }
  }
  return error === undefined ? { problems } : { problems, error };
}
