/** Shared fixtures for the relay tests: a config, a fake Propexo, and a relay wired to them. */
import { createRelay } from '../../relay/app.js';
import { createDeliverer } from '../../relay/outbox/delivery/deliverer.js';
import type { DeliveryPolicy } from '../../relay/outbox/delivery/policy.js';
import { createPropexoClient } from '../../relay/propexo/client.js';
import { parseConfig, type Env, type RelayConfig } from '../../relay/config/env.js';
import { createMemoryLimiter, type MemoryLimiter } from '../../relay/limits/memory.js';
import { createLogger, type LogLevel } from '../../relay/lib/log.js';
import { createMemoryLeadStore, type MemoryLeadStore } from '../../relay/outbox/store/memory.js';
import type { WidgetAssets } from '../../relay/http/widget-assets.js';
import type { RelayDeps } from '../../relay/types.js';
import { moveInDate, todayNoonUtc } from '../support/dates.js';
import { checkedSink } from '../support/hygiene.js';

/** Distinctive, so a leak is unmistakable; valid as a bearer token for the sandbox too. */
export const TOKEN = 'ptx_live_S3CRET_t0ken_9f8e7d6c5b4a';
export const ORIGIN = 'https://www.oakgrove.example';

export const SITE_IDS = {
  integration_id: 'int_oak',
  property_id: 'prop_oak',
  employee_id: 'emp_oak',
  lead_source_id: 'src_web',
};

/** Limits no test burst reaches, for tests about delivery rather than limits. */
export const ROOMY_LIMITS = {
  per_site: { max: 100_000, window_seconds: 60 },
  per_ip: { max: 100_000, window_seconds: 600 },
  per_ip_lookups: { max: 1_000_000, window_seconds: 60 },
};

/**
 * The unit tests' sites create a lead for every inquiry (`returning: "new_lead"`): they follow the
 * create's exact upstream calls. The lookup for a returning prospect that the default adds before
 * each create is tested on its own (returning.test.ts) and by the sandbox suites. They post leads
 * as a site's own server would, without a form token (`form_token: "optional"`); the token rules
 * are spam.test.ts's.
 */
export const SITES = {
  'oak-grove': {
    name: 'Oak Grove',
    ...SITE_IDS,
    allowed_origins: [ORIGIN, 'http://localhost:{PORT}'],
    limits: { per_site: { max: 10, window_seconds: 60 }, per_ip: { max: 3, window_seconds: 600 } },
    returning: 'new_lead',
    form_token: 'optional',
  },
  'pine-ridge': {
    name: 'Pine Ridge',
    integration_id: 'int_pine',
    property_id: 'prop_pine',
    employee_id: 'emp_pine',
    lead_source_id: 'src_pine',
    allowed_origins: ['https://pineridge.example'],
    returning: 'new_lead',
    form_token: 'optional',
  },
};

export function testEnv(extra: Env = {}): Env {
  return {
    PROPEXO_API_TOKEN: TOKEN,
    PROPEXO_BASE_URL: 'https://propexo.test',
    SITES_JSON: JSON.stringify(SITES),
    PORT: '8787',
    UPSTREAM_TIMEOUT_MS: '200',
    ...extra,
  };
}

export const VALID_LEAD = {
  first_name: ' Jane ',
  last_name: 'Doe',
  email_1: 'jane.doe@gmail.com',
  phone_1: '(512) 555-0142',
  // Relative to today: a move-in date in the past, or over two years ahead, is refused.
  target_move_in_date: moveInDate(),
  desired_max_rent_in_cents: 150000,
  desired_num_bedrooms: 2,
  notes: 'We have a cat.',
};

/** A valid submission that uses every prospect field of the contract. */
export const EVERY_FIELD = {
  ...VALID_LEAD,
  phone_1_type: 'MOBILE',
  phone_2: '737-555-0187',
  phone_2_type: 'WORK',
  address_1: '12 Elm St',
  address_2: 'Apt 4',
  city: 'Austin',
  state: 'TX',
  zip: '78748',
  desired_num_bathrooms: 1.5,
  desired_lease_term_in_months: 12,
  floor_plan_id: 'fp_oakgrove_b1',
  unit_id: 'unit_204',
};

export interface UpstreamCall {
  url: string;
  method: string;
  headers: Headers;
  body: unknown;
}

export type UpstreamHandler = (call: UpstreamCall, init: RequestInit) => Response | Promise<Response>;

