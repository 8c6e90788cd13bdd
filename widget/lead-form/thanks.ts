/**
 * The default thank-you, part of the send chunk: built from the lead just accepted, in the form's
 * language, before the form gives way to it. It greets the prospect by first name, sums up what they
 * asked about (plan, apartment, move-in date, rooms, rent, lease: never contact details or their own
 * words, which a shared screen would show to the next person) and says how the office will reply. A
 * page's `success` slot replaces it.
 */
import { html, type TemplateResult } from 'lit';
import type { FieldName } from '../../contract/fields.js';
import type { Submission as Lead } from '../../contract/submission.js';
import type { Dictionary } from './i18n/types.js';

/** What a prospect asks about, in the form's order: selects, but for the date and the rent. */
const ASKED: readonly FieldName[] = [
  'floor_plan_id',
  'unit_id',
  'target_move_in_date',
  'desired_num_bedrooms',
  'desired_num_bathrooms',
  'desired_max_rent_in_cents',
  'desired_lease_term_in_months',
];

/** `locale` is the page's region (en-US, es-US), so dates and dollars read as the page writes them. */
/** `more`: tour mode's confirmation, after the rest. */
export function thanks(form: HTMLFormElement, lead: Lead, t: Dictionary, locale: string, more?: TemplateResult): TemplateResult {
  const shown = (name: FieldName): string =>
    name === 'target_move_in_date'
      ? new Date(lead[name]!).toLocaleDateString(locale, { dateStyle: 'long', timeZone: 'UTC' })
      : name === 'desired_max_rent_in_cents'
        ? (lead[name]! / 100).toLocaleString(locale, { style: 'currency', currency: 'USD', trailingZeroDisplay: 'stripIfInteger' })
        : // a select: the option chosen, as the form showed it
          (form.elements.namedItem(name) as HTMLSelectElement).selectedOptions[0]!.text;
  const asked = ASKED.filter((name) => lead[name] !== undefined);
  const reply = new Intl.ListFormat(locale, { type: 'disjunction' }).format(
    (['email_1', 'phone_1'] as const).filter((f) => lead[f]).map((f) => t.reply[f]),
  );
  // The title in the host's own size and bold, the rest a step smaller (p, ul): no style of its own.
  return html`<strong>${t.successTitle.replace('{name}', lead.first_name)}</strong>
    <p>${t.successBody.replace('{reply}', reply)}</p>
    ${asked.length ? html`<ul>${asked.map((name) => html`<li>${t.labels[name]}: ${shown(name)}</li>`)}</ul>` : ''}${more}`;
}
