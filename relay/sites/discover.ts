/**
 * `npm run sites -- discover`: an integration's properties with their employees and lead sources, read
 * from Propexo, and a ready site entry for the property chosen, with the employee and lead source
 * chosen (or sensible defaults, said so), checked like any site before it is printed.
 */
import { parseSites } from '../config/sites.js';
import type { ListResult } from '../propexo/answers.js';
import type { DirectoryEmployee, DirectoryLeadSource, DirectoryProperty, PropexoDirectory } from '../propexo/directory.js';
import type { UpstreamFailure } from '../propexo/http.js';
import { checkSites } from './check.js';

export interface DiscoverChoice {
  integration: string;
  property?: string;
  employee?: string;
  leadSource?: string;
  /** `utm_source=lead_source_id` pairs for `lead_source_map`. */
  map: string[];
  origins: string[];
  slug?: string;
  name?: string;
}

export interface DiscoverOutcome {
  /** 0: done; 1: a chosen id is wrong; 2: a usage error; 3: Propexo could not be read. */
  code: number;
  /** For people: the listing, the defaults taken, what is wrong. */
  text: string[];
  /** The site entry (`{ slug: {...} }`), when a property was chosen and every choice is right. */
  entry?: Record<string, Record<string, unknown>>;
}

/** Written where no origin is given: it passes the schema, and says to replace it. */
export const PLACEHOLDER_ORIGIN = 'https://www.example.com';

const failed = (what: string, f: UpstreamFailure): DiscoverOutcome => ({
  code: 3,
  text: [`Propexo did not list ${what}: ${f.kind}:${f.reason}`],
});

const activity = (active: boolean | null) => (active === false ? 'INACTIVE' : active === true ? 'active' : 'active?');
const place = (p: DirectoryProperty) => [p.city, p.state].filter(Boolean).join(', ');
const byName = <T extends { id: string; name: string | null }>(a: T, b: T) =>
  (a.name ?? a.id).localeCompare(b.name ?? b.id) || a.id.localeCompare(b.id);

/** `Oak Grove Apartments` → `oak-grove-apartments`: a slug the schema accepts. */
export function slugOf(name: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/, '');
  return slug === '' ? 'site' : slug;
}

function listing(property: DirectoryProperty, employees: DirectoryEmployee[], sources: DirectoryLeadSource[]): string[] {
  const width = Math.max(0, ...[...employees, ...sources].map((r) => r.id.length));
  return [
    `  ${property.id}  ${property.name ?? '(no name)'}${place(property) ? ` (${place(property)})` : ''}  ${activity(property.is_active)}`,
    '    employees:',
    ...[...employees].sort(byName).map((e) => `      ${e.id.padEnd(width)}  ${e.name ?? '(no name)'}  ${activity(e.is_active)}`),
    '    lead sources:',
    ...[...sources].sort(byName).map((s) => `      ${s.id.padEnd(width)}  ${s.name ?? '(no name)'}`),
  ];
}

