/**
 * Cloudflare Turnstile, the relay's side: one siteverify call per lead of a site that configures
 * Turnstile (https://developers.cloudflare.com/turnstile/get-started/server-side-validation/).
 *
 * The answer is one of three verdicts, and only Cloudflare's word about the visitor's response
 * counts against a lead:
 * - `passed`: `success: true`;
 * - `failed`: `success: false` for the response itself (invalid, expired, already spent, missing);
 * - `unavailable`: no verdict about the visitor: unreachable, slower than the timeout, a non-200
 *   answer, an unreadable body, Cloudflare's `internal-error`, or Cloudflare refusing *our* request
 *   (`invalid-input-secret`, `missing-input-secret`, `bad-request`; `misconfigured` then says so).
 *   The route lets such a lead through (fail open): Turnstile is one layer of several, and holding
 *   every real prospect while Cloudflare or our secret is at fault would cost more than a few bots.
 *
 * The secret and the response travel only in the POST body, and neither is ever part of a verdict,
 * so nothing this module returns can carry them into a log line.
 */
import { withTimeLimit } from '../lib/time-limit.js';

export const TURNSTILE_VERIFY_URL = 'https://challenges.cloudflare.com/turnstile/v0/siteverify';
/** Short: a visitor is waiting for the answer, and a slow Cloudflare must not hold a lead up for long. */
export const TURNSTILE_TIMEOUT_MS = 3_000;

export type TurnstileVerdict =
  | { outcome: 'passed'; hostname?: string }
  | { outcome: 'failed'; errorCodes: string[] }
  | {
      outcome: 'unavailable';
      /** `timeout`, `network_error`, `http_<status>`, `unreadable_body`, or `error_codes`. */
      reason: string;
      errorCodes?: string[];
      /** Cloudflare refused our own request (secret or format): an operator must act. */
      misconfigured?: true;
    };

export interface TurnstileCheck {
  /** The visitor's response (meta.turnstile): single use at Cloudflare. */
  token: string;
  remoteIp?: string;
  /**
   * Makes a repeated verification of the same response return the first verdict instead of "already
   * spent" (a UUID; see turnstileIdempotencyKey).
   */
  idempotencyKey?: string;
}

export interface TurnstileVerifier {
  verify(check: TurnstileCheck): Promise<TurnstileVerdict>;
}

export interface TurnstileOptions {
  secret: string;
  verifyUrl?: string;
  /** Injected: the global fetch in production (called unbound, as Workers require), a double in tests. */
  fetch: typeof globalThis.fetch;
  timeoutMs?: number;
}

/** Error codes about our request rather than the visitor's response. */
const OUR_FAULT = new Set(['missing-input-secret', 'invalid-input-secret', 'bad-request']);
/** Cloudflare could not decide: no verdict about the visitor. */
const THEIR_FAULT = new Set(['internal-error']);

type Attempt = { status: number; text: string | undefined } | { error: 'timeout' | 'network_error' };

export function createTurnstileVerifier(options: TurnstileOptions): TurnstileVerifier {
  const { secret, fetch: doFetch } = options;
  const url = options.verifyUrl ?? TURNSTILE_VERIFY_URL;
  const timeoutMs = options.timeoutMs ?? TURNSTILE_TIMEOUT_MS;

  async function attempt(body: URLSearchParams, signal: AbortSignal): Promise<Attempt> {
    try {
      const res = await doFetch(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
        body: body.toString(),
        signal,
        redirect: 'manual',
      });
      const text = await res.text().catch(() => undefined);
      if (signal.aborted) return { error: 'timeout' };
      return { status: res.status, text };
    } catch {
      // The error itself is dropped: a message could quote the request, and with it the secret.
      return { error: signal.aborted ? 'timeout' : 'network_error' };
    }
  }

  return {
    async verify(check) {
      const body = new URLSearchParams({ secret, response: check.token });
      if (check.remoteIp) body.set('remoteip', check.remoteIp);
      if (check.idempotencyKey) body.set('idempotency_key', check.idempotencyKey);

      const outcome = await withTimeLimit<Attempt>(timeoutMs, { error: 'timeout' }, (signal) => attempt(body, signal));
      if ('error' in outcome) return { outcome: 'unavailable', reason: outcome.error };
      if (outcome.status !== 200) return { outcome: 'unavailable', reason: `http_${outcome.status}` };
      return verdictOf(outcome.text);
    },
  };
}

function verdictOf(text: string | undefined): TurnstileVerdict {
  let json: unknown;
  try {
    json = text === undefined ? undefined : JSON.parse(text);
  } catch {
    // below
  }
  if (typeof json !== 'object' || json === null || typeof (json as { success?: unknown }).success !== 'boolean') {
    return { outcome: 'unavailable', reason: 'unreadable_body' };
  }
  const answer = json as { success: boolean; 'error-codes'?: unknown; hostname?: unknown };
  const codes = Array.isArray(answer['error-codes'])
    ? answer['error-codes'].filter((c): c is string => typeof c === 'string' && /^[a-z0-9-]{1,64}$/.test(c)).slice(0, 10)
    : [];
  if (answer.success) {
    return typeof answer.hostname === 'string' && answer.hostname.length <= 253
      ? { outcome: 'passed', hostname: answer.hostname }
      : { outcome: 'passed' };
  }
  if (codes.some((c) => OUR_FAULT.has(c))) return { outcome: 'unavailable', reason: 'error_codes', errorCodes: codes, misconfigured: true };
  if (codes.some((c) => THEIR_FAULT.has(c))) return { outcome: 'unavailable', reason: 'error_codes', errorCodes: codes };
  return { outcome: 'failed', errorCodes: codes };
}

/**
 * The idempotency_key sent with a lead's verification: a UUID derived from the site and the lead's
 * Idempotency-Key, so a browser retrying the same lead (after a 503, say) gets Cloudflare's first
 * verdict back instead of "already spent". A lead without one gets a fresh UUID.
 */
export async function turnstileIdempotencyKey(site: string, leadKey: string | undefined): Promise<string> {
  if (leadKey === undefined) return crypto.randomUUID();
  const digest = new Uint8Array(
    await crypto.subtle.digest('SHA-256', new TextEncoder().encode(`resman-lead-form/turnstile/v1\n${site}\n${leadKey}`)),
  );
  const b = digest.slice(0, 16);
  // Shaped as a version-4 UUID (the form Cloudflare's examples use): hash bits are as good as random ones.
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
