/**
 * Alerts that reach a person: `raise(condition, key, fields)` and `clear(condition, key, fields)`,
 * paced so a person is told once per condition and key per window, and sent behind the caller.
 *
 * - The first raise of a condition and key (`lead.dead_letter` of `oak-grove`) goes at once; further
 *   raises within the window are counted, and one summary tells of them when the window ends (the
 *   next window starts then, so a stream of them is one message a window).
 * - A condition that clears (a refused token accepted again, a backlog gone) is followed by a notice,
 *   once the operator was told of it.
 * - Sending never blocks the caller: raise() and clear() return at once; each channel is sent to in
 *   the background, retried with backoff within the policy's bounds (channel.ts). `settled()` is for
 *   Workers' waitUntil, tests and shutdown.
 *
 * Fields are masked as the logger masks them and every secret is scrubbed from the body, whatever a
 * caller passes. Windows live in this process (one per Node process, per Workers isolate).
 */
import { type LogFields, type Logger, maskFields } from '../lib/log.js';
import { type AlertChannel, sendWithRetries } from './channel.js';
import { type AlertKind, type AlertPayload, alertPayload, clears } from './message.js';
import type { AlertPolicy } from './policy.js';

export interface Alerts {
  raise(condition: string, key: string, fields?: LogFields): void;
  clear(condition: string, key: string, fields?: LogFields, event?: string): void;
  /** Sends the summaries whose window has ended (the outbox watch calls it at each look). */
  tick(): void;
  /** When a summary is due next, or null: a Durable Object sets its alarm by it. */
  nextTickAt(): number | null;
  /** Resolves once every send started so far has ended (taken, or given up). */
  settled(): Promise<void>;
  /** Messages a channel took since start, by kind: /metrics' resman_alerts_sent_total. */
  sent(): Record<AlertKind, number>;
  /** Stops retrying: sends in flight are aborted after `graceMs`. */
  close(graceMs?: number): Promise<void>;
}

export interface AlertsOptions {
  channels: readonly AlertChannel[];
  policy: AlertPolicy;
  clock: { now(): number };
  /** The plain logger (not the alerting one): alert.sent, alert.send_failed. */
  logger: Logger;
  publicUrl?: string;
  /** Scrubbed from every body, as from every log line. */
  secrets?: readonly string[];
}

/** One condition and key in its window. */
interface Window {
  condition: string;
  key: string;
  startedAt: number;
  /** Raises not told yet: the next summary's count. */
  pending: number;
  latest: LogFields;
  /** Raised and not cleared since. */
  open: boolean;
  /** The operator was sent an alert or a summary about it since its last notice. */
  told: boolean;
}

/** Sends in flight at most; past it a message is dropped (and logged), so a dead channel cannot pile up memory. */
const MAX_IN_FLIGHT = 200;
/** Conditions and keys remembered at most (one per site and condition is the usual). */
const MAX_WINDOWS = 5_000;

export function createAlerts(options: AlertsOptions): Alerts {
  const { channels, policy, clock, logger } = options;
  const windows = new Map<string, Window>();
  // Each send has its own controller, made where it starts: workerd refuses I/O objects (an
  // AbortSignal among them) made in another request's or object's context, and one isolate runs both.
  const inFlight = new Map<Promise<void>, AbortController>();
  let closed = false;
  const sentByKind: Record<AlertKind, number> = { alert: 0, summary: 0, cleared: 0 };
  const secrets = (options.secrets ?? []).filter((s) => s.length >= 4);

  const scrub = (payload: AlertPayload): AlertPayload => {
    let text = JSON.stringify(payload);
    for (const s of secrets) {
      for (const spelling of [s, JSON.stringify(s).slice(1, -1)])
        if (text.includes(spelling)) text = text.split(spelling).join('[redacted]');
    }
    return JSON.parse(text) as AlertPayload;
  };

  function send(kind: AlertKind, w: Window, count: number, event = w.condition, clearedSince = false): void {
    if (channels.length === 0) return;
    const payload = scrub(
      alertPayload({
        kind,
        condition: w.condition,
        key: w.key,
        event,
        fields: w.latest,
        count,
        clearedSince,
        now: clock.now(),
        windowMs: policy.windowMs,
        ...(options.publicUrl ? { publicUrl: options.publicUrl } : {}),
      }),
    );
    for (const channel of channels) {
      if (inFlight.size >= MAX_IN_FLIGHT || closed) {
        logger.warn('alert.dropped', { channel: channel.name, condition: w.condition, key: w.key, kind, in_flight: inFlight.size });
        continue;
      }
      const stop = new AbortController();
      const sending = sendWithRetries(channel, payload, policy, logger, stop.signal)
        .then((taken) => {
          if (taken) sentByKind[kind] += 1;
        })
        .finally(() => inFlight.delete(sending));
      inFlight.set(sending, stop);
    }
  }

  /** Summaries of ended windows; forgets windows with nothing left to tell. */
  function flushDue(): void {
    const now = clock.now();
    for (const [id, w] of windows) {
      if (now < w.startedAt + policy.windowMs) continue;
      if (w.pending > 0) {
        send('summary', w, w.pending, w.condition, !w.open && clears(w.condition));
        w.startedAt = now;
        w.pending = 0;
        w.told = w.open;
      } else if (!w.open || !clears(w.condition)) {
        windows.delete(id);
      }
    }
  }

  const idOf = (condition: string, key: string) => `${condition}\u0000${key}`;

  return {
    sent: () => ({ ...sentByKind }),
    raise(condition, key, fields = {}) {
      flushDue();
      const latest = maskFields(fields);
      const id = idOf(condition, key);
      const w = windows.get(id);
      if (w && clock.now() < w.startedAt + policy.windowMs) {
        w.pending += 1;
        w.latest = latest;
        w.open = true;
        logger.debug('alert.counted', { condition, key, pending: w.pending });
        return;
      }
      if (windows.size >= MAX_WINDOWS) windows.delete(windows.keys().next().value!);
      const fresh: Window = { condition, key, startedAt: clock.now(), pending: 0, latest, open: true, told: true };
      windows.set(id, fresh);
      send('alert', fresh, 1);
    },

    clear(condition, key, fields = {}, event = condition) {
      flushDue();
      const w = windows.get(idOf(condition, key));
      if (!w?.open) return;
      w.open = false;
      // Told: the notice now (raises counted since are part of the story it ends). Not told (raised
      // again within the window and cleared before its summary): the summary will say so.
      if (!w.told) return;
      w.latest = { ...w.latest, ...maskFields(fields) };
      send('cleared', w, 1 + w.pending, event);
      w.pending = 0;
      w.told = false;
    },

    tick: flushDue,

    nextTickAt() {
      let next: number | null = null;
      for (const w of windows.values()) {
        const at = w.startedAt + policy.windowMs;
        if (w.pending > 0 && (next === null || at < next)) next = at;
      }
      return next;
    },

    async settled() {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight.keys()]);
    },

    async close(graceMs = 2_000) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const grace = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, graceMs);
      });
      closed = true;
      await Promise.race([this.settled(), grace]);
      clearTimeout(timer);
      for (const stop of inFlight.values()) stop.abort();
      await this.settled();
    },
  };
}
