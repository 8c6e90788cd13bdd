/**
 * A local stand-in for Propexo's API, built from what Propexo documents (docs/propexo.md):
 * bearer auth, the shared per-minute budget, Create Lead: ResMan with asynchronous write jobs, the
 * writes onto an existing lead (Update Lead, Create Lead Event: lead-writes.ts), tour appointments
 * (book, move, cancel's 405, the list: appointments.ts), write-status / retry-write / write logs
 * (write-jobs.ts), and the lists a form offers choices from (lists.ts). Plus
 * an unauthenticated `/__sandbox` control surface (faults, received writes, reset) and a page at `/` for humans.
 *
 * The control surface has no auth on purpose: serve this only on loopback (startSandbox does).
 */
import type { HttpBindings } from '@hono/node-server';
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { bearerAuth } from 'hono/bearer-auth';
import { HTTPException } from 'hono/http-exception';
import { appointmentRoutes } from './appointments.js';
import { CREATE_LEAD_FIELDS, badRequest, invalidRequest, parseCreateLead, parseJsonBody, type CreateLeadBody } from './create-lead.js';
import { createDemoData, type SandboxData } from './data.js';
import {
  BEFORE_HANDLING,
  FaultQueue,
  SandboxConnectionReset,
  faultSchema,
  garble,
  proxyErrorResponse,
  sleep,
  type Fault,
  type QueuedFault,
} from './faults.js';
import { leadWriteRoutes } from './lead-writes.js';
import { listRoutes } from './lists.js';
import { leadsPage, maskEmail, maskPhone } from './page.js';
import { specLead } from './shapes.js';
import { FixedWindowRateLimit } from './rate-limit.js';
import type { SandboxAppointment, SandboxEvent, SandboxJob, SandboxLead, SandboxUpdate } from './received.js';
import { SandboxStore } from './store.js';
import { writeJobRoutes } from './write-jobs.js';

export interface SandboxOptions {
  /** The Bearer token every /v1 request must carry. */
  token: string;
  /** Default Date.now; tests move time with it (write jobs, rate-limit windows). */
  clock?: { now(): number };
  /** How long a write job stays PENDING on the clock; default 1500. */
  writeDelayMs?: number;
  /**
   * Read-back: 0 (default) makes a created lead readable through `GET /v1/leads` at once, as with
   * Propexo's immediate read-back; more holds it back that long on the clock (until "the next sync").
   * Write-status and the write logs are immediate either way.
   */
  readBackDelayMs?: number;
  /** Default 150, Propexo's standard contract. */
  rateLimitPerMinute?: number;
  /** Fraction of the budget after which responses are delayed; default 0.8. */
  slowDownAt?: number;
  /** Real-time delay past slowDownAt; default 2000. */
  slowDownMs?: number;
  /** Receives one JSON line per write received (lead, update, event), contact details masked or left out, never the token. */
  log?: (line: string) => void;
}

/** Hono env: under @hono/node-server the Node request/response are bindings; under app.request() there are none. */
export type SandboxEnv = { Bindings: Partial<HttpBindings> | undefined };

export interface Sandbox {
  app: Hono<SandboxEnv>;
  /** Every create-lead body accepted, in order, with its job's current state. */
  leads(): SandboxLead[];
  /** Every lead-event body accepted, in order, with its job's current state and the event's id. */
  events(): SandboxEvent[];
  /** Every update-lead body accepted, in order, with the lead it updates and its job's current state. */
  updates(): SandboxUpdate[];
  /** Every tour booking (`action: 'create'`) and move (`'move'`) accepted, in order, with its job's current state and the tour's id. */
  appointments(): SandboxAppointment[];
  jobs(): SandboxJob[];
  /** Queues a fault for the next `times` matching /v1 requests; throws on an invalid fault. */
  injectFault(fault: Fault): void;
  clearFaults(): void;
  /**
   * Forgets leads, events, updates, tour bookings and moves, jobs, faults and the rate-limit window
   * (the seeded tours stay as they were seeded); requests held by a delay are hung up.
   */
  reset(): void;
  /** The demo records, tours seeded from the clock at creation; a test may change them (e.g. add a lead source, then retry-write). */
  data: SandboxData;
}

