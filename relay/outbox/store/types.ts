/**
 * The outbox: what the relay keeps about each lead from the moment it answers 202 until Propexo
 * confirms the write. Async throughout so SQLite (Node) and Durable Object storage or D1 (Workers)
 * fit behind the same interface.
 *
 * The lead's fields are personal data (name, email, phone, notes). The store holds them until the
 * lead is confirmed and the retention period has passed; it never holds the Propexo token or the
 * site's Propexo ids (those come from configuration when a lead is sent).
 */
import type { Submission } from '../../../contract/submission.js';

/**
 * queued: stored, not yet known to Propexo (or to be sent again);
 * sent: Propexo accepted the create and gave a write job id;
 * confirmed: write-status said SUCCESS (or the lead was found in Propexo), created_record_id kept;
 * failed: a dead letter, with the reason, waiting for an operator;
 * held: suspected spam (the reason in `error`), answered like any lead, kept apart and never sent
 *   unless an operator releases it.
 */
/**
 * The writes onto an existing lead: the inquiry as a lead event, then the fields newly given; and a
 * booked tour's appointment (a record with `tour_start`).
 */
export const WRITE_KINDS = ['event', 'update', 'appointment'] as const;
export type WriteKind = (typeof WRITE_KINDS)[number];

export const LEAD_STATUSES = ['queued', 'sent', 'confirmed', 'failed', 'held'] as const;
export type LeadStatus = (typeof LEAD_STATUSES)[number];

export interface LeadRecord {
  /** The relay's own id (`ld_…`), the browser's receipt; never Propexo's. */
  id: string;
  site: string;
  idempotency_key?: string;
  /**
   * Content fingerprints for the duplicate window: one per contact (email, phone) the lead has,
   * each a hash of site, names and that contact. Two leads sharing one are the same prospect.
   */
  fingerprints: string[];
  status: LeadStatus;
  /** The normalised submission; the site's four ids are added only when it is sent. */
  submission: Submission;
  /**
   * Leads accepted before schema 5 only: the lead source the site's lead_source_map chose at accept.
   * Newer leads keep their campaign instead and the source is chosen when the lead is sent.
   */
  lead_source_id?: string;
  /** The visitor's utm_source, lower-cased: the key of the site's lead_source_map, looked up at each send. */
  campaign?: string;
  /** Epoch milliseconds from the injected clock, like every time here. */
  created_at: number;
  updated_at: number;
  /** The age limit counts from here: created_at, or when an operator queued a dead letter again. */
  age_from: number;
  /** When the deliverer next looks at the lead: to send it (queued) or to check its write (sent). */
  next_attempt_at: number;
  /** Create-lead POSTs made so far. */
  attempts: number;
  /**
   * Set just before every POST and cleared once its answer is known: while set, the POST may have
   * reached Propexo, so the lead is looked for before it is ever sent again.
   */
  in_doubt_since?: number;
  /** Propexo's write job for the current create. */
  job_id?: string;
  /** write-status checks made for the current job. */
  checks: number;
  /** retry-write calls made for the current job. */
  write_retries: number;
  /** Propexo's id of the lead once the write succeeded. */
  created_record_id?: string;
  confirmed_at?: number;
  /** A short machine reason: the last transient failure, or why the lead is a dead letter. */
  error?: string;
  /** For the operator: Propexo's validation issues or write errors, as JSON text. */
  error_detail?: string;
  /**
   * A hash of the prospect's own words (the submission before the relay's lines, and the campaign):
   * a repeat within the dedupe window with the same hash is a replay; with another, a follow-up.
   * Absent on leads stored before schema 6 (a match with one of those is a replay, as it was then).
   */
  content_hash?: string;
  /**
   * The relay lead this one repeats with new words (set by accept, within the dedupe window): it
   * is recorded on that lead's guest card once that lead has one, never created beside it.
   */
  follows?: string;
  /**
   * Propexo's id of the prospect's existing lead (a returning prospect, or the lead `follows` got):
   * this inquiry is written onto it as a lead event (and an update), never as a second create.
   */
  target_lead_id?: string;
  /** The kind of the write in flight or in doubt (job_id, in_doubt_since) when it is not the create. */
  write_kind?: WriteKind;
  /**
   * When the request of the current write job left (its claim): the grace before a job Propexo
   * no longer knows counts as lost runs from here, not from when the lead came in.
   */
  written_at?: number;
  /**
   * The site's ids the last create carried, as JSON text (`{"integration_id":…,"lead_source_id":…}`):
   * compared at the next create, so a send after a configuration fix says which ids changed.
   */
  sent_ids?: string;
  /**
   * A tour's record only (issue 15's booking): when the tour starts (epoch ms). Set at accept, never
   * changed. The record `follows` its lead and is written onto that lead's guest card as an
   * appointment once the lead has one; while not held it takes a place in its slot.
   */
  tour_start?: number;
}

