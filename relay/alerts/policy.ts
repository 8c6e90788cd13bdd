/**
 * How alerts are paced and sent. Every duration is in milliseconds of the injected clock; the
 * operator sets the named variables (ALERT_WINDOW_MINUTES, …), tests the whole object (ALERT_POLICY).
 */
export interface AlertPolicy {
  /** One message per condition and key per window: the first at once, the rest counted into a summary at its end. */
  windowMs: number;
  /** The oldest queued lead waiting longer than this is the backlog alert (ALERT_BACKLOG_MINUTES). */
  backlogMs: number;
  /** This many leads of one site held within heldWindowMs is the held-burst alert (ALERT_HELD_BURST). */
  heldBurst: number;
  heldWindowMs: number;
  /** How often the outbox watch looks at the store (backlog, held leads) and due summaries go out. */
  checkEveryMs: number;
  /** Sends of one message to one channel at most, the first included. */
  attempts: number;
  /** The wait before the second send, doubling before each next one. */
  retryBaseMs: number;
  /** One send's time limit: a channel that hangs is given up on, never waited for by delivery. */
  timeoutMs: number;
}

export const DEFAULT_ALERT_POLICY: AlertPolicy = {
  windowMs: 15 * 60_000,
  backlogMs: 10 * 60_000,
  heldBurst: 20,
  heldWindowMs: 10 * 60_000,
  checkEveryMs: 60_000,
  attempts: 5,
  retryBaseMs: 1_000,
  timeoutMs: 5_000,
};

/** An SMTP server and who alerts go to (Node only). */
export interface AlertEmailConfig {
  /** `smtp://user:pass@host:port` or `smtps://…`: handed to the mail library as it is. */
  smtpUrl: string;
  to: string[];
  from: string;
}

export interface AlertConfig {
  /** Slack, Teams or Discord incoming webhook (or anything taking their JSON). A secret: it carries its token. */
  webhookUrl?: string;
  email?: AlertEmailConfig;
  /** The relay as operators reach it, without a trailing slash: alerts link to `${publicUrl}/admin/#/leads/<id>`. */
  publicUrl?: string;
  policy: AlertPolicy;
}
