/**
 * What the relay adds to a lead from its `meta` and the site's configuration: one compact line of
 * attribution and one of consent at the end of the notes (what a leasing agent reads in ResMan),
 * and the visitor's campaign, which the site's lead_source_map turns into a lead source when it is sent.
 */
import type { FieldIssue } from '../../contract/errors.js';
import type { LeadMeta } from '../../contract/meta.js';
import type { Submission } from '../../contract/submission.js';
import type { SiteConfig } from '../config/sites.js';
import { neutraliseVisitorText, relayLine } from './relay-lines.js';

/**
 * `campaign`: the visitor's utm_source, lower-cased, the key of the site's lead_source_map. Kept with
 * the lead and looked up when it is sent (send.ts), so a fixed map reaches leads already stored.
 */
export type LeadContext = { ok: true; submission: Submission; campaign?: string } | { ok: false; fields: FieldIssue[] };

const host = (url: string) => {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
};
const path = (url: string) => {
  try {
    const u = new URL(url);
    return `${u.pathname}${u.search}`;
  } catch {
    return url;
  }
};

/** `Source: google / cpc / spring-move-in; from www.google.com; landed on /floor-plans?utm_source=google`. */
export function attributionLine(meta: LeadMeta): string | undefined {
  const a = meta.attribution;
  if (!a) return undefined;
  const campaign = [a.utm_source, a.utm_medium, a.utm_campaign, a.utm_term, a.utm_content].filter(Boolean).join(' / ');
  const parts = [campaign, a.referrer && `from ${host(a.referrer)}`, a.landing_page && `landed on ${path(a.landing_page)}`].filter(Boolean);
  return parts.length === 0 ? undefined : `Source: ${parts.join('; ')}`.slice(0, 400);
}

export function withContext(submission: Submission, meta: LeadMeta, site: SiteConfig, now: number): LeadContext {
  const lines: string[] = [];
  // What the site's form requires beyond the contract, checked here too: a bot need not use the form.
  const missing: FieldIssue[] = (site.form?.required ?? [])
    .filter((field) => submission[field] === undefined)
    .map((field) => ({ field, code: 'required' }));
  const consent = site.form?.consent;
  // Asked always, or with_phone only of a lead with a phone: its text is about "the number I gave".
  const asked = consent && (consent.ask === 'always' || submission.phone_1 !== undefined) ? consent : undefined;
  // A consent to another version was given to another text, ticked or not.
  if (consent && meta.consent && meta.consent.version !== consent.version) missing.push({ field: 'consent', code: 'invalid_choice' });
  // Only a site that requires the box refuses a lead without the tick: consent never blocks an inquiry otherwise.
  else if (asked?.required && meta.consent?.given !== true) missing.push({ field: 'consent', code: 'required' });
  if (missing.length > 0) return { ok: false, fields: missing };
  if (asked) {
    const when = `(version ${asked.version}, ${new Date(now).toISOString()})`;
    lines.push(
      relayLine(
        meta.consent?.given ? `Consent to calls and texts given ${when}: ${asked.text}` : `Consent to calls and texts not given ${when}`,
      ),
    );
  }
  const attribution = attributionLine(meta);
  if (attribution) lines.push(relayLine(attribution));
  // The visitor's words cannot pass for the relay's lines that follow them.
  const notes = [submission.notes && neutraliseVisitorText(submission.notes), ...lines].filter(Boolean).join('\n\n');
  const campaign = meta.attribution?.utm_source?.toLowerCase();
  return {
    ok: true,
    submission: notes === '' ? submission : { ...submission, notes },
    ...(campaign === undefined || campaign === '' ? {} : { campaign }),
  };
}