/** Fields an update may change; a key present with `undefined` clears an optional field. */
/** A lead as it is accepted: due now, with nothing tried yet (queued unless `status` says held). */
export function newLeadRecord(
  lead: Pick<LeadRecord, 'id' | 'site' | 'fingerprints' | 'submission'> &
    Partial<Pick<LeadRecord, 'status' | 'error' | 'idempotency_key' | 'lead_source_id' | 'campaign' | 'content_hash' | 'tour_start'>>,
  now: number,
): LeadRecord {
  return {
    status: 'queued',
    created_at: now,
    updated_at: now,
    age_from: now,
    next_attempt_at: now,
    attempts: 0,
    checks: 0,
    write_retries: 0,
    ...lead,
  };
}

export type LeadPatch = Partial<
  Omit<
    LeadRecord,
    | 'id'
    | 'site'
    | 'created_at'
    | 'fingerprints'
    | 'idempotency_key'
    | 'lead_source_id'
    | 'campaign'
    | 'content_hash'
    | 'follows'
    | 'tour_start'
  >
>;

export interface AcceptWindows {
  now: number;
  /** An idempotency key is honoured this long after its lead was created (24 h). */
  keyWindowMs: number;
  /** The same content from the same site within this long is the same lead (10 min). */
  dedupeWindowMs: number;
}

export interface AcceptOutcome {
  /** The stored lead (with `follows` set when it repeats an earlier one), or the earlier lead replayed. */
  record: LeadRecord;
  /** false: an existing lead matched by key or content was returned, or the slot was full; nothing was stored. */
  created: boolean;
  /** The lead's tour record: the one stored with it, or, for a replay with `tour`, the one the earlier lead was stored with. */
  tour?: LeadRecord;
  /** The tour's slot had no place left: neither the lead nor its tour was stored. */
  slot_taken?: true;
}

/** A tour booked with a lead: its record (`tour_start` set, no fingerprints or key) and how many tours its slot takes. */
export interface TourAccept {
  record: LeadRecord;
  capacity: number;
}

/** How many tours (not held) start at each instant of a site, from tourBookings. */
export interface TourBooking {
  start: number;
  count: number;
  /**
   * Propexo's ids of the appointments those tours already are (their `created_record_id`), sorted:
   * Propexo lists them too, and a tour must take its place once.
   */
  appointment_ids: string[];
}

/**
 * What releaseTour did: the held tour moved to queued (`released`, as now stored), or its slot had no
 * place left (`full`: nothing changed; the tour is still held).
 */
export type TourRelease = { released: LeadRecord } | { full: true };

/**
 * A lead's timeline, append only: what happened to it and when, kept and purged with the lead.
 * accepted / held: at accept (held with its reason); attempt: a create or write answered by Propexo
 * (outcome, HTTP status, short reason); write_status: a write job's result; confirmed: how;
 * dead_lettered: the reason; retried / released / marked_spam / revealed: an operator's action, with
 * who (a session id or "token"). Details are short machine values: never the Propexo token, never
 * a contact detail of the prospect.
 */
export const LEAD_EVENT_TYPES = [
  'accepted',
  'held',
  'attempt',
  'write_status',
  'confirmed',
  'dead_lettered',
  'retried',
  'released',
  'marked_spam',
  'revealed',
] as const;
export type LeadEventType = (typeof LEAD_EVENT_TYPES)[number];
export type LeadEventDetail = Record<string, string | number | boolean | null>;

export interface LeadEvent {
  /** Epoch ms, the writer's clock. */
  at: number;
  type: LeadEventType;
  detail?: LeadEventDetail;
}

/** What the console's overview counts, per lead: no submission, nothing personal. */
export interface LeadActivity {
  id: string;
  site: string;
  status: LeadStatus;
  created_at: number;
  confirmed_at?: number;
  attempts: number;
  /** error: why it is held or failed ('marked_spam' for a held lead an operator marked). */
  error?: string;
  /** A booked tour's record (its lead is a row of its own): counted as a tour, never as a lead. */
  tour?: true;
}

