/**
 * Floor-plan and unit choice, loaded only for a site whose form lists floor plans. Choosing a plan
 * sets floor_plan_id, suggests the bedrooms when the prospect has not said, and offers that plan's
 * available units (unit_id) when the form shows them.
 */
import type { PublicFloorPlan, PublicUnit, UnitsAnswer } from '../../contract/form.js';
import { enPlans } from './i18n/en-plans.js';
import type { PlanStrings } from './i18n/types.js';
import type { ResmanLeadForm } from './lead-form.js';

// One formatter per language: building an Intl.NumberFormat costs about a millisecond, per price.
const formats = new Map<string, Intl.NumberFormat>();
const money = (lang: string, cents: number) => {
  if (!formats.has(lang)) formats.set(lang, new Intl.NumberFormat(lang, { style: 'currency', currency: 'USD', maximumFractionDigits: 0 }));
  return formats.get(lang)!.format(cents / 100);
};

/** The form's language when it describes plans (Spanish does), else English. */
const strings = (host: ResmanLeadForm): PlanStrings => ({ ...enPlans, ...host._strings });

/** "Magnolia · 2 bd · 2 ba · $1,450–$1,700" */
export function planLabel(plan: PublicFloorPlan, host: ResmanLeadForm): string {
  const lang = host.language;
  const { rent_min_cents: min, rent_max_cents: max } = plan;
  const rent = min === null ? (max === null ? '' : money(lang, max)) : max === null || max === min ? money(lang, min) : `${money(lang, min)}–${money(lang, max)}`;
  const rooms = plan.bedrooms === null ? '' : strings(host).rooms(plan.bedrooms, plan.bathrooms);
  return [plan.name, rooms, rent].filter(Boolean).join(' · ');
}

export function unitLabel(unit: PublicUnit, host: ResmanLeadForm): string {
  const t = strings(host);
  return [
    unit.number ? t.unit(unit.number) : unit.id,
    unit.rent_cents === null ? '' : money(host.language, unit.rent_cents),
    unit.square_feet === null ? '' : t.area(unit.square_feet),
  ]
    .filter(Boolean)
    .join(' · ');
}

export function offerPlans(host: ResmanLeadForm, plans: PublicFloorPlan[]): void {
  host.choices = { ...host.choices, floor_plan_id: plans.map((p) => ({ value: p.id, label: planLabel(p, host) })) };
}

/** A plan was chosen (or cleared): suggest its bedrooms and offer its available units. */
export async function planChosen(host: ResmanLeadForm, planId: string): Promise<void> {
  // From the settings, not from offerPlans: a plan may be chosen before its labels were refined.
  const plan = host._settings?.floor_plans.find((p) => p.id === planId);
  const bedrooms = host.form?.elements.namedItem('desired_num_bedrooms') as HTMLSelectElement | null;
  if (plan?.bedrooms != null && bedrooms && !bedrooms.value) bedrooms.value = String(Math.min(plan.bedrooms, 4));
  host.choices = { ...host.choices, unit_id: [] };
  if (!plan || !(host.fields || host._settings?.fields.join(' ') || '').includes('unit_id')) return;
  try {
    const res = await fetch(`${host.base}/v1/sites/${encodeURIComponent(host.site)}/units?floor_plan_id=${encodeURIComponent(planId)}`, { credentials: 'omit' });
    if (!res.ok) return;
    const { units } = (await res.json()) as UnitsAnswer;
    host.choices = { ...host.choices, unit_id: units.map((u) => ({ value: u.id, label: unitLabel(u, host) })) };
  } catch {
    // No unit list: the prospect still sends the plan, and the office offers a unit.
  }
}
