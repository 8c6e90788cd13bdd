/**
 * Alerts by e-mail, read on Node only (the Node entry hands this to parseConfig; the Worker, which
 * cannot send e-mail, leaves it out of its bundle and refuses the keys): SMTP_URL, ALERT_EMAIL_TO
 * and ALERT_EMAIL_FROM, all three or none, each problem one line naming the key, never the value.
 */
import type { AlertEmailConfig } from '../alerts/policy.js';
import { type Raw, parseUrl } from './alert-env.js';

// An address as far as a relay must check one: something@something, nothing that could end a header.
const ADDRESS = /^[^\s@<>,;:"()[\]\\]+@[^\s@<>,;:"()[\]\\]+$/;
// `Relay <relay@example.com>` or the bare address; no quotes, brackets or line breaks in the name.
const FROM = /^(?:([^<>"\r\n]*[^<>"\r\n\s])\s*<([^<>\s]+)>|([^<>\s]+))$/;

export function parseAlertEmail(raw: Raw, issues: string[]): AlertEmailConfig | undefined {
  const smtpUrl = raw('SMTP_URL');
  const to = raw('ALERT_EMAIL_TO');
  const from = raw('ALERT_EMAIL_FROM');
  if (smtpUrl === undefined && to === undefined && from === undefined) return undefined;
  const before = issues.length;
  const given = smtpUrl !== undefined ? 'SMTP_URL' : to !== undefined ? 'ALERT_EMAIL_TO' : 'ALERT_EMAIL_FROM';
  for (const [key, value] of [
    ['SMTP_URL', smtpUrl],
    ['ALERT_EMAIL_TO', to],
    ['ALERT_EMAIL_FROM', from],
  ] as const)
    if (value === undefined)
      issues.push(`${key}: required with ${given} (alerts by e-mail need SMTP_URL, ALERT_EMAIL_TO and ALERT_EMAIL_FROM)`);
  const url = smtpUrl === undefined ? undefined : parseUrl(smtpUrl);
  if (smtpUrl !== undefined && (!url || !/^smtps?:$/.test(url.protocol) || !url.hostname || url.hash))
    issues.push('SMTP_URL: must be an smtp:// or smtps:// URL like smtps://user:password@smtp.example.com:465');
  const recipients = to === undefined ? [] : to.split(',').map((s) => s.trim());
  if (to !== undefined && (recipients.length === 0 || !recipients.every((r) => ADDRESS.test(r))))
    issues.push('ALERT_EMAIL_TO: must be one or more e-mail addresses, separated by commas');
  if (from !== undefined && !(FROM.test(from) && ADDRESS.test(FROM.exec(from)![2] ?? FROM.exec(from)![3]!)))
    issues.push('ALERT_EMAIL_FROM: must be an e-mail address, or a name and one like Relay <relay@example.com>');
  return issues.length === before ? { smtpUrl: smtpUrl!, to: recipients, from: from! } : undefined;
}