/**
 * The error of a held tour whose slot was full when an operator released its lead: a dead letter
 * that takes no place (it will not happen; the office books another time).
 */
export const SLOT_TAKEN_AT_RELEASE = 'slot_taken_at_release';

/** Whether a tour record takes a place in its slot: not held, and not one its slot could not keep. */
export const takesPlace = (r: Pick<LeadRecord, 'status' | 'error'>): boolean =>
  r.status !== 'held' && !(r.status === 'failed' && r.error === SLOT_TAKEN_AT_RELEASE);

/** takesPlace as a condition of SQL (SQLite and PostgreSQL alike). */
export const TAKES_PLACE_SQL = `status <> 'held' AND (status <> 'failed' OR error IS NULL OR error <> '${SLOT_TAKEN_AT_RELEASE}')`;

/** The error of a held lead an operator marked as spam: never sent, purged with the retention. */
export const MARKED_SPAM = 'marked_spam';

/** What backlog() answers. */
export interface Backlog {
  oldest: { id: string; site: string; waiting_since: number } | null;
  /** Queued leads waiting since before the time asked. */
  waiting: number;
}

/** One row of heldSince(): `reason` is the held lead's `error` (`spam:honeypot`, `over_site_limit`, …). */
export interface HeldCount {
  site: string;
  reason: string;
  count: number;
}

export interface LeadListFilter {
  status?: LeadStatus;
  site?: string;
  /** Accepted at or after / before (epoch ms): the console's date range. */
  createdFrom?: number;
  createdBefore?: number;
  /** The console's search, exact: email_1 compared in lower case, a 10-digit phone against phone_1 and phone_2. */
  email?: string;
  phone?: string;
  /** Default 100, at most 1000. */
  limit?: number;
}

export interface LeadStore {
  /**
   * Stores `record`, unless it is a replay: a lead of the same site already has its idempotency key
   * (within the key window), or shares a fingerprint (within the dedupe window) and has the same
   * content_hash (or none): then that lead (the oldest such) is returned and nothing is written.
   * A record sharing a fingerprint only with leads of other content is stored with `follows` set to
   * the oldest of them. A stored lead's timeline starts with `accepted` (and `held`, with its reason), in the same step. A held lead (suspected spam) matches only held records: it never absorbs a
   * clean lead of the same person, which is stored and sent with everything it carries. The check and the write are one atomic step, across processes too.
   *
   * With `tour`, a new lead is stored together with its tour record (whose `follows` the store sets
   * to the lead's id), in the same step, and only while fewer than `tour.capacity` tours of the site
   * that are not held start at its `tour_start`; otherwise nothing is stored and the outcome says
   * `slot_taken`. A held lead's tour is stored held: it takes no place. A replay is answered first,
   * with (when `tour` is given: a booking's retry) the tour its lead was stored with, whatever the
   * slot holds now; a replay without `tour` costs no look for one.
   */
  accept(record: LeadRecord, windows: AcceptWindows, tour?: TourAccept): Promise<AcceptOutcome>;
  /**
   * The places taken in a site's tour slots starting in [from, to): tour records not held, counted
   * per start, earliest first. What accept's capacity check counts, for the slots a prospect is offered.
   */
  tourBookings(site: string, from: number, to: number): Promise<TourBooking[]>;
  /** The tour record stored with lead `leadId` (the one that follows it with a tour_start; there is at most one), or null. */
  tourOf(leadId: string): Promise<LeadRecord | null>;
  /**
   * An operator's release of a held tour record: applies `patch` with status queued and appends
   * `event`, only while fewer than `capacity` other tours of its site that are not held start at its
   * tour_start (what accept counts), as one atomic step like accept's, across processes too. Null
   * when there is no such record, it is no tour, or it is not held; `{ full: true }` (nothing
   * changed) when the slot has no place left. A capacity of 0 or less is a full slot.
   */
  releaseTour(tourId: string, capacity: number, patch: LeadPatch, event: LeadEvent): Promise<TourRelease | null>;
  get(id: string): Promise<LeadRecord | null>;
  /** The lead of this site holding this idempotency key, if it was created at or after `since`. */
  findByIdempotencyKey(site: string, key: string, since: number): Promise<LeadRecord | null>;
  findByJobId(jobId: string): Promise<LeadRecord | null>;
  /** Queued or sent leads with next_attempt_at <= now, earliest due first, then oldest first. */
  due(now: number, limit: number): Promise<LeadRecord[]>;
  /** The earliest next_attempt_at among queued and sent leads, or null when there is no work. */
  nextDueAt(): Promise<number | null>;
  /**
   * Applies `patch`, only while every condition given holds (compare-and-set, one atomic step):
   * `ifStatus`, `ifAttempts` (a claim names the attempt it expects), `ifLease` (the writer still holds
   * the delivery lease; stores without leases refuse it). Returns the updated lead, or null when it
   * does not exist or a condition failed.
   */
  update(id: string, patch: LeadPatch, options?: UpdateCondition, event?: LeadEvent): Promise<LeadRecord | null>;
  /** Appends to the lead's timeline (an operator's reveal); false when there is no such lead. */
  appendEvent(id: string, event: LeadEvent): Promise<boolean>;
  /** The lead's timeline, oldest first (the accept's events first); empty for an unknown lead. */
  history(id: string): Promise<LeadEvent[]>;
  /**
   * The overview's rows: every lead created at or after `since`, and every lead still open (queued,
   * sent, held, failed) whatever its age. Oldest first.
   */
  activity(since: number): Promise<LeadActivity[]>;
  /** Newest first, at most `filter.limit` (1000): for operators; the deliverer asks the two questions below. */
  list(filter?: LeadListFilter): Promise<LeadRecord[]>;
  /**
   * Every lead of these sites whose create Propexo may hold and the relay has not confirmed: sent,
   * or queued with a POST in doubt (in_doubt_since set). Newest first, all of them however many:
   * a confirmation round must see every lead that could own a record it reads.
   */
  openCreates(sites: readonly string[]): Promise<LeadRecord[]>;
  /** Which of these Propexo record ids a lead already holds (its created_record_id), whatever its site or status. */
  heldRecordIds(recordIds: readonly string[]): Promise<string[]>;
  counts(): Promise<Record<LeadStatus, number>>;
  /**
   * The backlog alert's question: the queued lead that has waited longest (since its `age_from`: its
   * arrival, or an operator's retry), and how many queued leads have waited since before `before`.
   */
  backlog(before: number): Promise<Backlog>;
  /** The held-burst alert's question: held leads created at or after `since`, counted by site and reason. */
  heldSince(since: number): Promise<HeldCount[]>;
  /**
   * Deletes confirmed leads confirmed before `before`, and held leads marked as spam (MARKED_SPAM)
   * last updated before it, with their timelines; returns how many went.
   */
  purgeConfirmed(before: number): Promise<number>;
  close(): Promise<void>;
}

