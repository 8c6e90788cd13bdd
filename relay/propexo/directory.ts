/**
 * What an account holds, as the site check and `npm run sites -- discover` read it: an integration's
 * properties (`GET /v1/properties/?integration_id=`), and a property's employees and lead sources
 * (`GET /v1/employees/`, `GET /v1/lead-sources/`, filtered by `integration_id` and `property_id`),
 * every page. Shapes: spec `Property`, `Employee`, `LeadSource` (docs/propexo.md).
 *
 * A client apart from the deliverer's (client.ts): the same request, token handling and failures,
 * but each call is a whole list, which the caller paces through the upstream budget page by page.
 */
import { type ListResult, listAll } from './answers.js';
import { createPropexoRequest, type PropexoHttpOptions, type PropexoRequest } from './http.js';
import * as S from './schemas.js';

export interface DirectoryProperty {
  id: string;
  integration_id: string | null;
  name: string | null;
  city: string | null;
  state: string | null;
  /** The spec's `is_active`: null when Propexo does not say. */
  is_active: boolean | null;
}

export interface DirectoryEmployee {
  id: string;
  property_id: string | null;
  name: string | null;
  email: string | null;
  is_active: boolean | null;
}

/** The spec's `LeadSource` has no activity flag: an inactive source shows only when ResMan refuses a write with it. */
export interface DirectoryLeadSource {
  id: string;
  property_id: string | null;
  name: string | null;
}

export interface PropertyScope {
  integration_id: string;
  property_id: string;
}

export interface PropexoDirectory {
  listProperties(integrationId: string): Promise<ListResult<DirectoryProperty>>;
  listEmployees(scope: PropertyScope): Promise<ListResult<DirectoryEmployee>>;
  listLeadSources(scope: PropertyScope): Promise<ListResult<DirectoryLeadSource>>;
}

/**
 * Pages of 250 followed for an integration's properties: a management company's ResMan account may
 * hold hundreds. Employees and lead sources, per property, stop at the usual 4 pages.
 */
export const MAX_PROPERTY_PAGES = 20;

/**
 * The directory over `request`: by default a request of its own (createPropexoRequest), or one the
 * caller wraps, e.g. to take a share of the upstream budget before each page.
 */
export function createPropexoDirectory(options: PropexoHttpOptions | { request: PropexoRequest }): PropexoDirectory {
  const request = 'request' in options ? options.request : createPropexoRequest(options);
  const scoped = (scope: PropertyScope) => ({ integration_id: scope.integration_id, property_id: scope.property_id });
  return {
    async listProperties(integrationId) {
      const res = await listAll(request, '/v1/properties/', { integration_id: integrationId }, S.Property, MAX_PROPERTY_PAGES);
      if (!res.ok) return res;
      const items = res.items.map((p) => ({
        id: p.id,
        integration_id: p.integration_id,
        name: p.name,
        city: p.city,
        state: p.state,
        is_active: p.is_active ?? null,
      }));
      return { ...res, items };
    },
    async listEmployees(scope) {
      const res = await listAll(request, '/v1/employees/', scoped(scope), S.Employee);
      if (!res.ok) return res;
      const items = res.items.map((e) => ({
        id: e.id,
        property_id: e.property_id,
        name: e.name,
        email: e.email,
        is_active: e.is_active ?? null,
      }));
      return { ...res, items };
    },
    async listLeadSources(scope) {
      const res = await listAll(request, '/v1/lead-sources/', scoped(scope), S.LeadSource);
      if (!res.ok) return res;
      return { ...res, items: res.items.map((l) => ({ id: l.id, property_id: l.property_id, name: l.name })) };
    },
  };
}
