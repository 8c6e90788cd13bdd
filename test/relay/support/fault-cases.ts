/**
 * The fault matrix's cases and timings (test/relay/fault-matrix.test.ts): every way Propexo, or the
 * network in front of it, can fail a create; the relay's timeouts and delivery policy; the prospects
 * a case sends; and the waves in which a case's faults are queued.
 */
import type { DeliveryPolicy } from '../../../relay/outbox/delivery/policy.js';
import { startSandbox, type FaultKind, type RunningSandbox } from '../../../sandbox/index.js';
import { checkedSink } from '../../support/hygiene.js';
import { REALTIME_POLICY, TOKEN } from '../fixtures.js';

/** The relay's per-request timeout where the fault is a hold: `slow` and `timeout_after_receive` hold the answer longer. */
export const UPSTREAM_TIMEOUT_MS = 150;
export const HOLD_MS = 300;
/**
 * Its timeout for the other faults, which answer at once: long enough that a busy machine (test,
 * relay and sandbox share one event loop on Node) never runs past it, so a 429 or a 502 is seen as
 * such and not as a timeout whose timer happened to fire first.
 */
export const ANSWER_TIMEOUT_MS = 5_000;
export const CREATE_PATH = '/v1/leads/resman';
/** How long a case waits for every lead to be confirmed (or failed) before it looks at what is left. */
export const CASE_DEADLINE_MS = 30_000;

/**
 * The production policy with milliseconds for minutes. inDoubtGraceMs is well above HOLD_MS plus the
 * sandbox's write delay, so a create Propexo did store is always found before the relay would send
 * it again; the 429 pause is short so twenty-five of them cost about a second. Rounds come every
 * 100 ms: without read-back a listing never shows a lead, which then waits out listingRounds of them.
 */
export const POLICY: Partial<DeliveryPolicy> = {
  ...REALTIME_POLICY,
  inDoubtGraceMs: 800,
  upstreamPerMinute: 1_000_000,
  listingEveryMs: 100,
};

export interface FaultCase {
  name: string;
  kind: FaultKind;
  ms?: number;
  /** The warning the relay logs for one such failed create: `propexo.<kind>` and its reason. */
  event: string;
  reason: RegExp;
  /** found: Propexo stored the lead, the relay must find it; resent: it did not, the relay sends again. */
  outcome: 'found' | 'resent' | 'retried';
  /** The fault holds the answer past the relay's timeout (UPSTREAM_TIMEOUT_MS instead of ANSWER_TIMEOUT_MS). */
  holds?: true;
}

export const CASES: FaultCase[] = [
  { name: '500 (empty body)', kind: '500', event: 'propexo.unavailable', reason: /^http_500$/, outcome: 'resent' },
  { name: '502 (proxy page)', kind: '502', event: 'propexo.unavailable', reason: /^http_502$/, outcome: 'resent' },
  { name: '503 (proxy page)', kind: '503', event: 'propexo.unavailable', reason: /^http_503$/, outcome: 'resent' },
  {
    name: 'timeout before Propexo received the body',
    kind: 'slow',
    ms: HOLD_MS,
    event: 'propexo.unavailable',
    reason: /^timeout$/,
    outcome: 'resent',
    holds: true,
  },
  {
    name: 'timeout after Propexo received the body',
    kind: 'timeout_after_receive',
    ms: HOLD_MS,
    event: 'propexo.unavailable',
    reason: /^timeout$/,
    outcome: 'found',
    holds: true,
  },
  { name: 'reset before processing', kind: 'reset', event: 'propexo.unavailable', reason: /^network_error/, outcome: 'resent' },
  { name: 'reset after processing', kind: 'reset_after_receive', event: 'propexo.unavailable', reason: /^network_error/, outcome: 'found' },
  { name: '429', kind: '429', event: 'propexo.rate_limited', reason: /^http_429$/, outcome: 'retried' },
  { name: '200 with a garbled body', kind: 'garbled', event: 'propexo.unavailable', reason: /^unreadable_body$/, outcome: 'found' },
];

