/**
 * What an alert says: the JSON every channel is sent (a chat webhook posts it as it is, e-mail
 * takes its subject and text), built from a condition, its key and the fields of its log line.
 *
 * One body for Slack, Teams and Discord incoming webhooks (docs/operator.md#alerts has what each
 * takes): `text` is the message for Slack and Teams, `content` the same for Discord (at most 2000
 * characters), `allowed_mentions` keeps Discord from pinging anyone, and the structured fields stand
 * beside them for any other receiver. No value goes into the text with `&`, `<` or `>`: Slack would
 * read them as markup, and escaping them would show as `&amp;` in the other two.
 */
import type { LogFields } from '../lib/log.js';

export type AlertKind = 'alert' | 'summary' | 'cleared';
export type Severity = 'critical' | 'error' | 'warning' | 'info';

export interface AlertPayload {
  text: string;
  content: string;
  allowed_mentions: { parse: string[] };
  /** A short line: the e-mail's subject; Teams shows it as the card's title. */
  title: string;
  kind: AlertKind;
  /** The log event: the condition itself, or the event that cleared it. */
  event: string;
  condition: string;
  /** What the condition is about: a site's slug, or `relay` for the whole relay. */
  key: string;
  severity: Severity;
  site: string | null;
  reason: string | null;
  lead_id: string | null;
  /** Masked: `j***@gmail.com, ******0142`. */
  contact: string | null;
  /** How many occurrences this message tells of (a summary's count; 1 otherwise). */
  count: number;
  time: string;
  /** The lead in the operator's console, when the message is about one lead and PUBLIC_URL is set. */
  link: string | null;
  /** The rest of the log line's fields, masked as the log masks them. */
  details: LogFields;
}

interface Described {
  severity: Severity;
  /** A short line naming the trouble. */
  title: string;
  /** What happened and what to do, in a sentence or two. */
  says: string;
  /** The notice when it clears; null for conditions that never clear (each occurrence is an event). */
  cleared: string | null;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined);
/** `1 lead`, `3 leads`, `? leads`. */
const leads = (n: unknown) => `${str(n) ?? '?'} ${n === 1 ? 'lead' : 'leads'}`;
const minutesOf = (ms: unknown) => (typeof ms === 'number' ? Math.max(1, Math.round(ms / 60_000)) : '?');

/** The words for each condition the relay raises; any other `logger.alert` event gets the generic ones. */
function describe(condition: string, key: string, d: LogFields): Described {
  switch (condition) {
    case 'lead.dead_letter':
      return {
        severity: 'error',
        title: `A lead for ${key} could not be delivered`,
        says:
          `Lead ${str(d.lead_id) ?? '?'} for ${key} could not be delivered to ResMan (${str(d.reason) ?? 'unknown reason'}) and waits as a dead letter.` +
          `${str(d.contact) ? ` Contact: ${str(d.contact)}.` : ''} Retry it once the cause is fixed.`,
        cleared: null,
      };
    case 'propexo.unauthorized':
      return {
        severity: 'critical',
        title: 'Propexo refuses the relay’s token',
        says: `Propexo refused the relay’s token${str(d.status) ? ` (HTTP ${str(d.status)})` : ''}: delivery is paused for every site and leads wait in the outbox. Check PROPEXO_API_TOKEN.`,
        cleared: 'Propexo accepts the relay’s token again: delivery has resumed.',
      };
    case 'site.misconfigured': {
      const problems = Array.isArray(d.problems) ? d.problems.map((p) => str(p) ?? JSON.stringify(p)).join('; ') : str(d.problems);
      return {
        severity: 'error',
        title: `Site ${key} is misconfigured`,
        says: `Site ${key} is misconfigured${problems ? `: ${problems}` : ''}. Its leads wait, queued, and go once it is fixed.`,
        cleared: `Site ${key} is configured correctly again.`,
      };
    }
    case 'outbox.backlog':
      return {
        severity: 'error',
        title: 'Leads are waiting in the outbox',
        says:
          `The oldest queued lead${str(d.lead_id) ? ` (${str(d.lead_id)}, ${str(d.oldest_site) ?? '?'})` : ''} has waited ${minutesOf(d.waiting_ms)} minutes; ` +
          `${leads(d.waiting)} in the queue waited more than ${minutesOf(d.threshold_ms)} minutes. A prospect answered late is often lost.`,
        cleared: `The outbox is back under ${minutesOf(d.threshold_ms)} minutes: no queued lead has waited longer.`,
      };
    case 'leads.held_burst': {
      const reasons = d.reasons && typeof d.reasons === 'object' ? Object.entries(d.reasons).map(([r, n]) => `${r} ${String(n)}`) : [];
      return {
        severity: 'warning',
        title: `Many leads held for ${key}`,
        says:
          `${leads(d.held)} for ${key} held in the last ${minutesOf(d.window_ms)} minutes (suspected spam or over the site’s limit)` +
          `${reasons.length ? `: ${reasons.join(', ')}` : ''}. Review them and release the real ones.`,
        cleared: `Held leads for ${key} are back under ${str(d.threshold) ?? '?'} in ${minutesOf(d.window_ms)} minutes.`,
      };
    }
    default:
      // turnstile.unavailable (a refused secret), and whatever else is logged as an alert.
      return {
        severity: 'error',
        title: `${condition} (${key})`,
        says: `${condition} for ${key}: ${str(d.hint) ?? str(d.reason) ?? 'see the relay’s log'}.`,
        cleared: null,
      };
  }
}