export async function discover(directory: PropexoDirectory, choice: DiscoverChoice): Promise<DiscoverOutcome> {
  const props = await directory.listProperties(choice.integration);
  if (!props.ok) return failed(`the properties of ${choice.integration}`, props);
  if (props.items.length === 0) return { code: 1, text: [`Propexo lists no property for integration ${choice.integration}.`] };
  const chosen = choice.property === undefined ? props.items : props.items.filter((p) => p.id === choice.property);
  if (chosen.length === 0) return { code: 1, text: [`${choice.property} is not a property of integration ${choice.integration}.`] };

  const text = [`Integration ${choice.integration}: ${props.items.length} propert${props.items.length === 1 ? 'y' : 'ies'}`];
  const lists = new Map<
    string,
    { employees: ListResult<DirectoryEmployee> & { ok: true }; sources: ListResult<DirectoryLeadSource> & { ok: true } }
  >();
  for (const property of [...chosen].sort(byName)) {
    const scope = { integration_id: choice.integration, property_id: property.id };
    const employees = await directory.listEmployees(scope);
    if (!employees.ok) return failed(`the employees of ${property.id}`, employees);
    const sources = await directory.listLeadSources(scope);
    if (!sources.ok) return failed(`the lead sources of ${property.id}`, sources);
    lists.set(property.id, { employees, sources });
    text.push(...listing(property, employees.items, sources.items));
  }
  if (choice.property === undefined) {
    text.push('Choose one with --property <id> for its site entry (and --employee, --lead-source, --origin, --map utm=id).');
    return { code: 0, text };
  }
  const property = chosen[0]!;
  const { employees, sources } = lists.get(property.id)!;
  const outcome = entryFor(choice, property, employees.items, sources.items, text);
  if (!outcome.entry) return outcome;
  // The entry as the relay would take it: through the sites schema, then the check, on the lists just read.
  const site = [...parseSites(JSON.stringify(outcome.entry), 8787, 'the entry').values()][0]!;
  const read: PropexoDirectory = {
    listProperties: async () => props,
    listEmployees: async () => employees,
    listLeadSources: async () => sources,
  };
  const verdict = (await checkSites([site], read)).get(site.slug)!;
  if (verdict.problems.length === 0 && !verdict.error) return outcome;
  const wrong = verdict.problems.map((p) => `${p.field}: ${p.id}: ${p.detail}`);
  return { code: verdict.problems.length > 0 ? 1 : 3, text: [...text, ...wrong, ...(verdict.error ? [verdict.error] : [])] };
}

function entryFor(
  choice: DiscoverChoice,
  property: DirectoryProperty,
  employees: DirectoryEmployee[],
  sources: DirectoryLeadSource[],
  text: string[],
): DiscoverOutcome {
  const wrong: string[] = [];
  if (property.is_active === false) wrong.push(`${property.id} is an inactive property.`);
  const active = employees.filter((e) => e.is_active !== false).sort(byName);
  const employee = choice.employee === undefined ? active[0] : employees.find((e) => e.id === choice.employee);
  if (!employee)
    wrong.push(choice.employee ? `${choice.employee} is not an employee of ${property.id}.` : `${property.id} has no active employee.`);
  else if (employee.is_active === false) wrong.push(`${employee.id} is an inactive employee.`);
  else if (choice.employee === undefined)
    text.push(`employee: ${employee.id} (${employee.name ?? 'no name'}), the first active one; --employee to choose`);

  const known = new Set(sources.map((s) => s.id));
  // The property's own website source if it has one by that name; else the first.
  const website = [...sources].sort(byName).find((s) => /web\s*site/i.test(s.name ?? '')) ?? [...sources].sort(byName)[0];
  const leadSource = choice.leadSource ?? website?.id;
  if (leadSource === undefined) wrong.push(`${property.id} has no lead source.`);
  else if (!known.has(leadSource)) wrong.push(`${leadSource} is not a lead source of ${property.id}.`);
  else if (choice.leadSource === undefined)
    text.push(`lead source: ${leadSource} (${website?.name ?? 'no name'}); --lead-source to choose`);

  const map: Record<string, string> = {};
  for (const pair of choice.map) {
    const [utm, id] = pair.split('=', 2).map((s) => s.trim());
    if (!utm || !id) wrong.push(`--map ${pair}: give utm_source=lead_source_id`);
    else if (!known.has(id)) wrong.push(`--map ${pair}: ${id} is not a lead source of ${property.id}.`);
    else map[utm.toLowerCase()] = id;
  }
  if (choice.origins.length === 0) text.push(`allowed_origins: ${PLACEHOLDER_ORIGIN}, a placeholder: give --origin https://your-site`);
  if (wrong.length > 0 || !employee || leadSource === undefined) return { code: 1, text: [...text, ...wrong] };

  const name = choice.name ?? property.name ?? property.id;
  const site: Record<string, unknown> = {
    name,
    integration_id: choice.integration,
    property_id: property.id,
    employee_id: employee.id,
    lead_source_id: leadSource,
    allowed_origins: choice.origins.length > 0 ? choice.origins : [PLACEHOLDER_ORIGIN],
    ...(Object.keys(map).length > 0 ? { lead_source_map: map } : {}),
  };
  return { code: 0, text, entry: { [choice.slug ?? slugOf(name)]: site } };
}
