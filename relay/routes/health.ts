/**
 * `GET /healthz` and `GET /readyz`, each mounted at its path. `/healthz` is liveness: the process is
 * up and answering, nothing else is checked (restarting it would not mend a full disk). `/readyz` is
 * readiness: 503 with the reasons while the outbox cannot write or Propexo refuses the token
 * (relay/lib/readiness.ts), so an orchestrator sends traffic elsewhere.
 */
import { Hono } from 'hono';
import { methodNotAllowed } from '../http/errors.js';
import type { Readiness } from '../lib/readiness.js';
import type { RelayEnv } from '../types.js';

export function healthRoutes(): Hono<RelayEnv> {
  const health = new Hono<RelayEnv>();
  health.get('/', (c) => c.json({ ok: true }));
  health.all('/', methodNotAllowed('GET, HEAD'));
  return health;
}

/** A status report, not an error: 503 `{ ok: false, reasons }` rather than the error envelope. */
export function readinessRoutes(readiness: Readiness): Hono<RelayEnv> {
  const ready = new Hono<RelayEnv>();
  ready.get('/', async (c) => {
    c.header('Cache-Control', 'no-store');
    const reasons = await readiness();
    return reasons.length === 0 ? c.json({ ok: true }) : c.json({ ok: false, reasons }, 503);
  });
  ready.all('/', methodNotAllowed('GET, HEAD'));
  return ready;
}
