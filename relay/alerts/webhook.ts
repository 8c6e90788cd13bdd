/**
 * The chat webhook channel: the payload POSTed as JSON to ALERT_WEBHOOK_URL (Slack, Teams and
 * Discord incoming webhooks all take it, see message.ts). Runs on Node and in workerd alike.
 */
import { type AlertChannel, AlertSendError } from './channel.js';

/** A 2xx answer whose body says the message was throttled: Teams' connectors answer 429 so (docs/operator.md#alerts). */
const THROTTLED_BODY = /returned HTTP error 429/;

export function webhookChannel(url: string, fetchFn: typeof fetch = (input, init) => fetch(input, init)): AlertChannel {
  return {
    name: 'webhook',
    async send(payload, signal) {
      const res = await fetchFn(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(payload),
        signal,
        // A redirect would take the token-bearing request somewhere unasked.
        redirect: 'manual',
      });
      // Read to the end either way: the connection is freed, and Teams' throttling shows only in the body.
      const body = await res.text().catch(() => '');
      if (res.ok && !THROTTLED_BODY.test(body)) return;
      const status = res.ok ? 429 : res.status;
      throw new AlertSendError(`HTTP ${status}`, status === 408 || status === 429 || status >= 500);
    },
  };
}
