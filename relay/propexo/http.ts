/**
 * One request to Propexo: Bearer auth, a hard timeout, rate-limit headers read, failures classified,
 * and the token kept out of everything returned. Never throws.
 */
import { withTimeLimit } from '../lib/time-limit.js';

export interface UpstreamRateInfo {
  /** `x-ratelimit-remaining`: requests left in Propexo's minute, shared by the whole account. */
  rateLimitRemaining?: number;
  /** `x-ratelimit-limit`. */
  rateLimitLimit?: number;
}

export type UpstreamFailureKind = 'rejected' | 'unauthorized' | 'rate_limited' | 'unavailable';

export interface UpstreamFailure extends UpstreamRateInfo {
  ok: false;
  kind: UpstreamFailureKind;
  /** Short machine-readable reason: `http_400`, `timeout`, `network_error:ECONNRESET`, `unreadable_body`. */
  reason: string;
  status?: number;
  /** Propexo's error body (4xx), token scrubbed; may quote prospect data, so log it masked. */
  details?: unknown;
  /**
   * True when Propexo may have acted on the request anyway (timeout, reset, 5xx, a 2xx we could not
   * read): for a create, re-sending could make a second prospect.
   */
  maybeDelivered: boolean;
  /** From a `Retry-After` header, if Propexo sent one (it is not documented). */
  retryAfterSeconds?: number;
}

export interface UpstreamSuccess extends UpstreamRateInfo {
  ok: true;
  status: number;
  /** The parsed body, or undefined when it was not JSON. */
  json: unknown;
}

export interface PropexoHttpOptions {
  /** Without a trailing slash, e.g. https://api.propexo.com. */
  baseUrl: string;
  token: string;
  fetch: typeof fetch;
  timeoutMs: number;
}

export type PropexoRequest = (method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown) => Promise<UpstreamSuccess | UpstreamFailure>;

type Attempt = { status: number; headers: Headers; text: string | undefined } | { error: 'timeout' | 'network_error'; code?: string };

/** Network errors that happen before a byte of the request leaves: nothing can have reached Propexo. */
const NEVER_SENT: ReadonlySet<string> = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

const intHeader = (headers: Headers, name: string): number | undefined => {
  const v = headers.get(name)?.trim();
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;
};

function rateInfo(headers: Headers): UpstreamRateInfo {
  const info: UpstreamRateInfo = {};
  const remaining = intHeader(headers, 'x-ratelimit-remaining');
  const limit = intHeader(headers, 'x-ratelimit-limit');
  if (remaining !== undefined) info.rateLimitRemaining = remaining;
  if (limit !== undefined) info.rateLimitLimit = limit;
  return info;
}

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export function createPropexoRequest(options: PropexoHttpOptions): PropexoRequest {
  const { token, timeoutMs, baseUrl } = options;
  const doFetch = options.fetch;

  async function attempt(method: string, url: string, body: string | undefined, signal: AbortSignal): Promise<Attempt> {
    try {
      const headers: Record<string, string> = { Authorization: `Bearer ${token}`, Accept: 'application/json' };
      if (body !== undefined) headers['Content-Type'] = 'application/json';
      // A redirect would be a misconfigured base URL; following it could turn a POST into a GET.
      const response = await doFetch(url, { method, headers, body, signal, redirect: 'manual' });
      const text = await response.text().catch(() => undefined);
      if (signal.aborted) return { error: 'timeout' };
      return { status: response.status, headers: response.headers, text };
    } catch (err) {
      if (signal.aborted) return { error: 'timeout' };
      // Only a bare system code such as ECONNREFUSED is kept: error messages may quote the request.
      const code = (err as { cause?: { code?: unknown } })?.cause?.code;
      return typeof code === 'string' && /^[A-Z0-9_]{2,40}$/.test(code) ? { error: 'network_error', code } : { error: 'network_error' };
    }
  }

  // Propexo's error bodies are returned for the log; one echoing our Authorization header must not
  // carry the token out of this module.
  function withoutToken(value: unknown): unknown {
    const text = JSON.stringify(value);
    const escaped = JSON.stringify(token).slice(1, -1);
    if (!text.includes(token) && !text.includes(escaped)) return value;
    return JSON.parse(text.split(escaped).join('[redacted]').split(token).join('[redacted]'));
  }

  return async function request(method, path, body) {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const outcome = await withTimeLimit<Attempt>(timeoutMs, { error: 'timeout' }, (signal) =>
      attempt(method, `${baseUrl}${path}`, payload, signal),
    );

    if ('error' in outcome) {
      const reason = outcome.code ? `${outcome.error}:${outcome.code}` : outcome.error;
      return { ok: false, kind: 'unavailable', reason, maybeDelivered: !NEVER_SENT.has(outcome.code ?? '') };
    }
    const { status, headers, text } = outcome;
    const rate = rateInfo(headers);
    const json = parseJson(text);
    if (status >= 200 && status < 300) return { ok: true, status, json, ...rate };

    const failure = { status, reason: `http_${status}`, ...rate };
    const retryAfter = intHeader(headers, 'retry-after');
    if (retryAfter !== undefined) Object.assign(failure, { retryAfterSeconds: retryAfter });
    const details = typeof json === 'object' && json !== null ? withoutToken((json as { error?: unknown }).error ?? json) : undefined;

    if (status === 401 || status === 403) return { ok: false, kind: 'unauthorized', maybeDelivered: false, ...failure };
    if (status === 429) return { ok: false, kind: 'rate_limited', maybeDelivered: false, ...failure };
    if (status === 408 || status >= 500) return { ok: false, kind: 'unavailable', maybeDelivered: status >= 500, ...failure };
    // 400 (documented) and every other 4xx or 3xx: Propexo refused what the relay sent.
    return { ok: false, kind: 'rejected', maybeDelivered: false, ...failure, ...(details === undefined ? {} : { details }) };
  };
}
