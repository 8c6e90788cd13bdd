/**
 * Every failure leaves the relay as the contract's envelope. Handlers throw `ApiError` (an
 * HTTPException that knows its code); `errorHandler` renders it, any other HTTPException (hono's
 * own), and anything unexpected, which becomes a logged 500 with a generic message. A failure
 * because the client disconnected is none of these: it is answered (to nobody) and logged as 499.
 */
import type { Context, ErrorHandler, NotFoundHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { errorEnvelope, type ErrorCode, type FieldIssue } from '../../contract/errors.js';
import type { Logger } from '../lib/log.js';

export interface ApiErrorOptions {
  fields?: FieldIssue[];
  /** Extra response headers, e.g. Retry-After. */
  headers?: Record<string, string>;
}

export class ApiError extends HTTPException {
  readonly code: ErrorCode;
  readonly fields: FieldIssue[];
  readonly headers: Record<string, string>;
  constructor(status: ContentfulStatusCode, code: ErrorCode, message: string, options: ApiErrorOptions = {}) {
    super(status, { message });
    this.name = 'ApiError';
    this.code = code;
    this.fields = options.fields ?? [];
    this.headers = options.headers ?? {};
  }
}

/** Messages for codes raised outside our handlers (hono's HTTPExceptions, routing). */
const GENERIC: Partial<Record<ErrorCode, string>> = {
  invalid_json: 'The request body is not valid JSON.',
  not_found: 'No such route.',
  method_not_allowed: 'This method is not allowed here.',
  payload_too_large: 'The request body is too large.',
  unsupported_media_type: 'Send the request body as application/json.',
  rate_limited: 'Too many requests; try again later.',
  origin_not_allowed: 'This origin may not use this site.',
  internal_error: 'Something went wrong on our side. Please try again later.',
};

function codeForStatus(status: number): ErrorCode {
  switch (status) {
    case 400:
      return 'invalid_json';
    case 403:
      return 'origin_not_allowed';
    case 404:
      return 'not_found';
    case 405:
      return 'method_not_allowed';
    case 413:
      return 'payload_too_large';
    case 415:
      return 'unsupported_media_type';
    case 429:
      return 'rate_limited';
    default:
      return 'internal_error';
  }
}

export function errorResponse(
  c: Context,
  status: ContentfulStatusCode,
  code: ErrorCode,
  message: string,
  fields: readonly FieldIssue[] = [],
) {
  return c.json(errorEnvelope(code, message, fields), status);
}

/** nginx's "client closed request": what the log says of a request whose client went away. */
export const CLIENT_CLOSED_REQUEST = 499;

/**
 * The client's body stopped before its end (body.ts reads it whole): the connection closed or broke.
 * Each runtime words it its own way (Node "aborted", workerd "Network connection lost."); the cause keeps it.
 */
export class ClientClosedRequest extends Error {
  constructor(cause: unknown) {
    super('the client closed the request before its body was read', { cause });
    this.name = 'ClientClosedRequest';
  }
}

/** The client went away: its body broke off, or the runtime aborted the request (Node does on close). */
function clientGone(err: unknown, c: Context): boolean {
  return err instanceof ClientClosedRequest || c.req.raw.signal?.aborted === true;
}

export function createErrorHandler(logger: Logger): ErrorHandler {
  return function onError(err, c) {
    // Nothing went wrong here and nobody is left to answer: no error line, no 500 in the error rate.
    // The request line (request-log.ts) still says 499 at info level.
    if (clientGone(err, c)) return new Response(null, { status: CLIENT_CLOSED_REQUEST });
    if (err instanceof ApiError) {
      for (const [name, value] of Object.entries(err.headers)) c.header(name, value);
      return errorResponse(c, err.status, err.code, err.message, err.fields);
    }
    if (err instanceof HTTPException) {
      // Hono's own exceptions: keep the status, never their text.
      const code = codeForStatus(err.status);
      if (err.status >= 500) logger.error('http_exception', { status: err.status, path: c.req.path });
      return errorResponse(c, err.status, code, GENERIC[code] ?? GENERIC.internal_error!);
    }
    logger.error('internal_error', { error: err, method: c.req.method, path: c.req.path });
    return errorResponse(c, 500, 'internal_error', GENERIC.internal_error!);
  };
}

export const notFound: NotFoundHandler = (c) => errorResponse(c, 404, 'not_found', GENERIC.not_found!);

/** The handler for a known path asked with a method it does not serve. */
export function methodNotAllowed(allow: string) {
  return function methodNotAllowed(c: Context) {
    c.header('Allow', allow);
    return errorResponse(c, 405, 'method_not_allowed', GENERIC.method_not_allowed!);
  };
}
