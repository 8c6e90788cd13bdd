/**
 * Where alerts go: a channel sends one payload once; sendWithRetries() sends it again after a
 * failure worth retrying, with doubling waits, a time limit per attempt and a bounded number of
 * attempts, so a channel that hangs or keeps failing costs a few background timers, never a lead.
 */
import type { Logger } from '../lib/log.js';
import type { AlertPayload } from './message.js';
import type { AlertPolicy } from './policy.js';

export interface AlertChannel {
  /** For the log: `webhook`, `email`. Never the address: a webhook URL carries its token. */
  readonly name: string;
  /** Resolves once the receiver took it; rejects (an AlertSendError saying whether to retry) otherwise, or when `signal` aborts. */
  send(payload: AlertPayload, signal: AbortSignal): Promise<void>;
}

/** A refusal: `retry` false when sending the same again cannot help (a 400, a 404: a wrong or deleted webhook). */
export class AlertSendError extends Error {
  constructor(
    message: string,
    readonly retry: boolean,
  ) {
    super(message);
    this.name = 'AlertSendError';
  }
}

/** A timer that never keeps a Node process alive on its own (workerd's timers have no unref). */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms) as { unref?: () => void } & ReturnType<typeof setTimeout>;
    timer.unref?.();
    function done() {
      signal.removeEventListener('abort', done);
      clearTimeout(timer);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * Sends `payload` until `channel` takes it or `policy.attempts` are spent; never rejects. `stop`
 * aborts the attempt in flight and any wait (the relay is closing). Logs `alert.sent`, or
 * `alert.send_failed` once when it gives up. True when the channel took it.
 */
export async function sendWithRetries(
  channel: AlertChannel,
  payload: AlertPayload,
  policy: Pick<AlertPolicy, 'attempts' | 'retryBaseMs' | 'timeoutMs'>,
  logger: Logger,
  stop: AbortSignal,
): Promise<boolean> {
  const about = { channel: channel.name, condition: payload.condition, key: payload.key, kind: payload.kind };
  let last = 'not sent';
  for (let attempt = 1; attempt <= policy.attempts && !stop.aborted; attempt++) {
    if (attempt > 1) await pause(policy.retryBaseMs * 2 ** (attempt - 2), stop);
    if (stop.aborted) break;
    const signal = AbortSignal.any([stop, AbortSignal.timeout(policy.timeoutMs)]);
    try {
      await channel.send(payload, signal);
      logger.info('alert.sent', { ...about, attempts: attempt });
      return true;
    } catch (err) {
      last = signal.aborted && !stop.aborted ? `no answer within ${policy.timeoutMs} ms` : err instanceof Error ? err.message : String(err);
      if (err instanceof AlertSendError && !err.retry) {
        logger.warn('alert.send_failed', { ...about, attempts: attempt, error: last, retrying: false });
        return false;
      }
      logger.debug('alert.send_retry', { ...about, attempt, error: last });
    }
  }
  logger.warn('alert.send_failed', { ...about, attempts: policy.attempts, error: stop.aborted ? 'relay stopping' : last, retrying: false });
  return false;
}
