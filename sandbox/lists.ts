/**
 * Propexo's list endpoints: `offset` (default 0), `limit` (1..250, default 100), `order-by`
 * (`field:asc,other:desc`), equality filters, and `{ meta: { offset, limit, orderBy, hasMore, total }, results }`.
 */
import { Hono } from 'hono';
import { invalidRequest, type InvalidRequestBody, type Issue } from './create-lead.js';
import type { LeadRecord, SandboxData } from './data.js';
import { specEmployee, specFloorPlan, specLead, specLeadSource, specProperty, specUnit } from './shapes.js';

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 250;

export interface OrderBy {
  field: string;
  direction: 'asc' | 'desc';
}

export interface ListPage<T> {
  meta: { offset: number; limit: number; orderBy: OrderBy[]; hasMore: boolean; total: number };
  results: T[];
}

/** A filter: the query parameter's value, and whether a record matches it. */
export type Filter<T> = (record: T, value: string) => boolean;

/** Extra checks of a filter's value, e.g. the lead search's 10-digit phone. Return a message to refuse it. */
export type FilterCheck = (value: string) => string | undefined;

export interface ListSpec<T> {
  filters: Record<string, Filter<T>>;
  checks?: Record<string, FilterCheck>;
}

export type ListResult<T> = { ok: true; page: ListPage<T> } | { ok: false; error: InvalidRequestBody };

const INTEGER = /^\d+$/;

export const byField =
  <T>(field: keyof T): Filter<T> =>
  (record, value) =>
    String(record[field]) === value;

/** Applies paging, ordering and filters from `query` to `records`. */
export function listPage<T extends object>(records: T[], query: URLSearchParams, spec: ListSpec<T>): ListResult<T> {
  const issues: Issue[] = [];
  const offsetParam = query.get('offset');
  const limitParam = query.get('limit');
  const offset = offsetParam === null ? 0 : Number(offsetParam);
  const limit = limitParam === null ? DEFAULT_LIMIT : Number(limitParam);
  if (offsetParam !== null && !INTEGER.test(offsetParam)) {
    issues.push({ code: 'invalid_type', path: ['offset'], message: 'offset must be an integer >= 0' });
  }
  if (limitParam !== null && (!INTEGER.test(limitParam) || limit < 1 || limit > MAX_LIMIT)) {
    issues.push({ code: 'too_big', path: ['limit'], message: `limit must be an integer from 1 to ${MAX_LIMIT}` });
  }
  // Propexo's default order is `created_at:desc` (docs, Pagination).
  const orderBy = parseOrderBy(query.get('order-by') || 'created_at:desc', issues);
  for (const [name, check] of Object.entries(spec.checks ?? {})) {
    const value = query.get(name);
    const message = value === null ? undefined : check(value);
    if (message) issues.push({ code: 'invalid_string', path: [name], message });
  }
  if (issues.length > 0) return { ok: false, error: invalidRequest('Invalid query parameters', issues) };

  let selected = records.filter((record) =>
    Object.entries(spec.filters).every(([name, matches]) => {
      const value = query.get(name);
      return value === null || matches(record, value);
    }),
  );
  selected = [...selected].sort(compareBy(orderBy));
  const results = selected.slice(offset, offset + limit);
  return {
    ok: true,
    page: { meta: { offset, limit, orderBy, hasMore: offset + results.length < selected.length, total: selected.length }, results },
  };
}

function parseOrderBy(param: string | null, issues: Issue[]): OrderBy[] {
  if (param === null || param === '') return [];
  return param.split(',').map((part) => {
    const [field = '', direction = 'asc'] = part.trim().split(':');
    if (field === '' || (direction !== 'asc' && direction !== 'desc')) {
      issues.push({ code: 'invalid_value', path: ['order-by'], message: 'order-by must look like field:asc,other:desc' });
    }
    return { field, direction: direction === 'desc' ? 'desc' : 'asc' };
  });
}

function compareBy<T extends object>(orderBy: OrderBy[]) {
  return (a: T, b: T): number => {
    for (const { field, direction } of orderBy) {
      const x = (a as Record<string, unknown>)[field];
      const y = (b as Record<string, unknown>)[field];
      if (x === y) continue;
      // Missing values sort last whatever the direction, like SQL's NULLS LAST.
      if (x === null || x === undefined) return 1;
      if (y === null || y === undefined) return -1;
      const order = (x as number | string) < (y as number | string) ? -1 : 1;
      return direction === 'asc' ? order : -order;
    }
    return 0;
  };
}

// Propexo's lead search wants phones as 10 US digits.
const TEN_DIGIT_PHONE = /^[2-9]\d{9}$/;

/** Stored phones may carry formatting or a leading 1; compare their last 10 digits. */
function phoneMatches(stored: string | null, wanted: string): boolean {
  const digits = (stored ?? '').replace(/\D/g, '');
  return digits.length >= 10 && digits.slice(-10) === wanted;
}

/** The list endpoints, mounted under /v1. `leadRecords` is read per request: jobs add leads. */
export function listRoutes(data: SandboxData, leadRecords: () => LeadRecord[]): Hono {
  const routes = new Hono();
  // Filtered and ordered on the sandbox's records, served in the spec's shapes.
  const list = <T extends object>(path: string, records: () => T[], spec: ListSpec<T>, serve: (record: T) => unknown) =>
    routes.get(path, (c) => {
      const result = listPage(records(), new URL(c.req.url).searchParams, spec);
      return result.ok ? c.json({ ...result.page, results: result.page.results.map(serve) }) : c.json(result.error, 400);
    });
  const byProperty = <T extends { integration_id: string; property_id: string }>(): ListSpec<T> => ({
    filters: { integration_id: byField<T>('integration_id'), property_id: byField<T>('property_id') },
  });

  list('/properties', () => data.properties, { filters: { integration_id: byField('integration_id') } }, specProperty);
  list('/floor-plans', () => data.floorPlans, byProperty(), specFloorPlan);
  list(
    '/units',
    () => data.units,
    { filters: { ...byProperty<(typeof data.units)[number]>().filters, unit_number: byField('number') } },
    specUnit,
  );
  list('/lead-sources', () => data.leadSources, byProperty(), specLeadSource);
  list('/employees', () => data.employees, byProperty(), specEmployee);
  list(
    '/leads',
    leadRecords,
    {
      filters: {
        ...byProperty<LeadRecord>().filters,
        email_1: (lead, value) => (lead.email_1 ?? '').toLowerCase() === value.toLowerCase(),
        phone_1: (lead, value) => phoneMatches(lead.phone_1, value),
      },
      checks: { phone_1: (value) => (TEN_DIGIT_PHONE.test(value) ? undefined : 'phone_1 must be 10 digits matching ^[2-9]\\d{9}$') },
    },
    specLead,
  );
  return routes;
}
