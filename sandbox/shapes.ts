/**
 * The records as Propexo serves them: every key its OpenAPI spec marks required (spec-defaults.ts),
 * with the spec's types, including its numeric strings (`FloorPlan.bathrooms`, a unit's `bedrooms`
 * and `bathrooms`, e.g. `"2.00"`) and a lead's `desired_lease_term_in_months` as a string. The
 * sandbox keeps its own records in handier types and converts them here, on the way out.
 */
import type {
  AppointmentRecord,
  EmployeeRecord,
  FloorPlanRecord,
  LeadRecord,
  LeadSourceRecord,
  PropertyRecord,
  UnitRecord,
} from './data.js';
import {
  EMPLOYEE_DEFAULTS,
  EVENT_DEFAULTS,
  FLOOR_PLAN_DEFAULTS,
  LEAD_DEFAULTS,
  LEAD_SOURCE_DEFAULTS,
  PROPERTY_DEFAULTS,
  UNIT_DEFAULTS,
} from './spec-defaults.js';

/** The spec's keys only: each from the record when it has one, else its default. */
function shaped(defaults: Record<string, unknown>, record: object, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const source = { ...record, ...extra } as Record<string, unknown>;
  for (const [key, fallback] of Object.entries(defaults)) out[key] = source[key] === undefined ? fallback : source[key];
  return out;
}

/** `"2.00"`, as Propexo serves some numbers. */
export const decimalString = (n: number | null | undefined): string | null => (n === null || n === undefined ? null : n.toFixed(2));

export const specLead = (r: LeadRecord) =>
  shaped(LEAD_DEFAULTS, r, {
    x_created_at: r.created_at,
    x_property_id: r.property_id,
    desired_floor_plan_id: r.floor_plan_id,
    unit_id_preferred: r.unit_id === null ? [] : [r.unit_id],
    desired_lease_term_in_months: r.desired_lease_term_in_months === null ? null : String(r.desired_lease_term_in_months),
    last_seen: r.updated_at,
  });

export const specFloorPlan = (r: FloorPlanRecord) =>
  shaped(FLOOR_PLAN_DEFAULTS, r, { bathrooms: decimalString(r.bathrooms), rentable_square_feet: r.square_feet, last_seen: r.updated_at });

export const specUnit = (r: UnitRecord) =>
  shaped(UNIT_DEFAULTS, r, {
    bedrooms: decimalString(r.bedrooms),
    bathrooms: decimalString(r.bathrooms),
    x_property_id: r.property_id,
    x_floor_plan_id: r.floor_plan_id,
    last_seen: r.updated_at,
  });

export const specLeadSource = (r: LeadSourceRecord) =>
  shaped(LEAD_SOURCE_DEFAULTS, r, { x_property_id: r.property_id, last_seen: r.updated_at });
export const specEmployee = (r: EmployeeRecord) => shaped(EMPLOYEE_DEFAULTS, r, { x_property_id: r.property_id, last_seen: r.updated_at });
export const specProperty = (r: PropertyRecord) => shaped(PROPERTY_DEFAULTS, r, { last_seen: r.updated_at });

/**
 * A tour as an `Event`; `x_property_id` is the property's ResMan id. What ResMan's tours carry in
 * `event_name`, `event_datetime` and `agent_name` is not documented: null (the spec allows it).
 */
export const specEvent = (r: AppointmentRecord, xPropertyId: string | null) =>
  shaped(EVENT_DEFAULTS, r, { x_property_id: xPropertyId, associated_lead_ids: [...r.associated_lead_ids], last_seen: r.updated_at });
