/**
 * Alerts from the log: every `logger.alert(event, fields)` line raises the condition `event`, keyed
 * by `fields.site` (or `relay` when the line names no site), and each clearing event below, logged
 * at any level, clears its condition for the same key. So code that finds trouble needs nothing but
 * the logger it already has: `logger.alert('site.misconfigured', { site, problems })` alerts, and
 * `logger.info('site.fixed', { site })` sends the notice.
 */
import type { LogFields, Logger } from '../lib/log.js';
import type { Alerts } from './alerts.js';

/** Clearing event → the condition it clears (docs/operator.md#alerts lists them). */
export const CLEARED_BY: Readonly<Record<string, string>> = {
  'propexo.authorized_again': 'propexo.unauthorized',
  'site.fixed': 'site.misconfigured',
  'outbox.backlog_cleared': 'outbox.backlog',
  'leads.held_burst_over': 'leads.held_burst',
};

/** The key of a condition: the site a line names, else the whole relay. */
export const alertKeyOf = (fields: LogFields | undefined): string =>
  typeof fields?.site === 'string' && fields.site !== '' ? fields.site : 'relay';

/** `logger`, writing every line as before, and telling `alerts` of alert lines and clearing events. */
export function alertingLogger(logger: Logger, alerts: Alerts): Logger {
  // An alert that cannot be built must never fail the code that logged it.
  const safely = (event: string, work: () => void) => {
    try {
      work();
    } catch (error) {
      logger.error('alert.internal_error', { about: event, error });
    }
  };
  const clearing = (event: string, fields: LogFields | undefined) => {
    const condition = CLEARED_BY[event];
    if (condition) safely(event, () => alerts.clear(condition, alertKeyOf(fields), fields, event));
  };
  return {
    debug: (event, fields) => {
      logger.debug(event, fields);
      clearing(event, fields);
    },
    info: (event, fields) => {
      logger.info(event, fields);
      clearing(event, fields);
    },
    warn: (event, fields) => {
      logger.warn(event, fields);
      clearing(event, fields);
    },
    error: (event, fields) => {
      logger.error(event, fields);
      clearing(event, fields);
    },
    alert: (event, fields) => {
      logger.alert(event, fields);
      safely(event, () => alerts.raise(event, alertKeyOf(fields), fields));
    },
  };
}