/** Conditions that end with a notice (propexo.unauthorized, …); the others are events, counted per window. */
export const clears = (condition: string): boolean => describe(condition, '', {}).cleared !== null;

// Slack reads these three as markup; lookalikes read the same everywhere.
const plain = (text: string) => text.replace(/&/g, '＆').replace(/</g, '‹').replace(/>/g, '›');

const DISCORD_MAX = 2000;
const KNOWN = new Set(['site', 'reason', 'lead_id', 'contact']);

export interface MessageInput {
  kind: AlertKind;
  condition: string;
  key: string;
  /** The clearing event, for a notice; the condition otherwise. */
  event: string;
  /** The latest occurrence's fields, already masked. */
  fields: LogFields;
  count: number;
  /** A summary of a condition that has cleared since its latest occurrence. */
  clearedSince?: boolean;
  now: number;
  windowMs: number;
  publicUrl?: string;
}

/** The payload for one message. */
export function alertPayload(input: MessageInput): AlertPayload {
  const { kind, condition, key, fields, count } = input;
  const spec = describe(condition, key, fields);
  // A notice is about the condition, not the lead an alert named.
  const leadId = kind === 'cleared' ? undefined : str(fields.lead_id);
  const link = leadId && input.publicUrl ? `${input.publicUrl}/admin/#/leads/${encodeURIComponent(leadId)}` : null;
  let text: string;
  if (kind === 'cleared') {
    text = `[resolved] ${spec.cleared ?? `${condition} for ${key} has cleared.`}`;
  } else if (kind === 'summary') {
    const minutes = Math.max(1, Math.round(input.windowMs / 60_000));
    text = `[alert] ${count} more in the last ${minutes} minutes: ${spec.title}. The latest: ${spec.says}`;
    if (input.clearedSince) text += ' It has cleared since.';
  } else {
    text = `[alert] ${spec.says}`;
  }
  text = plain(link ? `${text} Open it: ${link}` : text);
  const details: LogFields = {};
  for (const [k, v] of Object.entries(fields)) if (!KNOWN.has(k)) details[k] = v;
  return {
    text,
    content: text.length > DISCORD_MAX ? `${text.slice(0, DISCORD_MAX - 1)}…` : text,
    allowed_mentions: { parse: [] },
    title: plain(kind === 'cleared' ? `Resolved: ${spec.title}` : spec.title),
    kind,
    event: input.event,
    condition,
    key,
    severity: kind === 'cleared' ? 'info' : spec.severity,
    site: str(fields.site) ?? null,
    reason: str(fields.reason) ?? null,
    lead_id: leadId ?? null,
    contact: kind === 'cleared' ? null : (str(fields.contact) ?? null),
    count,
    time: new Date(input.now).toISOString(),
    link,
    details,
  };
}