// What Hono's bearerAuth accepts as a token (RFC 6750 b64token).
const TOKEN68 = /^[A-Za-z0-9._~+/-]+=*$/;

const jsonError = (status: number, code: string, message: string, headers?: Record<string, string>) =>
  Response.json({ error: { code, message } }, { status, headers });

export function createSandbox(options: SandboxOptions): Sandbox {
  if (!options.token || !TOKEN68.test(options.token)) {
    throw new Error('createSandbox: token is required and must be a bearer token (letters, digits, ._~+/- and trailing =)');
  }
  const now = () => (options.clock ?? Date).now();
  const limit = options.rateLimitPerMinute ?? 150;
  const slowDownMs = options.slowDownMs ?? 2000;
  const data = createDemoData(now());
  const store = new SandboxStore(data, now, options.writeDelayMs ?? 1500, options.readBackDelayMs ?? 0);
  const faults = new FaultQueue();
  const limiter = new FixedWindowRateLimit(limit, options.slowDownAt ?? 0.8, now);
  // Aborted by reset(), so requests sleeping in a fault or slow-down end instead of lingering.
  let lifetime = new AbortController();

  const signalOf = (c: Context<SandboxEnv>) => AbortSignal.any([c.req.raw.signal, lifetime.signal]);

  /**
   * Ends the exchange without an answer. Over a socket: destroy it (the client sees a reset).
   * Through app.request(): there is no socket, so throw, and app.request() rejects like fetch would.
   */
  function hangUp(c: Context<SandboxEnv>): Response {
    const socket = c.env?.incoming?.socket;
    if (socket) {
      socket.destroy();
      return new Response(null, { status: 499 }); // never delivered
    }
    if (c.req.raw.signal.aborted) throw c.req.raw.signal.reason;
    throw new SandboxConnectionReset();
  }

  const rateLimited = (remaining: number) =>
    jsonError(429, 'rate_limited', 'Rate limit exceeded', {
      'x-ratelimit-limit': String(limit),
      'x-ratelimit-remaining': String(remaining),
    });

  const applyFaults: MiddlewareHandler<SandboxEnv> = async function applyFaults(c, next) {
    const fault: QueuedFault | undefined = faults.take(c.req.method, c.req.path);
    if (!fault) return next();
    if (BEFORE_HANDLING.has(fault.kind)) {
      if (fault.kind === 'reset') return hangUp(c);
      if (fault.kind === '429') return rateLimited(0);
      return proxyErrorResponse(fault.kind as '500' | '502' | '503');
    }
    // Nothing is handled until the delay is over; a client that gives up first created nothing.
    if (fault.kind === 'slow') await sleep(fault.ms, signalOf(c));
    await next(); // handled for real: a lead in this request is stored
    if (fault.kind === 'garbled') c.res = await garble(c.res);
    if (fault.kind === 'timeout_after_receive') {
      await sleep(fault.ms, signalOf(c)).catch(() => undefined);
      c.res = hangUp(c);
    }
    if (fault.kind === 'reset_after_receive') c.res = hangUp(c);
  };

  const requireToken = bearerAuth({
    token: options.token,
    noAuthenticationHeader: { message: () => jsonError(401, 'unauthorized', 'Missing bearer token') },
    invalidAuthenticationHeader: { message: () => jsonError(401, 'unauthorized', 'Malformed Authorization header') },
    invalidToken: { message: () => jsonError(401, 'unauthorized', 'Invalid bearer token') },
  });

  const rateLimit: MiddlewareHandler<SandboxEnv> = async function rateLimit(c, next) {
    const decision = limiter.hit();
    if (!decision.allowed) return rateLimited(0);
    if (decision.slowDown) await sleep(slowDownMs, signalOf(c));
    await next();
    c.header('x-ratelimit-limit', String(decision.limit));
    c.header('x-ratelimit-remaining', String(decision.remaining));
  };

  // strict: false makes every trailing slash optional, as Propexo's documented paths end in one.
  const app = new Hono<SandboxEnv>({ strict: false });
  app.use('/v1/*', applyFaults, requireToken, rateLimit);

  app.post('/v1/leads/resman', async (c) => {
    const json = parseJsonBody(await c.req.text());
    if (!json.ok) return c.json(json.error, 400);
    const parsed = parseCreateLead(json.raw, data, c.req.query('ignore_unknown_fields') === 'true');
    if (!parsed.ok) return c.json(parsed.error, 400);
    const lead = store.receiveLead(parsed.body);
    options.log?.(leadReceivedLine(lead));
    // Propexo echoes the whole model, null where a field was not given.
    const result = Object.fromEntries(CREATE_LEAD_FIELDS.map((field) => [field, parsed.body[field] ?? null]));
    return c.json({ meta: { job_id: lead.job_id }, result }, 200);
  });

  app.route('/v1', leadWriteRoutes(data, store, options.log));
  app.route('/v1', appointmentRoutes(data, store, options.log));
  app.route('/v1', writeJobRoutes(store, now));

  app.get('/v1/leads/:id', (c) => {
    const lead = store.leadById(c.req.param('id'));
    if (!lead) return badRequest('No lead with this id', ['id']);
    return c.json({ meta: {}, results: specLead(lead) });
  });

  app.route(
    '/v1',
    listRoutes(data, () => store.leadRecords()),
  );

  app.get('/__sandbox/leads', (c) => c.json(store.leads()));
  app.get('/__sandbox/events', (c) => c.json(store.events()));
  app.get('/__sandbox/updates', (c) => c.json(store.updates()));
  app.get('/__sandbox/appointments', (c) => c.json(store.appointments()));
  app.get('/__sandbox/jobs', (c) => c.json(store.jobs()));
  app.get('/__sandbox/faults', (c) => c.json(faults.list()));
  app.post('/__sandbox/faults', async (c) => {
    const parsed = faultSchema.safeParse(await c.req.json().catch(() => undefined));
    if (!parsed.success)
      return c.json(
        invalidRequest(
          'Invalid fault',
          parsed.error.issues.map((i) => ({ ...i })),
        ),
        400,
      );
    faults.add(parsed.data);
    return c.json(faults.list(), 201);
  });
  app.delete('/__sandbox/faults', (c) => {
    faults.clear();
    return c.json({ ok: true });
  });
  app.post('/__sandbox/reset', (c) => {
    reset();
    return c.json({ ok: true });
  });
  app.get('/', (c) =>
    c.html(
      leadsPage(store.leads(), {
        events: store.events(),
        updates: store.updates(),
        appointments: store.appointments(),
        lead: (id) => store.heldLead(id),
      }),
    ),
  );

  app.notFound(() => jsonError(404, 'not_found', 'Not found'));
  app.onError((err, c) => {
    if (err instanceof HTTPException) return err.getResponse();
    // A hang-up, or a client that gave up: no answer, so app.request() rejects as fetch would.
    if (err instanceof SandboxConnectionReset) return hangUp(c);
    if (c.req.raw.signal.aborted) throw err;
    console.error('sandbox: unexpected error', err);
    return jsonError(500, 'internal_error', 'Sandbox error');
  });

  function reset(): void {
    store.reset();
    faults.clear();
    limiter.reset();
    lifetime.abort(new SandboxConnectionReset());
    lifetime = new AbortController();
  }

  return {
    app,
    leads: () => store.leads(),
    events: () => store.events(),
    updates: () => store.updates(),
    appointments: () => store.appointments(),
    jobs: () => store.jobs(),
    injectFault: (fault) => void faults.add(fault),
    clearFaults: () => faults.clear(),
    reset,
    data,
  };
}

/** One log line per lead: enough to follow the demo, nothing that identifies the prospect or the account. */
function leadReceivedLine(lead: SandboxLead): string {
  const b: CreateLeadBody = lead.body;
  return JSON.stringify({
    sandbox: 'lead_received',
    job_id: lead.job_id,
    received_at: lead.received_at,
    first_name: b.first_name,
    last_initial: b.last_name.slice(0, 1),
    email: maskEmail(b.email_1),
    phone: maskPhone(b.phone_1),
    integration_id: b.integration_id,
    property_id: b.property_id,
    employee_id: b.employee_id,
    lead_source_id: b.lead_source_id,
  });
}