/**
 * Propexo's immediate read-back (a created lead is in `GET /v1/leads` at once) and none (readable only
 * after the next sync, hours away: never during the run). Write-status and the write logs are
 * immediate in both.
 */
export const READ_BACK = { immediate: 0, delayed: 3 * 3_600_000 } as const;
export type ReadBack = keyof typeof READ_BACK;
export const READ_BACK_MODES = Object.keys(READ_BACK) as ReadBack[];

/**
 * The matrices' and the crash runs' Propexo: a sandbox with immediate read-back and one without, on loopback, fast
 * writes and no rate limit; `received` runs at each of their log lines (a write received: the
 * matrices queue their fault waves from there).
 */
export async function startReadBackSandboxes(received: () => void = () => {}): Promise<Record<ReadBack, RunningSandbox>> {
  const sandboxes = {} as Record<ReadBack, RunningSandbox>;
  for (const mode of READ_BACK_MODES) {
    const sink = checkedSink();
    sandboxes[mode] = await startSandbox({
      token: TOKEN,
      writeDelayMs: 10,
      readBackDelayMs: READ_BACK[mode],
      slowDownMs: 0,
      rateLimitPerMinute: 1_000_000,
      log: (line) => {
        sink(line, 'info');
        received();
      },
    });
  }
  return sandboxes;
}

export interface Waves {
  /** Each wave is queued once the sandbox has received this many leads. */
  at: number[];
  /** Faults per wave. */
  size: number;
  total: number;
}

/**
 * Five waves, at 0 %, 15 %, 30 %, 45 % and 60 % of the leads received: the last comes with 40 % of the
 * creates still to go, so every fault queued is used up. A wave is 1 / 40 of the leads (at least two),
 * so a case's faults hit about one create in eight: 5 x 5 for 200 leads, 5 x 2 for 60.
 */
export function wavesFor(leads: number): Waves {
  const at = [0, 0.15, 0.3, 0.45, 0.6].map((share) => Math.round(share * leads));
  const size = Math.max(2, Math.round(leads / 40));
  return { at, size, total: at.length * size };
}

/**
 * The i-th prospect of a case: a distinct email (and for some a distinct phone), so the content
 * dedupe never merges two. Every tenth has a phone and no email, so the relay's search by phone is
 * exercised too; `contactOf` is the key the sandbox is checked by.
 */
export function lead(tag: string, i: number): Record<string, unknown> {
  const phone = `737555${String(1000 + i).padStart(4, '0')}`;
  const base = { first_name: 'Robin', last_name: `Tester${tag}`, notes: `fault matrix lead ${i}` };
  if (i % 10 === 9) return { ...base, phone_1: phone };
  if (i % 3 === 0) return { ...base, email_1: `prospect.${i}.${tag}@gmail.com`, phone_1: phone };
  return { ...base, email_1: `prospect.${i}.${tag}@gmail.com` };
}
export const contactOf = (body: { email_1?: unknown; phone_1?: unknown }) => String(body.email_1 ?? body.phone_1);

/** Runs `work` over `items` with at most `limit` at once. */
export async function pool<T, R>(items: T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await work(items[i]!, i);
      }
    }),
  );
  return out;
}

/**
 * A case's fault waves on `path`, queued as `received()` (what the sandbox has received of the
 * writes faulted) passes each wave's mark: call `check` from the sandbox's log callback, and once
 * before the burst (its first writes fail). `queued()`: how many waves went in.
 */
export function faultWaves(sandbox: RunningSandbox, fc: FaultCase, waves: Waves, path: string, received: () => number) {
  let queued = 0;
  return {
    check(): void {
      while (queued < waves.at.length && received() >= waves.at[queued]!) {
        sandbox.injectFault({ kind: fc.kind, times: waves.size, path, method: 'POST', ...(fc.ms === undefined ? {} : { ms: fc.ms }) });
        queued += 1;
      }
    },
    queued: () => queued,
  };
}
