/**
 * The checks on every answer, whatever the request: below 500, refusals in the contract's envelope
 * with codes from its closed lists, no stack, internal path or registered secret, CORS only for an
 * allowed Origin; and the status some requests must get whatever the generator meant (a foreign
 * Origin 403, a forged webhook 401, admin without the token 401). Then the tally of what the run got,
 * printed as the summary, and the coverage it must reach: every refusal code, every field code.
 */
import { createHmac } from 'node:crypto';
import { expect } from 'vitest';
import { ERROR_CODES, FIELD_ERROR_CODES } from '../../../contract/errors.js';
import type { LeadStatus } from '../../../relay/outbox/store/types.js';
import { knownSecrets } from '../../support/hygiene.js';
import { ORIGIN } from '../fixtures.js';
import { codePoints } from './characters.js';
import { ADMIN, HOOK, LOCAL_ORIGIN, PINE_ORIGIN, WEBHOOK, type Hostile, type Refused } from './request.js';

/** The status a request must get, whatever the generator meant, and why. */
export interface Rule {
  statuses: number[];
  noCors?: boolean;
  why: string;
}

/** What one answer was (`key`, for the tally) and everything wrong with it (`problems`, empty when fine). */
export interface Verdict {
  key: string;
  problems: string[];
  fieldCodes: string[];
  /** The fields an `invalid_fields` answer named, with their codes. */
  fields: { field: string; code: string }[];
  /** The lead id of a 202 receipt. */
  id?: string;
  rule?: Rule;
}

/**
 * Judges one answer: the checks every answer gets, and the rule its request falls under, when any.
 * `ids` are the lead ids answered before: a 202 with one of them is a replay, which stores nothing.
 */
export async function judge(request: Request, h: Hostile, res: Response, ids: readonly string[] = []): Promise<Verdict> {
  const rule = mustAnswer(request, h);
  const verdict = await inspect(h, res);
  const { problems } = verdict;
  if (rule && !rule.statuses.includes(res.status)) problems.push(`${rule.why} must be answered ${rule.statuses.join(' or ')}`);
  if (rule?.noCors && [...res.headers.keys()].some((k) => k.startsWith('access-control-'))) problems.push(`${rule.why} got CORS headers`);
  if (h.refused) problems.push(...refusalProblems(h.refused, res.status, verdict, ids));
  return rule ? { ...verdict, rule } : verdict;
}

/**
 * A lead hiding a refused character in one field is never a new lead (a 202 may only replay an
 * earlier one, by its Idempotency-Key), and when the contract judges it (`invalid_fields`), it names
 * that field as `invalid_characters`. Other refusals (origin, media type, size, limits) come first.
 */
export function refusalProblems(
  refused: Refused,
  status: number,
  verdict: Pick<Verdict, 'key' | 'fields' | 'id'>,
  ids: readonly string[],
): string[] {
  const what = `${codePoints(refused.character)} in ${refused.field}`;
  if (status === 202 && (verdict.id === undefined || !ids.includes(verdict.id)))
    return [`a lead with ${what} was accepted as ${verdict.id}`];
  if (verdict.key === '400 invalid_fields' && !verdict.fields.some((f) => f.field === refused.field && f.code === 'invalid_characters'))
    return [`${what} refused without naming ${refused.field} as invalid_characters: ${JSON.stringify(verdict.fields)}`];
  return [];
}

// ---- The answer's checks -----------------------------------------------------------------------------

