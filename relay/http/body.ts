/**
 * What a request body must be before a route reads it: JSON in UTF-8 (415 otherwise), and no larger
 * than the route takes (413). The size is hono/body-limit's check: it trusts Content-Length, reads a
 * chunked body up to the limit and hands it on, so the route reads the body the ordinary way
 * (`c.req.arrayBuffer()`, `c.req.json()`) however it was framed.
 */
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { ApiError } from './errors.js';

/** `application/json` in UTF-8, the only charset JSON has (RFC 8259); 415 otherwise. */
export function requireJson(): MiddlewareHandler {
  return async function requireJson(c, next) {
    const [type, ...params] = (c.req.header('content-type') ?? '')
      .toLowerCase()
      .split(';')
      .map((p) => p.trim());
    const charset = params
      .find((p) => p.startsWith('charset='))
      ?.slice('charset='.length)
      .replace(/"/g, '');
    if (type !== 'application/json' || (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8')) {
      throw new ApiError(415, 'unsupported_media_type', 'Send the lead as application/json in UTF-8.');
    }
    await next();
  };
}

/** hono/body-limit, refusing a body over `maxBytes` with the relay's 413 envelope. */
export function limitBody(maxBytes: number): MiddlewareHandler {
  return bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw new ApiError(413, 'payload_too_large', `The body must be at most ${maxBytes} bytes.`);
    },
  });
}