export const okResponse = (jobId = 'job_abc123', remaining = 149) =>
  Response.json(
    { meta: { job_id: jobId }, result: {} },
    { headers: { 'x-ratelimit-remaining': String(remaining), 'x-ratelimit-limit': '150' } },
  );

/**
 * A small Propexo by route: creates answer job ids `job_1`, `job_2`…, write-status says SUCCESS
 * with `rec_<job>`, retry-write succeeds, lead search finds nothing. Any route can be overridden.
 */
export function propexoLike(
  routes: Partial<Record<'create' | 'status' | 'retry' | 'search' | 'lead' | 'logs', UpstreamHandler>> = {},
): UpstreamHandler {
  let jobs = 0;
  const created: Record<string, unknown>[] = [];
  // GET /v1/leads/{id}: `rec_job_<n>` is the n-th create's prospect; any other id the last create's.
  const leadById: UpstreamHandler = (call) => {
    const id = decodeURIComponent(new URL(call.url).pathname.split('/').pop()!);
    const n = /^rec_job_(\d+)$/.exec(id);
    const body = (n ? created[Number(n[1]) - 1] : created.at(-1)) ?? {};
    return Response.json({ meta: {}, results: { ...body, id, created_at: new Date(0).toISOString() } });
  };
  return (call, init) => {
    const path = new URL(call.url).pathname;
    if (call.method === 'POST' && path === '/v1/leads/resman/') created.push(call.body as Record<string, unknown>);
    if (call.method === 'GET' && /^\/v1\/leads\/[^/]+$/.test(path)) return (routes.lead ?? leadById)(call, init);
    if (call.method === 'POST' && path === '/v1/leads/resman/') return (routes.create ?? (() => okResponse(`job_${++jobs}`)))(call, init);
    if (path.startsWith('/v1/admin/write-status/')) {
      const job = decodeURIComponent(path.split('/').pop()!);
      return (routes.status ?? (() => Response.json({ write_status: 'SUCCESS', errors: [], created_record_id: `rec_${job}` })))(call, init);
    }
    if (path.startsWith('/v1/admin/retry-write/')) return (routes.retry ?? (() => Response.json({ success: true })))(call, init);
    if (path === '/v1/admin/logs/writes/' && routes.logs) return routes.logs(call, init);
    if (path === '/v1/leads/') return (routes.search ?? (() => Response.json({ meta: {}, results: [] })))(call, init);
    return new Response('not found', { status: 404 });
  };
}

/** A stand-in for Propexo's fetch that records every call. */
export function fakeUpstream(handler: UpstreamHandler = propexoLike()) {
  const calls: UpstreamCall[] = [];
  let current = handler;
  const fetch = (async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const call: UpstreamCall = {
      url: String(input),
      method: init.method ?? 'GET',
      headers: new Headers(init.headers),
      body: typeof init.body === 'string' ? JSON.parse(init.body) : undefined,
    };
    calls.push(call);
    return current(call, init);
  }) as typeof globalThis.fetch;
  return { fetch, calls, respond: (h: UpstreamHandler) => (current = h) };
}

/** A clock the test moves; it starts at noon UTC today, the day VALID_LEAD's move-in date is relative to. */
export function manualClock(start = todayNoonUtc()) {
  return {
    t: start,
    now() {
      return this.t;
    },
    advance(ms: number) {
      this.t += ms;
    },
  };
}

/** The outbox's patience in tests: the same steps as production, in milliseconds instead of minutes. */
export const TEST_POLICY: Partial<DeliveryPolicy> = {
  backoffBaseMs: 10,
  backoffMaxMs: 200,
  confirmFirstDelayMs: 5,
  confirmMaxDelayMs: 100,
  inDoubtGraceMs: 300,
  clockSkewMs: 60_000,
  authPauseMs: 1_000,
  upstreamPerMinute: 100_000,
  upstreamLowPauseMs: 10,
  upstreamRateLimitedPauseMs: 100,
  idleMs: 50,
};

/**
 * The production delivery steps in milliseconds instead of minutes, for relays that run on real
 * time (over loopback, in child processes, in workerd): retries, searches and confirmations show
 * within a second. Tests adjust single entries (a longer grace where a fault holds an answer).
 */
export const REALTIME_POLICY: Partial<DeliveryPolicy> = {
  backoffBaseMs: 10,
  backoffMaxMs: 100,
  confirmFirstDelayMs: 15,
  confirmMaxDelayMs: 60,
  inDoubtGraceMs: 500,
  authPauseMs: 300,
  idleMs: 50,
  upstreamLowPauseMs: 10,
  upstreamRateLimitedPauseMs: 40,
};