const STACK_OR_PATH =
  /\n\s+at\s|\bat (?:async )?[\w$.<>[\]]+ \(|node_modules|file:\/\/|\/(?:work|home|root|usr|tmp|opt|srv|app)\/|\.(?:ts|js|mjs|cjs):\d+/;
const ALLOWED_ORIGINS = new Set([ORIGIN, LOCAL_ORIGIN, PINE_ORIGIN]);
const SECRETS = () => knownSecrets();

/** Everything wrong with one answer; empty when it is fine. Returns the tally key. */
async function inspect(h: Hostile, res: Response): Promise<Verdict> {
  let id: string | undefined;
  const problems: string[] = [];
  const fieldCodes: string[] = [];
  const fields: { field: string; code: string }[] = [];
  const text = await res.text();
  const status = res.status;
  const head = h.method.toUpperCase() === 'HEAD';
  if (status >= 500) problems.push(`status ${status}`);
  if (status < 200 || (status >= 300 && status < 400)) problems.push(`unexpected status ${status}`);
  const headerText = [...res.headers].map(([k, v]) => `${k}: ${v}`).join('\n');
  for (const s of SECRETS())
    if (text.includes(s) || headerText.includes(s)) problems.push(`answer carries a registered secret (${s.slice(0, 3)}…)`);
  if (STACK_OR_PATH.test(text)) problems.push(`body has a stack trace or an internal path: ${text.slice(0, 300)}`);
  const acao = res.headers.get('access-control-allow-origin');
  if (acao !== null && h.path.startsWith('/v1/') && !ALLOWED_ORIGINS.has(acao)) problems.push(`Access-Control-Allow-Origin: ${acao}`);
  if (acao !== null && h.path.startsWith('/v1/') && acao !== h.headers.find(([k]) => k === 'origin')?.[1])
    problems.push(`Access-Control-Allow-Origin ${acao} is not the request's Origin`);

  let key = `${status}`;
  if (status >= 300) {
    if (head || status === 304) {
      key = `${status} (HEAD)`;
      if (text !== '') problems.push('HEAD answer with a body');
    } else {
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        problems.push(`not JSON: ${text.slice(0, 200)}`);
      }
      if (!(res.headers.get('content-type') ?? '').startsWith('application/json'))
        problems.push(`content-type ${res.headers.get('content-type')}`);
      const error = (body as { error?: Record<string, unknown> } | undefined)?.error;
      if (body !== undefined) {
        if (
          typeof body !== 'object' ||
          body === null ||
          Object.keys(body).join() !== 'error' ||
          typeof error !== 'object' ||
          error === null
        ) {
          problems.push(`not the envelope: ${text.slice(0, 200)}`);
        } else {
          const code = error.code;
          key = `${status} ${String(code)}`;
          if (Object.keys(error).sort().join() !== 'code,fields,message') problems.push(`envelope keys ${Object.keys(error).join()}`);
          if (!(ERROR_CODES as readonly unknown[]).includes(code)) problems.push(`code ${String(code)} is not in ERROR_CODES`);
          if (typeof error.message !== 'string' || error.message === '') problems.push('message is not a string');
          if (!Array.isArray(error.fields)) problems.push('fields is not an array');
          else {
            for (const f of error.fields as Record<string, unknown>[]) {
              if (
                typeof f?.field !== 'string' ||
                typeof f.message !== 'string' ||
                !(FIELD_ERROR_CODES as readonly unknown[]).includes(f.code)
              ) {
                problems.push(`bad field entry ${JSON.stringify(f).slice(0, 200)}`);
              } else {
                fieldCodes.push(f.code as string);
                fields.push({ field: f.field, code: f.code as string });
              }
            }
            if (code !== 'invalid_fields' && (error.fields as unknown[]).length > 0) problems.push(`fields on ${String(code)}`);
            if (code === 'invalid_fields' && (error.fields as unknown[]).length === 0) problems.push('invalid_fields without fields');
          }
        }
      }
    }
  } else if (status === 202) {
    // The receipt: id, status and what it became in ResMan, nothing of the prospect.
    try {
      const body = JSON.parse(text) as Record<string, unknown>;
      const keys = Object.keys(body).sort().join();
      const recordedAs = body.recorded_as === undefined || body.recorded_as === 'new_lead' || body.recorded_as === 'existing_lead';
      if ((keys !== 'id,status' && keys !== 'id,recorded_as,status') || !recordedAs) problems.push(`202 body ${text.slice(0, 200)}`);
      if (typeof body.id === 'string') id = body.id;
    } catch {
      problems.push(`202 body is not JSON: ${text.slice(0, 200)}`);
    }
  } else if (!head && status !== 204 && (res.headers.get('content-type') ?? '').startsWith('application/json')) {
    try {
      JSON.parse(text);
    } catch {
      problems.push(`${status} body is not JSON: ${text.slice(0, 200)}`);
    }
  }
  return { key, problems, fieldCodes, fields, ...(id === undefined ? {} : { id }) };
}

// ---- What the answer must be, whatever the generator meant -------------------------------------------

// A Map, like the relay's: a slug such as `constructor` must not find Object's.
const SITE_ORIGINS = new Map<string, readonly string[]>([
  ['oak-grove', [ORIGIN, LOCAL_ORIGIN]],
  ['pine-ridge', [PINE_ORIGIN]],
]);
const LEAD_ROUTE = /^\/v1\/sites\/([^/]+)\/leads(?:\/([^/]+))?$/;

const decodeSegment = (s: string) => {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
};

/**
 * The statuses the relay may answer `request` with, judged from the request as the relay receives it
 * (URL normalised, method upper-cased) rather than from what the generator meant: a foreign Origin on
 * a site's lead routes is 403 with no CORS header, a webhook without the right signature is 401 (413
 * when too large), an admin request without the token is 401.
 */
