/**
 * The floor-plan controller, a lazy chunk of its own: the element adds it once the site's settings
 * list floor plans (until then the element names the plans itself, so the select is there from the
 * first frame). It describes the plans (beds, baths, rent) in the form's language, following it
 * when it changes, and handles a plan chosen: its bedrooms suggested, its available units offered.
 * It imports nothing of the entry, so a retry of its download is all it takes (lazy.ts).
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { Choice, FieldName } from '../../../contract/fields.js';
import type { FormAnswer, PublicFloorPlan, PublicUnit, UnitsAnswer } from '../../../contract/form.js';
import { enPlans } from '../i18n/en-plans.js';
import type { PlanStrings } from '../i18n/types.js';

export interface FloorPlansHost extends ReactiveControllerHost {
  readonly renderRoot: ParentNode & EventTarget;
}

/** What floor plans need of the SettingsController. */
export interface PlanSettings {
  readonly value: FormAnswer | null;
  readonly strings: Partial<PlanStrings>;
  readonly language: string;
  url(path: string): string;
}

export class FloorPlansController implements ReactiveController {
  /** The options of floor_plan_id and unit_id; a field without any here takes the element's own. */
  choices: { floor_plan_id?: Choice[]; unit_id?: Choice[] } = {};
  /** Hints over the element's own: a chosen plan with no apartment available says so under the plan. */
  hints: Partial<Record<FieldName, string>> = {};
  /** The strings the plans were last described in: new strings (a language, the messages) describe them again. */
  #describedIn: object | undefined;
  /** The plan chosen last: units that arrive for another are dropped. */
  #chosen = '';
  readonly #host: FloorPlansHost;
  readonly #settings: PlanSettings;

  constructor(host: FloorPlansHost, settings: PlanSettings) {
    this.#host = host;
    this.#settings = settings;
    host.addController(this);
    host.requestUpdate();
  }

  hostConnected(): void {
    this.#host.renderRoot.addEventListener('input', this);
  }

  hostUpdate(): void {
    const { value, strings, language } = this.#settings;
    if (this.#describedIn === strings) return;
    this.#describedIn = strings;
    this.choices = {
      ...this.choices,
      floor_plan_id: value?.floor_plans.map((p) => ({ value: p.id, label: planLabel(p, strings, language) })),
    };
  }

  /**
   * After each render too: a plan chosen before this controller came, or put back from a draft
   * without an event. Once the update is over, since choosing asks for another.
   */
  hostUpdated(): void {
    void this.#host.updateComplete.then(() => this.handleEvent());
  }

  handleEvent(): void {
    const select = this.#host.renderRoot.querySelector<HTMLSelectElement>('[name=floor_plan_id]');
    if (select && select.value !== this.#chosen) void this.#choose(select);
  }

  /** A plan was chosen (or cleared): suggest its bedrooms, and offer its available units when the form lists them. */
  async #choose({ value: planId, form }: HTMLSelectElement): Promise<void> {
    const { value, strings, language } = this.#settings;
    this.#chosen = planId;
    const plan = value?.floor_plans.find((p) => p.id === planId);
    const bedrooms = form?.elements.namedItem('desired_num_bedrooms') as HTMLSelectElement | null;
    if (plan?.bedrooms != null && bedrooms && !bedrooms.value) bedrooms.value = String(Math.min(plan.bedrooms, 4));
    this.#offer([]);
    // The form lists units when it has their control (rendered hidden until it has options).
    if (!plan || !form?.elements.namedItem('unit_id')) return;
    const units = await listUnits(this.#settings.url(`units?floor_plan_id=${encodeURIComponent(planId)}`), strings, language);
    if (this.#chosen === planId && units) this.#offer(units, units.length ? undefined : wording(strings).noUnits);
  }

  #offer(units: Choice[], hint?: string): void {
    this.choices = { ...this.choices, unit_id: units };
    this.hints = { floor_plan_id: hint };
    this.#host.requestUpdate();
  }
}

// One formatter per language: building an Intl.NumberFormat costs about a millisecond, per price.
// In the US region (en-US, es-US) as the pages are: plain `es` would write "1050 US$" beside a page's "$1,050".
const formats = new Map<string, Intl.NumberFormat>();
const format = (lang: string, n: number, currency?: boolean) => {
  const key = lang + currency;
  if (!formats.has(key))
    formats.set(key, new Intl.NumberFormat(`${lang}-US`, currency ? { style: 'currency', currency: 'USD', maximumFractionDigits: 0 } : {}));
  return formats.get(key)!.format(n);
};
const money = (lang: string, cents: number) => format(lang, cents / 100, true);

/** The form's wording where it describes plans (Spanish does), else English. */
const wording = (strings: Partial<PlanStrings>): PlanStrings => ({ ...enPlans, ...strings });

/** "$1,450–$1,700 · Magnolia · 2 bd · 2 ba": the rent first, so that a phone's narrow select cuts the name, not the price. */
export function planLabel(plan: PublicFloorPlan, strings: Partial<PlanStrings>, lang: string): string {
  const { rent_min_cents: min, rent_max_cents: max } = plan;
  const rent =
    min === null
      ? max === null
        ? ''
        : money(lang, max)
      : max === null || max === min
        ? money(lang, min)
        : `${money(lang, min)}–${money(lang, max)}`;
  const rooms = plan.bedrooms === null ? '' : wording(strings).rooms(plan.bedrooms, plan.bathrooms);
  return [rent, plan.name, rooms].filter(Boolean).join(' · ');
}

/** "Apartment 204 · $1,910 · 1,040 sq ft" */
export function unitLabel(unit: PublicUnit, strings: Partial<PlanStrings>, lang: string): string {
  const t = wording(strings);
  return [
    unit.number ? t.unit(unit.number) : unit.id,
    unit.rent_cents === null ? '' : money(lang, unit.rent_cents),
    unit.square_feet === null ? '' : t.area(format(lang, unit.square_feet)),
  ]
    .filter(Boolean)
    .join(' · ');
}

/**
 * A plan's available units (GET …/units) as options; undefined when they cannot be listed (the
 * prospect still sends the plan, and the office offers a unit), which is not the same as none.
 */
async function listUnits(url: string, strings: Partial<PlanStrings>, lang: string): Promise<Choice[] | undefined> {
  try {
    const res = await fetch(url, { credentials: 'omit' });
    if (!res.ok) return;
    const { units } = (await res.json()) as UnitsAnswer;
    return units.map((u) => ({ value: u.id, label: unitLabel(u, strings, lang) }));
  } catch {
    return;
  }
}
