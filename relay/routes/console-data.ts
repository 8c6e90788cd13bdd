/**
 * What the console's API answers with, built from the store's records: a lead with its contact
 * details masked (the list, one lead, the CSV export), its contact in full (reveal only), the
 * overview's figures per site, and the leads filter read from a query string.
 */
import { maskEmail, maskPhone, maskText } from '../lib/log.js';
import { LEAD_STATUSES, type LeadActivity, type LeadRecord, type LeadStatus } from '../outbox/store/types.js';
import { ApiError } from '../http/errors.js';

/** What may be shown of a lead without a reveal: no address, notes, full email or phone, or last name. */
export function maskedLead(lead: LeadRecord) {
  const s = lead.submission;
  return {
    id: lead.id,
    site: lead.site,
    status: lead.status,
    created_at: lead.created_at,
    updated_at: lead.updated_at,
    confirmed_at: lead.confirmed_at ?? null,
    attempts: lead.attempts,
    error: lead.error ?? null,
    reason: reasonOf(lead),
    name: `${s.first_name} ${s.last_name.slice(0, 1)}.`,
    email: s.email_1 ? maskEmail(s.email_1) : null,
    phone: s.phone_1 ? maskPhone(s.phone_1) : null,
    target_move_in_date: s.target_move_in_date ?? null,
    desired_num_bedrooms: s.desired_num_bedrooms ?? null,
    floor_plan_id: s.floor_plan_id ?? null,
    unit_id: s.unit_id ?? null,
    campaign: lead.campaign ?? null,
    created_record_id: lead.created_record_id ?? null,
    // A booked tour's record: when it starts, and the lead whose guest card it goes onto.
    tour_start: lead.tour_start === undefined ? null : new Date(lead.tour_start).toISOString(),
    tour_of: lead.tour_start === undefined ? null : (lead.follows ?? null),
  };
}

/**
 * Why a lead waits or failed, for the operator, from its `error_detail`: a site's wrong ids, the fields
 * Propexo refused, ResMan's errors. Contact details that an upstream message may quote are masked.
 */
export function reasonOf(lead: Pick<LeadRecord, 'error' | 'error_detail'>): string | null {
  if (!lead.error || !lead.error_detail) return null;
  let detail: unknown;
  try {
    detail = JSON.parse(lead.error_detail);
  } catch {
    return null;
  }
  const at = (v: unknown, key: string) => (typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[key] : undefined);
  const said = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));
  let text: string | undefined;
  if (Array.isArray(detail)) {
    // A site's problems ({field, id, problem}), or a partial success's errors.
    text = detail
      .map((p) => (at(p, 'field') ? `${said(at(p, 'field'))} ${said(at(p, 'id'))}: ${said(at(p, 'problem'))}` : said(p)))
      .join('; ');
  } else if (Array.isArray(at(detail, 'errors'))) {
    text = `ResMan: ${(at(detail, 'errors') as unknown[]).map(said).join('; ')}`;
  } else if (at(detail, 'status') !== undefined) {
    const details = at(detail, 'details');
    const issues = at(at(details, 'details'), 'issues') ?? at(at(at(details, 'details'), 'details'), 'issues');
    const named = Array.isArray(issues)
      ? issues.map((i) => `${said(at(i, 'path'))} ${said(at(i, 'message'))}`).join('; ')
      : said(at(details, 'message') ?? '');
    text = `Propexo answered ${said(at(detail, 'status'))}${named ? `: ${named}` : ''}`;
  } else if (at(detail, 'error') !== undefined) {
    text = `last error: ${said(at(detail, 'error'))}`;
  }
  return text === undefined ? null : maskText(text.slice(0, 500));
}

/** The prospect's own details, as given: only ever in a reveal's answer. */
export function contactOf(lead: LeadRecord) {
  const { first_name, last_name, email_1, phone_1, phone_1_type, phone_2, phone_2_type, address_1, address_2, city, state, zip, notes } =
    lead.submission;
  return { first_name, last_name, email_1, phone_1, phone_1_type, phone_2, phone_2_type, address_1, address_2, city, state, zip, notes };
}

export interface LeadFilter {
  site?: string;
  status?: LeadStatus;
  /** created_at from (inclusive) and to (exclusive), epoch ms. */
  from?: number;
  to?: number;
  /** A normalised email (lower case) or a 10-digit phone. */
  contact?: { email: string } | { phone: string };
  limit: number;
}

const DAY = 86_400_000;

/** YYYY-MM-DD (a UTC day) or a full ISO time; `endOfDay` takes a bare date's following midnight. */
function parseWhen(text: string, field: string, endOfDay: boolean): number {
  const day = /^\d{4}-\d{2}-\d{2}$/.test(text);
  const ms = Date.parse(day ? `${text}T00:00:00Z` : text);
  if (!Number.isFinite(ms)) throw invalid(field, 'invalid_date');
  return day && endOfDay ? ms + DAY : ms;
}

