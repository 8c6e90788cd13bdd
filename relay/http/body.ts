/**
 * What a request body must be before a route reads it: JSON in UTF-8 (415 otherwise), and no larger
 * than the route takes (413). The size is hono/body-limit's check: it trusts Content-Length, reads a
 * chunked body up to the limit and hands it on. Then the body is read whole, here: a body that
 * breaks off (the client closed the connection) is `ClientClosedRequest`, a 499 in the log and not
 * an error of ours, whatever words the runtime uses for it. The route reads the body the ordinary
 * way (`c.req.arrayBuffer()`, `c.req.json()`), from hono's cache of this read.
 */
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { ApiError, ClientClosedRequest } from './errors.js';

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

/** hono/body-limit, refusing a body over `maxBytes` with the relay's 413 envelope; then the body read whole. */
export function limitBody(maxBytes: number): MiddlewareHandler {
  const limit = bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw new ApiError(413, 'payload_too_large', `The body must be at most ${maxBytes} bytes.`);
    },
  });
  return async function limitBody(c, next) {
    try {
      await limit(c, async () => {
        await c.req.arrayBuffer();
      });
    } catch (err) {
      // A 413 is ours; any other failure to read a body is the connection's (the client went away).
      if (err instanceof ApiError) throw err;
      throw new ClientClosedRequest(err);
    }
    await next();
  };
}
