/**
 * What a browser may send beside the prospect's fields, under `meta`: where the visitor came from
 * (first touch, kept by the widget for the visit) and whether they agreed to be called and texted.
 * The relay turns it into a line of the lead's notes and, where the site maps the campaign, its
 * lead source; Propexo never receives `meta` as such. Only the relay parses it (the widget builds
 * it), so it adds nothing to the widget's validation bundle.
 */
import './jitless.js';
import * as z from 'zod/mini';
import type { Attribution } from './attribution.js';
import type { FieldErrorCode, FieldIssue } from './errors.js';
import { REFUSED_CHARACTER } from './submission.js';

/** The longest Turnstile response accepted in `meta.turnstile` (Cloudflare's documented maximum). */
export const MAX_TURNSTILE_TOKEN = 2048;

export { UTM_KEYS, type Attribution } from './attribution.js';

export interface LeadMeta {
  attribution?: Attribution;
  /** From `GET /v1/sites/:site/form`: which form, and when it was handed out. */
  form_token?: string;
  /** The hidden field no person sees: anything in it means a bot filled the form. */
  trap?: string;
  /** The Cloudflare Turnstile response, where the site configures Turnstile: verified once by the relay. */
  turnstile?: string;
  /** The visitor ticked the consent box whose text had this version. */
  consent?: { given: boolean; version: string };
}

/** What a campaign value or a consent version may hold: letters, digits, spaces and `. _ + - / : | ( ) & ,`. */
export const META_WORD = /^[\p{L}\p{N} ._+\-/:|()&,]*$/u;

const word = z.string({ error: 'invalid_type' }).check(
  z.trim(),
  z.maxLength(100, 'too_long'),
  z.refine((s) => META_WORD.test(s), 'invalid_characters'),
);
// The relay writes a URL's host and path into the notes, or the URL as it came when it cannot parse it.
const url = z.string({ error: 'invalid_type' }).check(
  z.maxLength(500, 'too_long'),
  z.refine((s) => s === '' || (/^https?:\/\/[^\s<>"]+$/i.test(s) && !REFUSED_CHARACTER.test(s)), 'invalid_characters'),
);

const metaSchema = z.strictObject(
  {
    attribution: z.optional(
      z.strictObject(
        {
          utm_source: z.optional(word),
          utm_medium: z.optional(word),
          utm_campaign: z.optional(word),
          utm_term: z.optional(word),
          utm_content: z.optional(word),
          referrer: z.optional(url),
          landing_page: z.optional(url),
        },
        { error: (i) => (i.code === 'unrecognized_keys' ? 'unknown_field' : 'invalid_type') },
      ),
    ),
    form_token: z.optional(z.string({ error: 'invalid_type' }).check(z.maxLength(100, 'too_long'))),
    trap: z.optional(z.string({ error: 'invalid_type' }).check(z.maxLength(500, 'too_long'))),
    // Cloudflare documents Turnstile responses as at most 2048 characters.
    turnstile: z.optional(z.string({ error: 'invalid_type' }).check(z.maxLength(MAX_TURNSTILE_TOKEN, 'too_long'))),
    consent: z.optional(
      z.strictObject(
        { given: z.boolean({ error: 'invalid_type' }), version: word },
        { error: (i) => (i.code === 'unrecognized_keys' ? 'unknown_field' : 'invalid_type') },
      ),
    ),
  },
  { error: (i) => (i.code === 'unrecognized_keys' ? 'unknown_field' : 'invalid_type') },
);

export type MetaResult = { ok: true; value: LeadMeta } | { ok: false; fields: FieldIssue[] };

/** Validates `meta`; issues are named `meta.<path>`. Never throws. */
export function parseMeta(input: unknown): MetaResult {
  const result = metaSchema.safeParse(input);
  if (result.success) return { ok: true, value: result.data };
  const fields = result.error.issues.flatMap((issue): FieldIssue[] => {
    const path = ['meta', ...issue.path.map(String)];
    if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => ({ field: [...path, key].join('.'), code: 'unknown_field' }));
    const code = /^[a-z_]+$/.test(issue.message) ? (issue.message as FieldErrorCode) : 'invalid_type';
    return [{ field: path.join('.'), code }];
  });
  return { ok: false, fields };
}
