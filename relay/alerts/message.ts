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

interface ConditionText {
  severity: Severity;
  /** A short line naming the trouble. */
  title(key: string, d: LogFields): string;
  /** What happened and what to do, in a sentence or two. */
  says(key: string, d: LogFields): string;
  /** The notice when it clears; conditions without one never clear (each occurrence is an event). */
  cleared?(key: string, d: LogFields): string;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined);
const minutesOf = (ms: unknown) => (typeof ms === 'number' ? Math.max(1, Math.round(ms / 60_000)) : undefined);

/** The conditions the relay raises; any other `logger.alert` event gets the generic text. */
export const CONDITIONS: Readonly<Record<string, ConditionText>> = {
  'lead.dead_letter': {
    severity: 'error',
    title: (key) => `A lead for ${key} could not be delivered`,
    says: (key, d) =>
      `Lead ${str(d.lead_id) ?? '?'} for ${key} could not be delivered to ResMan (${str(d.reason) ?? 'unknown reason'}) and waits as a dead letter.` +
      `${str(d.contact) ? ` Contact: ${str(d.contact)}.` : ''} Retry it once the cause is fixed.`,
  },
  'propexo.unauthorized': {
    severity: 'critical',
    title: () => 'Propexo refuses the relay’s token',
    says: (_key, d) =>
      `Propexo refused the relay’s token${str(d.status) ? ` (HTTP ${str(d.status)})` : ''}: delivery is paused for every site and leads wait in the outbox. Check PROPEXO_API_TOKEN.`,
    cleared: () => 'Propexo accepts the relay’s token again: delivery has resumed.',
  },
  'site.misconfigured': {
    severity: 'error',
    title: (key) => `Site ${key} is misconfigured`,
    says: (key, d) => {
      const problems = Array.isArray(d.problems) ? d.problems.map((p) => str(p) ?? JSON.stringify(p)).join('; ') : str(d.problems);
      return `Site ${key} is misconfigured${problems ? `: ${problems}` : ''}. Its leads cannot be delivered until it is fixed.`;
    },
    cleared: (key) => `Site ${key} is configured correctly again.`,
  },
  'outbox.backlog': {
    severity: 'error',
    title: () => 'Leads are waiting in the outbox',
    says: (_key, d) =>
      `The oldest queued lead${str(d.lead_id) ? ` (${str(d.lead_id)}, ${str(d.oldest_site) ?? '?'})` : ''} has waited ${minutesOf(d.waiting_ms) ?? '?'} minutes; ` +
      `${str(d.waiting) ?? '?'} queued leads have waited more than ${minutesOf(d.threshold_ms) ?? '?'} minutes. A prospect answered late is often lost.`,
    cleared: (_key, d) => `The outbox is back under ${minutesOf(d.threshold_ms) ?? '?'} minutes: no queued lead has waited longer.`,
  },
  'leads.held_burst': {
    severity: 'warning',
    title: (key) => `Many leads held for ${key}`,
    says: (key, d) => {
      const reasons = d.reasons && typeof d.reasons === 'object' ? Object.entries(d.reasons).map(([r, n]) => `${r} ${String(n)}`) : [];
      return (
        `${str(d.held) ?? '?'} leads for ${key} were held in the last ${minutesOf(d.window_ms) ?? '?'} minutes (suspected spam or over the site’s limit)` +
        `${reasons.length ? `: ${reasons.join(', ')}` : ''}. Review them and release the real ones.`
      );
    },
    cleared: (key, d) => `Held leads for ${key} are back under ${str(d.threshold) ?? '?'} in ${minutesOf(d.window_ms) ?? '?'} minutes.`,
  },
  'turnstile.unavailable': {
    severity: 'error',
    title: (key) => `Turnstile cannot verify leads for ${key}`,
    says: (key, d) =>
      `Turnstile could not verify leads for ${key}: ${str(d.hint) ?? str(d.reason) ?? 'see the relay’s log'}. Leads are accepted meanwhile.`,
  },
};

const GENERIC: ConditionText = {
  severity: 'error',
  title: (key, d) => `${str(d.event) ?? 'alert'} (${key})`,
  says: (key, d) => `${str(d.event) ?? 'An alert'} for ${key}: ${str(d.hint) ?? str(d.reason) ?? 'see the relay’s log'}.`,
};

export const conditionText = (condition: string): ConditionText => CONDITIONS[condition] ?? GENERIC;

/** Conditions that end with a notice (propexo.unauthorized, …); the others are events, counted per window. */
export const clears = (condition: string): boolean => conditionText(condition).cleared !== undefined;

// Slack reads these three as markup; lookalikes read the same everywhere.
const plain = (text: string) => text.replace(/&/g, '＆').replace(/</g, '‹').replace(/>/g, '›');

const DISCORD_MAX = 2000;
const KNOWN = new Set(['site', 'reason', 'lead_id', 'contact', 'event']);

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
  const spec = conditionText(condition);
  const d = { ...fields, event: condition };
  // A notice is about the condition, not the lead an alert named.
  const leadId = kind === 'cleared' ? undefined : str(fields.lead_id);
  const link = leadId && input.publicUrl ? `${input.publicUrl}/admin/#/leads/${encodeURIComponent(leadId)}` : null;
  let text: string;
  if (kind === 'cleared') {
    text = `[resolved] ${spec.cleared?.(key, d) ?? `${condition} for ${key} has cleared.`}`;
  } else if (kind === 'summary') {
    const minutes = Math.max(1, Math.round(input.windowMs / 60_000));
    text = `[alert] ${count} more in the last ${minutes} minutes: ${spec.title(key, d)}. The latest: ${spec.says(key, d)}`;
    if (input.clearedSince) text += ' It has cleared since.';
  } else {
    text = `[alert] ${spec.says(key, d)}`;
  }
  text = plain(link ? `${text} Open it: ${link}` : text);
  const details: LogFields = {};
  for (const [k, v] of Object.entries(fields)) if (!KNOWN.has(k)) details[k] = v;
  return {
    text,
    content: text.length > DISCORD_MAX ? `${text.slice(0, DISCORD_MAX - 1)}…` : text,
    allowed_mentions: { parse: [] },
    title: plain(kind === 'cleared' ? `Resolved: ${spec.title(key, d)}` : spec.title(key, d)),
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
