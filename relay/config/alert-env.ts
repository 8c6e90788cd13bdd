/**
 * The alerts' part of the configuration (relay/alerts/): where they go and how they are paced. Like
 * the rest of env.ts, every problem is one line naming the key, never repeating its value: the
 * webhook URL and SMTP_URL carry credentials.
 */
import { type AlertConfig, type AlertEmailConfig, DEFAULT_ALERT_POLICY } from '../alerts/policy.js';
import { parsePolicyJson } from './policy-json.js';

export type Raw = (key: string) => string | undefined;

export function parseUrl(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}

/** Whole minutes from 1 to `max`, or the default. */
function minutes(raw: Raw, key: string, fallback: number, max: number, issues: string[]): number {
  const text = raw(key);
  if (text === undefined) return fallback;
  const n = /^\d{1,6}$/.test(text) ? Number(text) : 0;
  if (n >= 1 && n <= max) return n * 60_000;
  issues.push(`${key}: must be a whole number of minutes from 1 to ${max}`);
  return fallback;
}

function webhookUrl(raw: Raw, issues: string[]): string | undefined {
  const text = raw('ALERT_WEBHOOK_URL');
  if (text === undefined) return undefined;
  const url = parseUrl(text);
  // A query stays (Teams workflows sign theirs, Discord takes thread_id); credentials and fragments do not.
  if (url && /^https?:$/.test(url.protocol) && !url.username && !url.password && !url.hash) return url.href;
  issues.push('ALERT_WEBHOOK_URL: must be an http(s) URL like https://hooks.slack.com/services/…, without credentials or fragment');
  return undefined;
}

function publicUrl(raw: Raw, issues: string[]): string | undefined {
  const text = raw('PUBLIC_URL');
  if (text === undefined) return undefined;
  const url = parseUrl(text);
  if (url && /^https?:$/.test(url.protocol) && !url.username && !url.password && !url.search && !url.hash)
    return url.origin + url.pathname.replace(/\/+$/, '');
  issues.push('PUBLIC_URL: must be an http(s) URL like https://leads.example-relay.com, without credentials, query or fragment');
  return undefined;
}

export type AlertEmailParser = (raw: Raw, issues: string[]) => AlertEmailConfig | undefined;

/**
 * Reads ALERT_* and PUBLIC_URL, pushing one line per problem onto `issues`. E-mail (SMTP_URL,
 * ALERT_EMAIL_TO, ALERT_EMAIL_FROM) is read by `email`, which the Node entry passes
 * (alert-email-env.ts); without it (a Worker) they are refused, not ignored.
 */
export function parseAlertConfig(raw: Raw, issues: string[], email?: AlertEmailParser): AlertConfig {
  const defaults = DEFAULT_ALERT_POLICY;
  const named = {
    windowMs: minutes(raw, 'ALERT_WINDOW_MINUTES', defaults.windowMs, 1440, issues),
    backlogMs: minutes(raw, 'ALERT_BACKLOG_MINUTES', defaults.backlogMs, 1440, issues),
    heldBurst: defaults.heldBurst,
  };
  const burst = raw('ALERT_HELD_BURST');
  if (burst !== undefined) {
    const n = /^\d{1,6}$/.test(burst) ? Number(burst) : 0;
    if (n >= 1 && n <= 100_000) named.heldBurst = n;
    else issues.push('ALERT_HELD_BURST: must be a whole number from 1 to 100000');
  }
  // ALERT_POLICY: every setting in milliseconds (or counts), for tests; it wins over the named keys.
  const policy = { ...defaults, ...named, ...parsePolicyJson('ALERT_POLICY', raw('ALERT_POLICY'), defaults, issues) };
  if (policy.attempts < 1 || policy.heldBurst < 1 || policy.checkEveryMs < 1)
    issues.push('ALERT_POLICY: attempts, heldBurst and checkEveryMs must be at least 1');
  const hook = webhookUrl(raw, issues);
  const mail = email ? email(raw, issues) : undefined;
  if (!email && ['SMTP_URL', 'ALERT_EMAIL_TO', 'ALERT_EMAIL_FROM'].some((key) => raw(key) !== undefined))
    issues.push('SMTP_URL: e-mail alerts need the Node relay; on Workers, send alerts to ALERT_WEBHOOK_URL');
  const base = publicUrl(raw, issues);
  return { ...(hook ? { webhookUrl: hook } : {}), ...(mail ? { email: mail } : {}), ...(base ? { publicUrl: base } : {}), policy };
}

/** The alerts' secrets, for the logger and the alert bodies to scrub: the webhook URL (its path is its token) and the SMTP password. */
export function alertSecretsOf(alerts: AlertConfig): string[] {
  const secrets: string[] = [];
  if (alerts.webhookUrl) {
    const url = new URL(alerts.webhookUrl);
    // The path and query alone too (a token-sized one): some message might carry them without the host.
    const path = url.pathname + url.search;
    secrets.push(alerts.webhookUrl, ...(path.length >= 16 ? [path] : []));
  }
  if (alerts.email) {
    const password = new URL(alerts.email.smtpUrl).password;
    if (password) secrets.push(decodeURIComponent(password), password);
  }
  return secrets;
}
