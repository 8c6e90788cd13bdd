/**
 * The upstream client for Propexo's Create Lead: ResMan (`POST /v1/leads/resman/`).
 *
 * It never throws: every outcome is a value the caller must handle, and none of them (nor any log
 * line built from them) contains the token. It sends only the documented fields and never
 * `ignore_unknown_fields`, so a field Propexo does not know is a loud 400, not a silent loss.
 */
import { FIELD_NAMES } from '../../contract/fields.js';
import type { Submission } from '../../contract/submission.js';

/**
 * Every body field of Create Lead: ResMan: the four ids from the site's configuration, then the
 * prospect fields, which are exactly the contract's (shared/propexo/README.md lists the same).
 */
export const RESMAN_LEAD_FIELDS = ['integration_id', 'property_id', 'employee_id', 'lead_source_id', ...FIELD_NAMES] as const;

export interface SiteIds {
  integration_id: string;
  property_id: string;
  employee_id: string;
  lead_source_id: string;
}

/** The wire body: the site's four ids plus the prospect's normalised fields. */
export type ResmanLeadBody = SiteIds & Submission;

export type CreateLeadFailureKind = 'rejected' | 'unauthorized' | 'rate_limited' | 'unavailable';

export interface UpstreamRateInfo {
  /** `x-ratelimit-remaining`: requests left in Propexo's shared minute (the next issue paces on it). */
  rateLimitRemaining?: number;
  /** `x-ratelimit-limit`. */
  rateLimitLimit?: number;
}

export type CreateLeadResult =
  | ({ ok: true; jobId: string; status: number } & UpstreamRateInfo)
  | ({
      ok: false;
      kind: CreateLeadFailureKind;
      /** Short machine-readable reason: `http_400`, `timeout`, `network_error`, `unreadable_body`, … */
      reason: string;
      status?: number;
      /** Propexo's error body (for 4xx), for the operator's log; may hold prospect data, log it masked. */
      details?: unknown;
      /**
       * True when Propexo may have queued the write anyway (timeout, reset, 5xx, a 2xx we could not
       * read): re-sending could create a second prospect, so the outbox must check before retrying.
       */
      maybeDelivered: boolean;
      /** From a `Retry-After` header, if Propexo sent one (it is not documented). */
      retryAfterSeconds?: number;
    } & UpstreamRateInfo);

export interface PropexoClient {
  createLead(body: ResmanLeadBody): Promise<CreateLeadResult>;
}

export interface PropexoClientOptions {
  /** Without a trailing slash, e.g. https://api.propexo.com. */
  baseUrl: string;
  token: string;
  fetch: typeof fetch;
  timeoutMs: number;
}

const FIELD_SET: ReadonlySet<string> = new Set(RESMAN_LEAD_FIELDS);

/** Keeps only documented fields with a value. */
export function documentedBody(body: ResmanLeadBody): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) {
    if (FIELD_SET.has(key) && value !== undefined && value !== null) out[key] = value;
  }
  return out;
}

const intHeader = (headers: Headers, name: string): number | undefined => {
  const v = headers.get(name);
  return v !== null && /^\d+$/.test(v.trim()) ? Number(v.trim()) : undefined;
};

function rateInfo(headers: Headers): UpstreamRateInfo {
  const info: UpstreamRateInfo = {};
  const remaining = intHeader(headers, 'x-ratelimit-remaining');
  const limit = intHeader(headers, 'x-ratelimit-limit');
  if (remaining !== undefined) info.rateLimitRemaining = remaining;
  if (limit !== undefined) info.rateLimitLimit = limit;
  return info;
}

/** `meta.job_id` (ResMan page) or `job_id` (generic OpenAPI), whichever Propexo sends. */
function readJobId(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const { meta, job_id } = body as { meta?: { job_id?: unknown }; job_id?: unknown };
  const id = (typeof meta === 'object' && meta !== null ? meta.job_id : undefined) ?? job_id;
  return typeof id === 'string' && id !== '' ? id : typeof id === 'number' ? String(id) : undefined;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

type Attempt = { response: Response; text: string | undefined } | { error: 'timeout' | 'network_error'; code?: string };

export function createPropexoClient(options: PropexoClientOptions): PropexoClient {
  const { token, timeoutMs } = options;
  const doFetch = options.fetch;
  const url = `${options.baseUrl}/v1/leads/resman/`;

  async function attempt(body: string, signal: AbortSignal): Promise<Attempt> {
    try {
      const response = await doFetch(url, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', Accept: 'application/json' },
        body,
        signal,
        // A redirect would be a misconfigured base URL; following it could turn the POST into a GET.
        redirect: 'manual',
      });
      let text: string | undefined;
      try {
        text = await response.text();
      } catch {
        text = undefined;
      }
      if (signal.aborted) return { error: 'timeout' };
      return { response, text };
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

  async function createLead(lead: ResmanLeadBody): Promise<CreateLeadResult> {
    const body = JSON.stringify(documentedBody(lead));
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    // The race guards against a fetch that ignores its signal, as some test doubles and proxies do.
    const timeout = new Promise<Attempt>((resolve) => {
      timer = setTimeout(() => {
        controller.abort();
        resolve({ error: 'timeout' });
      }, timeoutMs);
    });
    let outcome: Attempt;
    try {
      outcome = await Promise.race([attempt(body, controller.signal), timeout]);
    } finally {
      clearTimeout(timer);
    }

    if ('error' in outcome) {
      const reason = outcome.code ? `${outcome.error}:${outcome.code}` : outcome.error;
      return { ok: false, kind: 'unavailable', reason, maybeDelivered: true };
    }
    const { response, text } = outcome;
    const status = response.status;
    const rate = rateInfo(response.headers);
    const json = text === undefined ? undefined : parseJson(text);

    if (status >= 200 && status < 300) {
      const jobId = readJobId(json);
      if (jobId !== undefined) return { ok: true, jobId, status, ...rate };
      // Propexo answered success but we cannot tell which job: the write may well be queued.
      return { ok: false, kind: 'unavailable', reason: 'unreadable_body', status, maybeDelivered: true, ...rate };
    }

    const failure = { status, reason: `http_${status}`, ...rate };
    const retryAfter = intHeader(response.headers, 'retry-after');
    if (retryAfter !== undefined) Object.assign(failure, { retryAfterSeconds: retryAfter });
    const details = typeof json === 'object' && json !== null ? withoutToken((json as { error?: unknown }).error ?? json) : undefined;

    if (status === 401 || status === 403) return { ok: false, kind: 'unauthorized', maybeDelivered: false, ...failure };
    if (status === 429) return { ok: false, kind: 'rate_limited', maybeDelivered: false, ...failure };
    if (status === 408 || status >= 500) return { ok: false, kind: 'unavailable', maybeDelivered: status >= 500, ...failure };
    // 400 (documented) and every other 4xx or 3xx: Propexo refused what the relay sent.
    return { ok: false, kind: 'rejected', maybeDelivered: false, ...failure, ...(details === undefined ? {} : { details }) };
  }

  return { createLead };
}
