/**
 * The alerts engine (relay/alerts/alerts.ts) with channels in memory and a manual clock: one message
 * per condition and key per window, a summary of the rest, a notice when a condition clears, sends
 * retried within bounds and never waited for by the caller, masks and secrets as in the log. The
 * same over real HTTP and SMTP, on both runtimes, is in test/runtimes/alerts.test.ts and
 * alerts-email.test.ts; the configuration in alert-config.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { createAlerts } from '../../relay/alerts/alerts.js';
import { type AlertChannel, AlertSendError } from '../../relay/alerts/channel.js';
import type { AlertPayload } from '../../relay/alerts/message.js';
import { type AlertPolicy, DEFAULT_ALERT_POLICY } from '../../relay/alerts/policy.js';
import { alertingLogger } from '../../relay/alerts/tap.js';
import { createOutboxWatch } from '../../relay/alerts/watch.js';
import { createLogger } from '../../relay/lib/log.js';
import { createMemoryLeadStore } from '../../relay/outbox/store/memory.js';
import { checkedSink } from '../support/hygiene.js';
import { manualClock } from './fixtures.js';
import { at, lead } from './support/store-fixtures.js';

const MIN = 60_000;
const FAST: AlertPolicy = { ...DEFAULT_ALERT_POLICY, retryBaseMs: 5, timeoutMs: 200 };

/** A channel keeping what it was sent; `answer` decides each attempt (default: taken). */
function memoryChannel(answer: (attempt: number) => Promise<void> = async () => {}) {
  const sent: AlertPayload[] = [];
  let attempts = 0;
  const channel: AlertChannel = {
    name: 'memory',
    async send(payload, signal) {
      attempts += 1;
      await Promise.race([
        answer(attempts),
        new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true })),
      ]);
      sent.push(payload);
    },
  };
  return { channel, sent, attempts: () => attempts };
}

function setup(policy: AlertPolicy = FAST, answer?: (attempt: number) => Promise<void>) {
  const clock = manualClock();
  const lines: string[] = [];
  const plain = createLogger({ level: 'debug', sink: checkedSink(lines), clock, secrets: ['ptx_live_S3CRET_t0ken_9f8e7d6c5b4a'] });
  const memory = memoryChannel(answer);
  const alerts = createAlerts({
    channels: [memory.channel],
    policy,
    clock,
    logger: plain,
    publicUrl: 'https://relay.example.com',
    secrets: ['ptx_live_S3CRET_t0ken_9f8e7d6c5b4a', 'smtp-pa55word-xyz'],
  });
  const logger = alertingLogger(plain, alerts);
  const events = () => lines.map((l) => JSON.parse(l) as { event: string; [k: string]: unknown });
  return { clock, alerts, logger, sent: memory.sent, attempts: memory.attempts, events };
}

const deadLetter = (id: string, site = 'oak-grove') => ({
  lead_id: id,
  site,
  reason: 'propexo_rejected',
  contact: 'j***@gmail.com, ******0142',
});

