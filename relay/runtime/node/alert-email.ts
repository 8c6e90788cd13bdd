/**
 * The e-mail alert channel (Node only; nodemailer stays out of the Worker's bundle): each alert a
 * plain-text message to ALERT_EMAIL_TO through the SMTP server of SMTP_URL (`smtp://` upgrades with
 * STARTTLS when the server offers it, `smtps://` is TLS from the first byte).
 */
import nodemailer from 'nodemailer';
import { type AlertChannel, AlertSendError } from '../../alerts/channel.js';
import type { AlertPayload } from '../../alerts/message.js';
import type { AlertEmailConfig } from '../../alerts/policy.js';

/** The message's body: the alert's text, then its fields one a line. */
export function emailText(payload: AlertPayload): string {
  const lines: [string, unknown][] = [
    ['event', payload.event],
    ['severity', payload.severity],
    ['site', payload.site],
    ['reason', payload.reason],
    ['lead', payload.lead_id],
    ['contact', payload.contact],
    ['count', payload.count > 1 ? payload.count : null],
    ['time', payload.time],
    ['link', payload.link],
  ];
  const fields = lines.filter(([, v]) => v !== null && v !== undefined).map(([k, v]) => `${k}: ${String(v)}`);
  const details = Object.keys(payload.details).length > 0 ? [`details: ${JSON.stringify(payload.details)}`] : [];
  return [payload.text, '', ...fields, ...details, ''].join('\n');
}

export function emailChannel(config: AlertEmailConfig, timeoutMs: number): AlertChannel & { close(): void } {
  // One connection per message (no pool): alerts are rare, and nothing stays open between them.
  const transport = nodemailer.createTransport({
    url: config.smtpUrl,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
  });
  return {
    name: 'email',
    async send(payload, signal) {
      const sending = transport.sendMail({
        from: config.from,
        to: config.to,
        subject: `[resman relay] ${payload.title}`,
        text: emailText(payload),
      });
      const aborted = new Promise<never>((_, reject) => {
        const fail = () => reject(new AlertSendError('aborted', true));
        if (signal.aborted) fail();
        else signal.addEventListener('abort', fail, { once: true });
      });
      sending.catch(() => {}); // an abandoned attempt's failure is not an unhandled rejection
      try {
        await Promise.race([sending, aborted]);
      } catch (err) {
        if (err instanceof AlertSendError) throw err;
        const { responseCode, code } = err as { responseCode?: number; code?: string };
        // A 5xx reply (a refused recipient, a refused sender) or refused credentials: the same again would fail again.
        const permanent = code === 'EAUTH' || (typeof responseCode === 'number' && responseCode >= 500);
        throw new AlertSendError(`${code ?? 'error'}${responseCode ? ` ${responseCode}` : ''}`, !permanent);
      }
    },
    close: () => transport.close(),
  };
}