const invalid = (field: string, code: 'invalid_choice' | 'invalid_date' | 'out_of_range' | 'invalid_email' | 'invalid_phone') =>
  new ApiError(400, 'invalid_fields', `${field} is not valid.`, { fields: [{ field, code }] });

export function parseLeadFilter(query: (key: string) => string | undefined): LeadFilter {
  const filter: LeadFilter = { limit: 100 };
  const site = query('site');
  if (site) filter.site = site;
  const status = query('status');
  if (status) {
    if (!(LEAD_STATUSES as readonly string[]).includes(status)) throw invalid('status', 'invalid_choice');
    filter.status = status as LeadStatus;
  }
  const from = query('from');
  if (from) filter.from = parseWhen(from, 'from', false);
  const to = query('to');
  if (to) filter.to = parseWhen(to, 'to', true);
  const q = query('q')?.trim();
  if (q) {
    if (q.includes('@')) filter.contact = { email: q.toLowerCase() };
    else {
      // A phone as people type it: +1 (512) 555-0142, 512.555.0142 …
      const digits = q.replace(/\D/g, '').replace(/^1(?=\d{10}$)/, '');
      if (digits.length !== 10) throw invalid('q', 'invalid_phone');
      filter.contact = { phone: digits };
    }
  }
  const limit = query('limit');
  if (limit) {
    if (!/^\d{1,4}$/.test(limit) || Number(limit) < 1 || Number(limit) > 1000) throw invalid('limit', 'out_of_range');
    filter.limit = Number(limit);
  }
  return filter;
}

export interface Figures {
  accepted: number;
  /** Reached Propexo: sent or confirmed. */
  delivered: number;
  confirmed: number;
  held: number;
  failed: number;
  /** Median ms from accept to confirmed of the leads confirmed in the span; null when none. */
  median_confirm_ms: number | null;
  /** Tours booked in the span (not held): each is a record beside its lead, which the figures above count. */
  tours: number;
}

function figures(all: LeadActivity[]): Figures {
  const rows = all.filter((r) => !r.tour);
  const confirmMs = rows
    .filter((r) => r.confirmed_at !== undefined)
    .map((r) => r.confirmed_at! - r.created_at)
    .sort((a, b) => a - b);
  const mid = confirmMs.length >> 1;
  return {
    accepted: rows.length,
    delivered: rows.filter((r) => r.status === 'sent' || r.status === 'confirmed').length,
    confirmed: rows.filter((r) => r.status === 'confirmed').length,
    held: rows.filter((r) => r.status === 'held').length,
    failed: rows.filter((r) => r.status === 'failed').length,
    median_confirm_ms: confirmMs.length === 0 ? null : confirmMs.length % 2 ? confirmMs[mid]! : (confirmMs[mid - 1]! + confirmMs[mid]!) / 2,
    tours: all.filter((r) => r.tour && r.status !== 'held').length,
  };
}

/** Per site: today (since UTC midnight) and the last 7 days by accept time, and its oldest queued lead. */
export function siteOverview(rows: LeadActivity[], sites: Iterable<string>, now: number) {
  const today = now - (now % DAY);
  const week = now - 7 * DAY;
  const names = new Set(sites);
  for (const r of rows) names.add(r.site);
  return [...names].sort().map((site) => {
    const mine = rows.filter((r) => r.site === site);
    const queued = mine.filter((r) => r.status === 'queued');
    return {
      site,
      today: figures(mine.filter((r) => r.created_at >= today)),
      last_7_days: figures(mine.filter((r) => r.created_at >= week)),
      oldest_queued_at: queued.length === 0 ? null : Math.min(...queued.map((r) => r.created_at)),
    };
  });
}

/** One CSV field: quoted when it must be, and never read as a formula by a spreadsheet. */
function csvField(value: unknown): string {
  let text = value === null || value === undefined ? '' : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function leadsCsv(leads: LeadRecord[]): string {
  const rows = leads.map(maskedLead);
  const columns = Object.keys(maskedLead(PLACEHOLDER)) as (keyof ReturnType<typeof maskedLead>)[];
  const lines = [columns.join(','), ...rows.map((row) => columns.map((c) => csvField(row[c])).join(','))];
  return `${lines.join('\r\n')}\r\n`;
}

/** Only to read the column names from. */
const PLACEHOLDER = {
  id: '',
  site: '',
  status: 'queued',
  submission: { first_name: '', last_name: '' },
  fingerprints: [],
  created_at: 0,
  updated_at: 0,
  age_from: 0,
  next_attempt_at: 0,
  attempts: 0,
  checks: 0,
  write_retries: 0,
} as LeadRecord;