describe('alerts', () => {
  it('a dead letter alerts at once with the masked contact and the link; more in the window make one summary at its end', async () => {
    const { clock, alerts, logger, sent } = setup();
    logger.alert('lead.dead_letter', deadLetter('ld_1'));
    await alerts.settled();
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({
      kind: 'alert',
      event: 'lead.dead_letter',
      severity: 'error',
      site: 'oak-grove',
      reason: 'propexo_rejected',
      lead_id: 'ld_1',
      contact: 'j***@gmail.com, ******0142',
      count: 1,
      link: 'https://relay.example.com/admin/#/leads/ld_1',
      allowed_mentions: { parse: [] },
    });
    expect(sent[0]!.text).toContain('j***@gmail.com, ******0142');
    expect(sent[0]!.text).toContain('https://relay.example.com/admin/#/leads/ld_1');
    expect(sent[0]!.content).toBe(sent[0]!.text);

    clock.advance(MIN);
    logger.alert('lead.dead_letter', deadLetter('ld_2'));
    logger.alert('lead.dead_letter', deadLetter('ld_3'));
    logger.alert('lead.dead_letter', deadLetter('ld_9', 'pine-ridge')); // another site: its own window
    await alerts.settled();
    expect(sent.map((p) => [p.kind, p.lead_id])).toEqual([
      ['alert', 'ld_1'],
      ['alert', 'ld_9'],
    ]);

    clock.advance(FAST.windowMs);
    alerts.tick();
    await alerts.settled();
    expect(sent).toHaveLength(3);
    expect(sent[2]).toMatchObject({ kind: 'summary', count: 2, lead_id: 'ld_3', site: 'oak-grove' });
    expect(sent[2]!.text).toMatch(
      /^\[alert\] 2 more in the last 15 minutes: A lead for oak-grove could not be delivered\. The latest: Lead ld_3/,
    );
    // Nothing since: no more summaries, and the next dead letter alerts at once.
    clock.advance(FAST.windowMs);
    alerts.tick();
    logger.alert('lead.dead_letter', deadLetter('ld_4'));
    await alerts.settled();
    expect(sent.map((p) => [p.kind, p.lead_id])).toEqual([
      ['alert', 'ld_1'],
      ['alert', 'ld_9'],
      ['summary', 'ld_3'],
      ['alert', 'ld_4'],
    ]);
  });

  it('a refused token alerts once and clears with a notice; flapping within the window is summed up', async () => {
    const { clock, alerts, logger, sent } = setup();
    logger.alert('propexo.unauthorized', { status: 401, paused_ms: 300_000 });
    logger.info('propexo.authorized_again', {});
    await alerts.settled();
    expect(sent.map((p) => [p.kind, p.event, p.key, p.severity])).toEqual([
      ['alert', 'propexo.unauthorized', 'relay', 'critical'],
      ['cleared', 'propexo.authorized_again', 'relay', 'info'],
    ]);
    expect(sent[0]!.text).toContain('HTTP 401');
    expect(sent[1]!.text).toBe('[resolved] Propexo accepts the relay’s token again: delivery has resumed.');
    // Refused and accepted again within the same window: no message until the window ends.
    clock.advance(MIN);
    logger.alert('propexo.unauthorized', { status: 403 });
    logger.info('propexo.authorized_again', {});
    await alerts.settled();
    expect(sent).toHaveLength(2);
    clock.advance(FAST.windowMs);
    alerts.tick();
    await alerts.settled();
    expect(sent[2]).toMatchObject({ kind: 'summary', count: 1 });
    expect(sent[2]!.text).toMatch(/HTTP 403.*It has cleared since\.$/);
    // A clearing event with nothing raised sends nothing.
    logger.info('site.fixed', { site: 'oak-grove' });
    await alerts.settled();
    expect(sent).toHaveLength(3);
  });

  it('the sites check wires in with one line: site.misconfigured alerts per site, site.fixed clears it', async () => {
    const { alerts, logger, sent } = setup();
    logger.alert('site.misconfigured', { site: 'oak-grove', problems: ['lead_source_id: unknown to Propexo', 'employee_id: unknown'] });
    logger.info('site.fixed', { site: 'oak-grove' });
    await alerts.settled();
    expect(sent.map((p) => [p.kind, p.key, p.text])).toEqual([
      [
        'alert',
        'oak-grove',
        '[alert] Site oak-grove is misconfigured: lead_source_id: unknown to Propexo; employee_id: unknown. Its leads wait, queued, and go once it is fixed.',
      ],
      ['cleared', 'oak-grove', '[resolved] Site oak-grove is configured correctly again.'],
    ]);
  });

  it('sends behind the caller: a channel that never answers does not hold raise(), and is given up after its attempts', async () => {
    const never = () => new Promise<void>(() => {});
    const { alerts, logger, attempts, events } = setup({ ...FAST, attempts: 2, timeoutMs: 50 }, never);
    const started = performance.now();
    logger.alert('lead.dead_letter', deadLetter('ld_1'));
    expect(performance.now() - started).toBeLessThan(20);
    await alerts.settled();
    expect(attempts()).toBe(2);
    expect(events().find((e) => e.event === 'alert.send_failed')).toMatchObject({
      level: 'warn',
      channel: 'memory',
      attempts: 2,
      error: 'no answer within 50 ms',
    });
  });

  it('retries a failure with doubling waits until it is taken; a refusal that cannot change is not retried', async () => {
    const failing = setup(FAST, async (attempt) => {
      if (attempt <= 2) throw new AlertSendError('HTTP 503', true);
    });
    failing.logger.alert('lead.dead_letter', deadLetter('ld_1'));
    await failing.alerts.settled();
    expect([failing.attempts(), failing.sent.length]).toEqual([3, 1]);
    expect(failing.events().find((e) => e.event === 'alert.sent')).toMatchObject({ attempts: 3 });

    const refused = setup(FAST, async () => {
      throw new AlertSendError('HTTP 404', false);
    });
    refused.logger.alert('lead.dead_letter', deadLetter('ld_1'));
    await refused.alerts.settled();
    expect(refused.attempts()).toBe(1);
    expect(refused.events().find((e) => e.event === 'alert.send_failed')).toMatchObject({ error: 'HTTP 404', attempts: 1 });
  });

  it('masks contacts and scrubs secrets from every body, whatever the caller passed', async () => {
    const { alerts, logger, sent } = setup();
    logger.alert('turnstile.unavailable', {
      site: 'oak-grove',
      hint: 'Cloudflare refused ptx_live_S3CRET_t0ken_9f8e7d6c5b4a for jane.doe@gmail.com (512) 555-0142 & <b>smtp-pa55word-xyz</b>',
      email_1: 'jane.doe@gmail.com',
    });
    await alerts.settled();
    const body = JSON.stringify(sent[0]);
    for (const raw of ['ptx_live_S3CRET', 'smtp-pa55word', 'jane.doe@gmail.com', '555-0142']) expect(body).not.toContain(raw);
    expect(sent[0]!.text).toContain('j***@gmail.com');
    expect(sent[0]!.text).not.toMatch(/[<>&]/); // Slack's markup characters never reach the text
    expect(sent[0]!.details).toMatchObject({ email_1: 'j***@gmail.com' });
  });

  it('the outbox watch: the backlog past its threshold alerts once and clears; a burst of held leads per site too', async () => {
    const { clock, alerts, logger, sent } = setup({ ...FAST, backlogMs: 10 * MIN, heldBurst: 3, heldWindowMs: 10 * MIN });
    const store = createMemoryLeadStore();
    const watch = createOutboxWatch({
      store,
      clock,
      logger,
      policy: { backlogMs: 10 * MIN, heldBurst: 3, heldWindowMs: 10 * MIN, checkEveryMs: MIN },
    });
    const now = clock.now();
    const waiting = (await store.accept(lead({ status: 'queued', site: 'pine-ridge', created_at: now, age_from: now }), at(now))).record;
    for (let i = 0; i < 3; i++) await store.accept(lead({ status: 'held', error: 'spam:honeypot', created_at: now }), at(now));
    await watch.check();
    await alerts.settled();
    expect(sent.map((p) => [p.kind, p.event, p.key])).toEqual([['alert', 'leads.held_burst', 'oak-grove']]);
    expect(sent[0]!.text).toBe(
      '[alert] 3 leads for oak-grove held in the last 10 minutes (suspected spam or over the site’s limit): spam:honeypot 3. Review them and release the real ones.',
    );
    expect(watch.wantsCheckAt()).toBe(now + MIN);

    clock.advance(11 * MIN); // the queued lead has waited 11 minutes; the held ones fell out of the window
    await watch.check();
    await watch.check(); // still backlogged: no second alert
    await store.update(waiting.id, { status: 'confirmed' });
    await watch.check();
    await alerts.settled();
    expect(sent.map((p) => [p.kind, p.event, p.key])).toEqual([
      ['alert', 'leads.held_burst', 'oak-grove'],
      ['alert', 'outbox.backlog', 'relay'],
      ['cleared', 'leads.held_burst_over', 'oak-grove'],
      ['cleared', 'outbox.backlog_cleared', 'relay'],
    ]);
    expect(sent[1]).toMatchObject({ lead_id: waiting.id, link: `https://relay.example.com/admin/#/leads/${waiting.id}` });
    expect(sent[1]!.text).toMatch(
      /^\[alert\] The oldest queued lead \(ld_\d+, pine-ridge\) has waited 11 minutes; 1 lead in the queue waited more than 10 minutes\./,
    );
    expect(sent[3]!.text).toBe('[resolved] The outbox is back under 10 minutes: no queued lead has waited longer.');
    expect(watch.wantsCheckAt()).toBeNull();
  });

  it('counts the messages a channel took, by kind, for /metrics; one it refused is not counted', async () => {
    const taken = setup();
    taken.logger.alert('lead.dead_letter', deadLetter('ld_1'));
    await taken.alerts.settled();
    expect(taken.alerts.sent()).toEqual({ alert: 1, summary: 0, cleared: 0 });
    const refused = setup(FAST, async () => {
      throw new AlertSendError('HTTP 404', false);
    });
    refused.logger.alert('lead.dead_letter', deadLetter('ld_2'));
    await refused.alerts.settled();
    expect(refused.alerts.sent()).toEqual({ alert: 0, summary: 0, cleared: 0 });
  });
});
