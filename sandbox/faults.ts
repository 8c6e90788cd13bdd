/**
 * Faults a test can queue to see how a client copes with the network and proxies in front of
 * Propexo. Each applies to the next `times` matching /v1 requests, oldest queued first.
 */
import * as z from 'zod/mini';

export const FAULT_KINDS = [
  '500', // status only, empty body
  '502', // HTML body, as a proxy answers
  '503', // HTML body, as a proxy answers
  '429', // as the rate limiter answers
  'slow', // wait `ms` before handling; an aborted request is never handled
  'timeout_after_receive', // handle fully, then hold the answer back `ms` and hang up
  'reset', // hang up before handling
  'reset_after_receive', // handle fully, then hang up
  'garbled', // handle fully, then answer 200 with a truncated, unparseable body
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** Faults that stop a request before the sandbox handles it; the others act after. */
export const BEFORE_HANDLING: ReadonlySet<FaultKind> = new Set(['500', '502', '503', '429', 'reset']);

export const DEFAULT_FAULT_MS = 30_000;

export interface Fault {
  kind: FaultKind;
  /** How many matching requests it applies to; default 1. */
  times?: number;
  /**
   * Path prefix in whole segments, e.g. `/v1/leads/resman` (the create, and `PUT /v1/leads/resman/{lead_id}`
   * unless `method` tells them apart) or `/v1/events/leads/resman`; default every /v1 request.
   */
  path?: string;
  /** HTTP method, e.g. `POST` or `PUT`, any case; default any. */
  method?: string;
  /** Delay for `slow` and `timeout_after_receive`; default 30000. */
  ms?: number;
}

export const faultSchema = z.strictObject({
  kind: z.enum(FAULT_KINDS),
  times: z.optional(z.int().check(z.gte(1))),
  path: z.optional(z.string().check(z.startsWith('/'))),
  method: z.optional(z.string().check(z.minLength(1))),
  ms: z.optional(z.int().check(z.gte(0))),
});

/** A queued fault with how many uses it has left. */
export interface QueuedFault {
  kind: FaultKind;
  remaining: number;
  path: string | null;
  method: string | null;
  ms: number;
}

// Trailing slashes are optional on every route, so they do not count when matching a fault's path.
const withoutTrailingSlash = (path: string) => path.replace(/(.)\/+$/, '$1');

/** `/v1/leads` covers `/v1/leads`, `/v1/leads/` and `/v1/leads/resman/…`, not `/v1/leadsources`. */
const underPath = (path: string, prefix: string) => prefix === '/' || path === prefix || path.startsWith(`${prefix}/`);

export class FaultQueue {
  private queue: QueuedFault[] = [];

  add(fault: Fault): QueuedFault {
    const f = faultSchema.parse(fault);
    const queued: QueuedFault = {
      kind: f.kind,
      remaining: f.times ?? 1,
      path: f.path === undefined ? null : withoutTrailingSlash(f.path),
      method: f.method?.toUpperCase() ?? null,
      ms: f.ms ?? DEFAULT_FAULT_MS,
    };
    this.queue.push(queued);
    return queued;
  }

  /** Takes one use of the oldest fault matching this request, if any. */
  take(method: string, requestPath: string): QueuedFault | undefined {
    const path = withoutTrailingSlash(requestPath);
    const fault = this.queue.find(
      (f) => (f.path === null || underPath(path, f.path)) && (f.method === null || f.method === method.toUpperCase()),
    );
    if (!fault) return undefined;
    fault.remaining -= 1;
    if (fault.remaining === 0) this.queue.splice(this.queue.indexOf(fault), 1);
    return { ...fault };
  }

  list(): QueuedFault[] {
    return this.queue.map((f) => ({ ...f }));
  }

  clear(): void {
    this.queue = [];
  }
}

/**
 * What `app.request()` rejects with when the sandbox "hangs up" and there is no socket to destroy:
 * a TypeError like the one `fetch` rejects with on a reset, with an ECONNRESET cause.
 */
export class SandboxConnectionReset extends TypeError {
  constructor() {
    super('fetch failed', { cause: Object.assign(new Error('sandbox fault: connection reset by peer'), { code: 'ECONNRESET' }) });
    this.name = 'SandboxConnectionReset';
  }
}

// @hono/node-server aborts with a string reason; handlers expect an Error.
const abortError = (signal: AbortSignal): Error =>
  signal.reason instanceof Error ? signal.reason : new DOMException(String(signal.reason), 'AbortError');

/** Waits `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(abortError(signal));
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError(signal));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

const proxyPage = (status: number, title: string) =>
  `<html>\r\n<head><title>${status} ${title}</title></head>\r\n<body>\r\n<center><h1>${status} ${title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`;

/** The answer a proxy in front of Propexo gives for a 5xx fault. */
export function proxyErrorResponse(kind: '500' | '502' | '503'): Response {
  if (kind === '500') return new Response(null, { status: 500 });
  const page = kind === '502' ? proxyPage(502, 'Bad Gateway') : proxyPage(503, 'Service Temporarily Unavailable');
  return new Response(page, { status: Number(kind), headers: { 'content-type': 'text/html' } });
}

/** A copy of `res` as 200 with its body cut in half, so it is never valid JSON. */
export async function garble(res: Response): Promise<Response> {
  const text = await res.text();
  const cut = text.slice(0, Math.floor(text.length / 2)) || '{"meta":';
  const headers = new Headers(res.headers);
  headers.delete('content-length');
  return new Response(cut, { status: 200, headers });
}
