/**
 * A property's floor plans and available units, as the form shows them and as a lead's
 * `floor_plan_id` and `unit_id` are checked against them: read from Propexo through the form cache
 * (form-cache.ts), one copy per integration and property, never waited on for long.
 */
import type { FieldIssue } from '../../contract/errors.js';
import type { PublicFloorPlan, PublicUnit } from '../../contract/form.js';
import type { Submission } from '../../contract/submission.js';
import type { SiteConfig } from '../config/sites.js';
import type { Logger } from '../lib/log.js';
import type { FloorPlan, ListResult, PropexoListClient, Unit, UpstreamFailure } from './client.js';
import { createFormCache, type FormCacheOptions, type LoadResult } from './form-cache.js';

/** Available units, kept with their plan so one cached list serves every plan's request. */
export type AvailableUnit = { floor_plan_id: string; unit: PublicUnit };

/** A list, or null when there has never been a copy (Propexo unreachable since the start). */
export interface PropertyLists {
  floorPlans(site: SiteConfig, waitUntil?: (work: Promise<unknown>) => void): Promise<PublicFloorPlan[] | null>;
  availableUnits(site: SiteConfig, waitUntil?: (work: Promise<unknown>) => void): Promise<AvailableUnit[] | null>;
}

const nonBlank = (s: string | null): string | null => (s !== null && s.trim() !== '' ? s : null);

export function toPublicFloorPlan(plan: FloorPlan): PublicFloorPlan {
  return {
    id: plan.id,
    name: nonBlank(plan.marketing_name) ?? nonBlank(plan.name) ?? plan.id,
    bedrooms: plan.bedrooms,
    bathrooms: plan.bathrooms,
    rent_min_cents: plan.rent_minimum_in_cents,
    rent_max_cents: plan.rent_maximum_in_cents,
  };
}

export function toPublicUnit(unit: Unit): PublicUnit {
  return {
    id: unit.id,
    number: unit.number,
    bedrooms: unit.bedrooms,
    bathrooms: unit.bathrooms,
    rent_cents: unit.rent_amount_market_in_cents,
    square_feet: unit.square_feet,
  };
}

const failureLog = (f: UpstreamFailure) => ({ kind: f.kind, reason: f.reason, ...(f.status === undefined ? {} : { status: f.status }) });

export function createPropertyLists(
  client: PropexoListClient,
  options: { logger: Logger } & Pick<FormCacheOptions, 'clock' | 'ttlMs' | 'retryMs' | 'firstLoadWaitMs'>,
): PropertyLists {
  const { logger } = options;
  const cache = createFormCache(options);
  const keyOf = (list: string, site: SiteConfig) => `${list}:${JSON.stringify([site.integration_id, site.property_id])}`;
  const property = (site: SiteConfig) => ({ integration_id: site.integration_id, property_id: site.property_id });

  function loader<T, U>(site: SiteConfig, list: string, call: () => Promise<ListResult<T>>, keep: (items: T[]) => U) {
    return async (): Promise<LoadResult<U>> => {
      const res = await call();
      if (!res.ok) return { ok: false, log: { site: site.slug, list, ...failureLog(res) } };
      if (!res.complete) logger.warn('form_cache.list_truncated', { site: site.slug, list, kept: res.items.length });
      return { ok: true, value: keep(res.items) };
    };
  }

  return {
    async floorPlans(site, waitUntil) {
      const load = loader(
        site,
        'floor_plans',
        () => client.listFloorPlans(property(site)),
        (plans) => plans.map(toPublicFloorPlan),
      );
      return (await cache.get(keyOf('floor_plans', site), load, waitUntil))?.value ?? null;
    },
    async availableUnits(site, waitUntil) {
      const load = loader(
        site,
        'units',
        () => client.listUnits(property(site)),
        (units) =>
          units.flatMap((u) =>
            u.is_available && u.floor_plan_id !== null ? [{ floor_plan_id: u.floor_plan_id, unit: toPublicUnit(u) }] : [],
          ),
      );
      return (await cache.get(keyOf('units', site), load, waitUntil))?.value ?? null;
    },
  };
}

/**
 * A lead's floor plan and unit checked against the property's own lists: a plan the property does
 * not have, or a unit that is not one of its available units (of that plan, when one is given), is
 * `invalid_choice`. Without a copy of a list (Propexo unreachable since the start) that id passes:
 * a lead is never refused for Propexo's silence.
 */
export async function unknownChoices(
  lists: PropertyLists,
  site: SiteConfig,
  lead: Pick<Submission, 'floor_plan_id' | 'unit_id'>,
  waitUntil?: (work: Promise<unknown>) => void,
): Promise<FieldIssue[]> {
  const issues: FieldIssue[] = [];
  if (lead.floor_plan_id !== undefined) {
    const plans = await lists.floorPlans(site, waitUntil);
    if (plans && !plans.some((plan) => plan.id === lead.floor_plan_id)) issues.push({ field: 'floor_plan_id', code: 'invalid_choice' });
  }
  if (lead.unit_id !== undefined) {
    const units = await lists.availableUnits(site, waitUntil);
    const unit = units?.find((u) => u.unit.id === lead.unit_id);
    const ofPlan = unit !== undefined && (lead.floor_plan_id === undefined || unit.floor_plan_id === lead.floor_plan_id);
    if (units && !ofPlan) issues.push({ field: 'unit_id', code: 'invalid_choice' });
  }
  return issues;
}
