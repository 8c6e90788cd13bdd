/** `GET /healthz`, mounted there: the process is up and answering; nothing else is checked. */
import { Hono } from 'hono';
import { methodNotAllowed } from '../http/errors.js';
import type { RelayEnv } from '../types.js';

export function healthRoutes(): Hono<RelayEnv> {
  const health = new Hono<RelayEnv>();
  health.get('/', (c) => c.json({ ok: true }));
  health.all('/', methodNotAllowed('GET, HEAD'));
  return health;
}
