/**
 * Alerts on Node: the chat webhook and e-mail channels, the alerting logger every part of the relay
 * logs through, and the outbox watch, which runs on a timer in the process that delivers (one per
 * outbox: the lease holder), so several instances on one outbox do not each alert on its backlog.
 */
import { type Alerts, createAlerts } from '../../alerts/alerts.js';
import type { AlertChannel } from '../../alerts/channel.js';
import { alertingLogger } from '../../alerts/tap.js';
import { createOutboxWatch } from '../../alerts/watch.js';
import { webhookChannel } from '../../alerts/webhook.js';
import { type RelayConfig, secretsOf } from '../../config/env.js';
import type { Logger } from '../../lib/log.js';
import type { LeadStore } from '../../outbox/store/types.js';
import { emailChannel } from './alert-email.js';

export interface NodeAlerting {
  /** The logger to give every part: its alert lines become alerts. */
  logger: Logger;
  alerts: Alerts;
  /** Starts the outbox watch (this process now delivers); idempotent. */
  startWatch(store: Pick<LeadStore, 'backlog' | 'heldSince'>): void;
  stopWatch(): void;
  /** Stops the watch, lets sends in flight end (briefly), closes the SMTP transport. */
  close(): Promise<void>;
}

export function nodeAlerting(config: RelayConfig, plain: Logger, clock: { now(): number }): NodeAlerting {
  const { policy } = config.alerts;
  const channels: AlertChannel[] = [];
  if (config.alerts.webhookUrl) channels.push(webhookChannel(config.alerts.webhookUrl));
  const mail = config.alerts.email ? emailChannel(config.alerts.email, policy.timeoutMs) : undefined;
  if (mail) channels.push(mail);
  const alerts = createAlerts({
    channels,
    policy,
    clock,
    logger: plain,
    secrets: secretsOf(config),
    ...(config.alerts.publicUrl ? { publicUrl: config.alerts.publicUrl } : {}),
  });
  const logger = alertingLogger(plain, alerts);
  let timer: ReturnType<typeof setInterval> | undefined;
  let looking: Promise<void> = Promise.resolve();
  const stopWatch = () => {
    clearInterval(timer);
    timer = undefined;
  };
  return {
    logger,
    alerts,
    startWatch(store) {
      if (timer) return;
      const watch = createOutboxWatch({ store, clock, logger, policy });
      const look = () => {
        // One look at a time: a slow store is not asked again before it answered.
        looking = looking.then(() => watch.check()).then(() => alerts.tick());
      };
      look();
      timer = setInterval(look, policy.checkEveryMs);
      timer.unref();
    },
    stopWatch,
    async close() {
      stopWatch();
      await looking;
      await alerts.close();
      mail?.close();
    },
  };
}