function mustAnswer(request: Request, h: Hostile): Rule | undefined {
  const { pathname } = new URL(request.url);
  const method = request.method;
  const lead = LEAD_ROUTE.exec(pathname);
  if (lead) {
    const allowed = SITE_ORIGINS.get(decodeSegment(lead[1]!));
    const guarded = lead[2] === undefined ? method === 'POST' || method === 'OPTIONS' : ['GET', 'HEAD', 'OPTIONS'].includes(method);
    const origin = request.headers.get('origin');
    if (allowed && guarded && (origin === null || !allowed.includes(origin)))
      return { statuses: [403], noCors: true, why: 'a foreign or missing Origin' };
    return undefined;
  }
  if (pathname === WEBHOOK) {
    if (method !== 'POST') return { statuses: [405], why: 'the webhook only takes POST' };
    const given = (request.headers.get('propexo-signature') ?? '').trim().toLowerCase();
    const good = createHmac('sha256', HOOK)
      .update(h.body ?? new Uint8Array(0))
      .digest('hex');
    return given === good
      ? { statuses: [200, 400, 413], why: 'a correctly signed webhook' }
      : { statuses: [401, 413], why: 'a forged webhook' };
  }
  // The console's page and script hold nothing: anyone may load them (its API asks for a session).
  if ((pathname === '/admin' || pathname === '/admin/' || pathname === '/admin/console.js') && (method === 'GET' || method === 'HEAD')) {
    return { statuses: [200, 404], why: "the console's page (404: its script not built)" };
  }
  if (pathname === '/admin' || pathname.startsWith('/admin/')) {
    if (request.headers.get('authorization') !== `Bearer ${ADMIN}`) return { statuses: [401], why: 'admin without the token' };
    return undefined;
  }
  if (pathname === '/healthz' && (method === 'GET' || method === 'HEAD')) return { statuses: [200], why: 'health' };
  return undefined;
}

// ---- The tally and the coverage it must reach --------------------------------------------------------

const listed = (counts: Iterable<[string, number]>) => [...counts].map(([k, n]) => `${k}=${n}`).join(', ');
const sorted = (counts: Map<string, number>) => [...counts].sort(([a], [b]) => a.localeCompare(b));

/** What the run got: answers by status and code, per generator variant, field codes, rules applied. */
export class Tally {
  /** By tally key: `202`, `400 invalid_json`, `401 (HEAD)`. */
  readonly answers = new Map<string, number>();
  /** Every generator variant with the answers it got (HOSTILE_VERBOSE=1 prints them). */
  readonly byKind = new Map<string, Set<string>>();
  readonly fieldCodes = new Map<string, number>();
  /** Requests judged by a rule of mustAnswer, by its reason. */
  readonly ruled = new Map<string, number>();
  /** Operator retries the relay accepted. */
  retried = 0;

  add(h: Hostile, status: number, { key, fieldCodes, rule }: Verdict): void {
    if (rule) this.ruled.set(rule.why, (this.ruled.get(rule.why) ?? 0) + 1);
    this.answers.set(key, (this.answers.get(key) ?? 0) + 1);
    this.byKind.set(h.kind, (this.byKind.get(h.kind) ?? new Set()).add(key));
    if (h.kind === 'admin:retry:valid' && status === 200) this.retried += 1;
    for (const c of fieldCodes) this.fieldCodes.set(c, (this.fieldCodes.get(c) ?? 0) + 1);
  }

  /** The summary's lists: answers and field codes sorted by key, rules in the order first applied. */
  lists(): { answers: string; fieldCodes: string; ruled: string } {
    return { answers: listed(sorted(this.answers)), fieldCodes: listed(sorted(this.fieldCodes)), ruled: listed(this.ruled) };
  }

  /** One line per generator variant, with the answers it got. */
  variants(): string {
    return [...this.byKind]
      .sort()
      .map(([k, v]) => `${k}: ${[...v].join(', ')}`)
      .join('\n');
  }
}

/** The mix really covered the relay: every refusal code it can give to a stranger, and the successes. */
export function expectCoverage(tally: Tally, statuses: Record<LeadStatus, number>): void {
  const { answers, fieldCodes, ruled } = tally;
  for (const code of [
    'invalid_fields',
    'invalid_json',
    'unsupported_media_type',
    'payload_too_large',
    'invalid_idempotency_key',
    'unauthorized',
    'site_not_found',
    'origin_not_allowed',
    'rate_limited',
    'not_found',
    'method_not_allowed',
    'conflict',
  ]) {
    const seen = [...answers].filter(([k]) => k.endsWith(` ${code}`)).reduce((n, [, count]) => n + count, 0);
    expect(seen, `${code} seen often enough`).toBeGreaterThanOrEqual(5);
  }
  for (const status of ['200', '202', '204']) expect(answers.get(status), status).toBeGreaterThan(10);
  expect(answers.size).toBeGreaterThanOrEqual(15);
  for (const code of FIELD_ERROR_CODES) expect(fieldCodes.get(code) ?? 0, `field code ${code}`).toBeGreaterThan(0);
  for (const why of ['a foreign or missing Origin', 'a forged webhook', 'a correctly signed webhook', 'admin without the token']) {
    expect(ruled.get(why) ?? 0, why).toBeGreaterThan(50);
  }
  // The outbox saw every fate: confirmed, dead letters, and an operator retry of one.
  expect(statuses.confirmed).toBeGreaterThan(50);
  expect(statuses.failed).toBeGreaterThan(0);
  expect(tally.retried).toBeGreaterThan(0);
}
