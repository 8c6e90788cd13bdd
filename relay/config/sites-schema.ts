/**
 * The JSON Schema of the sites file (`sites.schema.json` at the repository root), generated from the
 * zod schema the relay parses each site with (sites.ts), so an editor checks a sites file as it is
 * typed. `npm run sites -- schema` writes it; a test fails when the committed copy is stale.
 *
 * What JSON Schema cannot say is left to the relay: origins are normalised and `{PORT}` replaced,
 * names and ids are trimmed, `form.required` must name fields of `form.fields`, a tour's intervals
 * must close after they open and not overlap.
 */
import * as z from 'zod/mini';
import { SITE_SLUG, TEXT_KEY, MAX_TEXT_LENGTH, siteSchema } from './sites.js';

export const SITES_SCHEMA_FILE = 'sites.schema.json';

/** What an editor shows beside each key of a site (docs/operator.md says more). */
const DESCRIPTIONS: Record<string, string> = {
  name: 'A label for people.',
  integration_id: "The Propexo id of the site's ResMan integration (npm run sites -- discover lists them).",
  property_id: "The Propexo id of the property, one of the integration's.",
  employee_id: "The Propexo id of an active employee of the property: the leads' agent.",
  lead_source_id: "The Propexo id of one of the property's lead sources: the leads' source unless lead_source_map says otherwise.",
  allowed_origins: "The origins (scheme://host[:port], no path) of the pages that embed the form; {PORT} stands for the relay's port.",
  limits: 'Rate limits: per_site, per_ip, per_ip_lookups, each { max, window_seconds }.',
  form: 'What the widget shows: fields, required, language, texts, consent.',
  lead_source_map: 'Lower-case utm_source values to lead source ids of the property.',
  returning: '"event" (default): an inquiry from a prospect ResMan has goes onto their lead; "new_lead": always a new lead.',
  form_token: '"required" (default) or "optional" (a site that also posts leads from its own servers).',
  turnstile: 'Cloudflare Turnstile: { site_key }. Needs TURNSTILE_SECRET on the relay.',
  tours:
    "Tours prospects can book: hours per weekday in the property's wall time, slot_minutes, min_notice_minutes, days_ahead, closed_dates, per_slot, appointment_clock, address. Absent: no tours.",
};

/**
 * `form.texts` is parsed from an unknown (its keys are checked on the raw object, sites.ts), which
 * JSON Schema would render as "anything": it is an object of strings under keys like `labels.notes`.
 */
const TEXTS = {
  type: 'object',
  propertyNames: { pattern: TEXT_KEY.source },
  additionalProperties: { type: 'string', maxLength: MAX_TEXT_LENGTH },
};

type JsonObject = Record<string, unknown>;

export function sitesJsonSchema(): JsonObject {
  const site = z.toJSONSchema(siteSchema(8787), { io: 'input', unrepresentable: 'any' }) as JsonObject;
  delete site.$schema;
  // Each key gets its own copy: the ids share one zod schema, and so one generated object.
  const properties = site.properties as Record<string, JsonObject>;
  for (const [key, description] of Object.entries(DESCRIPTIONS)) properties[key] = { ...properties[key], description };
  const form = properties.form as { properties: Record<string, JsonObject> };
  form.properties.texts = TEXTS;
  // A tour interval is an array of two times (not z.tuple, which would add 1.7 KB minified to the Worker): say so here.
  const hours = (properties.tours as { properties: { hours: { properties: Record<string, { items: JsonObject }> } } }).properties.hours;
  for (const day of Object.values(hours.properties)) day.items = { ...day.items, minItems: 2, maxItems: 2 };
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'resman-lead-form sites',
    description:
      'The sites a relay serves, keyed by slug (docs/operator.md, "The sites JSON"). Generated from relay/config/sites.ts by `npm run sites -- schema`: do not edit.',
    type: 'object',
    properties: { $schema: { type: 'string', description: 'Where this schema is, for editors; the relay ignores it.' } },
    patternProperties: { [SITE_SLUG.source]: { $ref: '#/$defs/site' } },
    additionalProperties: false,
    $defs: { site },
  };
}

/** The file's text as `npm run sites -- schema` writes it. */
export function sitesJsonSchemaText(): string {
  return `${JSON.stringify(sitesJsonSchema(), null, 2)}\n`;
}