export interface BuildOptions {
  env?: Env;
  handler?: UpstreamHandler;
  ip?: string | (() => string | undefined);
  assets?: WidgetAssets;
  logLevel?: LogLevel;
  policy?: Partial<DeliveryPolicy>;
  /** An outbox to reuse: another relay (another configuration, say) on the same leads. */
  store?: MemoryLeadStore;
  readiness?: RelayDeps['readiness'];
  /** The form's and the tours' reads (floor plans, units, appointments) go through `handler` too. */
  listsUpstream?: boolean;
}

export function buildRelay(options: BuildOptions = {}) {
  const config: RelayConfig = parseConfig(testEnv(options.env));
  const upstream = fakeUpstream(options.handler);
  const clock = manualClock();
  const lines: string[] = [];
  const logger = createLogger({ level: options.logLevel ?? 'debug', secrets: [TOKEN], sink: checkedSink(lines), clock });
  const store: MemoryLeadStore = options.store ?? createMemoryLeadStore();
  const limiter: MemoryLimiter = createMemoryLimiter({ clock });
  let n = 0;
  const ip = options.ip ?? '203.0.113.7';
  const client = createPropexoClient({
    baseUrl: config.propexo.baseUrl,
    token: TOKEN,
    fetch: upstream.fetch,
    timeoutMs: config.upstreamTimeoutMs,
  });
  // Not started: tests drive it with deliver(), on the manual clock, so every step is deterministic.
  const deliverer = createDeliverer({
    store,
    client,
    limiter,
    sites: config.sites,
    clock,
    logger,
    policy: { ...TEST_POLICY, ...options.policy },
    sleep: async (ms) => clock.advance(ms),
    random: () => 0.5,
  });
  const app = createRelay({
    config,
    clock,
    limiter,
    store,
    logger,
    getClientIp: () => (typeof ip === 'function' ? ip() : ip),
    ...(options.assets ? { assets: options.assets } : {}),
    ...(options.readiness ? { readiness: options.readiness } : {}),
    outbox: deliverer,
    ...(options.listsUpstream ? { formClient: client } : {}),
    newId: () => `ld_test${++n}`,
  });
  const logs = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>);

  /**
   * Runs the deliverer until nothing is due within `horizonMs`, moving the clock to each next due
   * time: everything the outbox would do over that stretch, without waiting for it.
   */
  async function deliver(horizonMs = 60_000): Promise<void> {
    const end = clock.now() + horizonMs;
    for (let round = 0; round < 10_000; round++) {
      if ((await deliverer.runOnce()) > 0) continue;
      const next = Math.max((await store.nextDueAt()) ?? Number.POSITIVE_INFINITY, deliverer.pausedUntil);
      if (next > end) return;
      clock.t = Math.max(clock.t, next);
    }
    throw new Error('deliver(): still busy after 10000 rounds');
  }
  return { app, config, upstream, clock, lines, logs, store, limiter, deliverer, deliver };
}

export interface PostOptions {
  site?: string;
  origin?: string | null;
  contentType?: string | null;
  key?: string;
  headers?: Record<string, string>;
}

/** A POST to the leads route with browser-like headers; `body` objects are JSON-encoded. */
export function postLead(app: ReturnType<typeof buildRelay>['app'], body: unknown, options: PostOptions = {}) {
  const headers: Record<string, string> = { ...options.headers };
  const origin = options.origin === undefined ? ORIGIN : options.origin;
  if (origin !== null) headers.origin = origin;
  const type = options.contentType === undefined ? 'application/json' : options.contentType;
  if (type !== null) headers['content-type'] = type;
  if (options.key !== undefined) headers['idempotency-key'] = options.key;
  const payload = typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body);
  return app.request(`/v1/sites/${options.site ?? 'oak-grove'}/leads`, { method: 'POST', headers, body: payload as BodyInit });
}

export async function errorOf(
  res: Response,
): Promise<{ code: string; message: string; fields: { field: string; code: string; message: string }[] }> {
  const body = (await res.json()) as {
    error: { code: string; message: string; fields: { field: string; code: string; message: string }[] };
  };
  return body.error;
}

export const accessControlHeaders = (res: Response) => [...res.headers.keys()].filter((k) => k.startsWith('access-control-'));