/**
 * The conditions of a compare-and-set update. A claim before a create names the status and the
 * attempt count it read (`ifStatus: 'queued', ifAttempts: n`): of two deliverers that read the same
 * lead, only one moves it to attempt n + 1, so only one POSTs. `ifLease` fences a deliverer's writes
 * with its lease: a deliverer whose lease expired or was taken over changes no lead.
 */
export interface UpdateCondition {
  ifStatus?: LeadStatus;
  ifAttempts?: number;
  ifLease?: LeaseFence;
}

/** Who must hold which lease, at what time (epoch ms of the writer's clock), for a write to go through. */
export interface LeaseFence {
  name: string;
  owner: string;
  now: number;
}

/** A lease as stored: its holder (a random id per process, never a pid) and when it lapses. */
export interface LeaseState {
  owner: string;
  expires_at: number;
}

/**
 * Leases in the outbox's own database: which process delivers. One row per lease name; every change
 * is a compare-and-set on the (owner, expires_at) pair read before it, so of two processes racing
 * for an expired lease exactly one wins, whatever runs between their read and their write.
 */
export interface OutboxLeases {
  /**
   * Takes the lease `name` for `owner` until `now + ttlMs` when it is free, has lapsed at `now`, or is
   * already `owner`'s (a renewal). Resolves with the lease as it stands afterwards: `owner` holds it
   * exactly when `state.owner === owner`.
   */
  acquireLease(name: string, owner: string, now: number, ttlMs: number): Promise<{ held: boolean; state: LeaseState | null }>;
  /** Gives the lease up when `owner` holds it (a clean shutdown: the next process starts at once). */
  releaseLease(name: string, owner: string): Promise<boolean>;
  leaseHolder(name: string): Promise<LeaseState | null>;
}

export type LeasedLeadStore = LeadStore & OutboxLeases;

export const hasLeases = (store: LeadStore): store is LeasedLeadStore =>
  typeof (store as Partial<OutboxLeases>).acquireLease === 'function';
