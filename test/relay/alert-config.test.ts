/**
 * The alerts' configuration: ALERT_WEBHOOK_URL, SMTP_URL with ALERT_EMAIL_TO and ALERT_EMAIL_FROM,
 * PUBLIC_URL and the pacing variables, each refused at start with a line naming the key and never
 * its value; the webhook URL and the SMTP password among the secrets the logger scrubs; and SMTP
 * refused on Workers, which cannot send e-mail.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_ALERT_POLICY } from '../../relay/alerts/policy.js';
import { parseAlertEmail } from '../../relay/config/alert-email-env.js';
import { ConfigError } from '../../relay/config/config-error.js';
import { parseConfig, secretsOf } from '../../relay/config/env.js';
import { readEdgeConfig } from '../../relay/runtime/worker/config.js';
import type { EdgeEnv } from '../../relay/runtime/worker/env.js';
import { TOKEN, testEnv } from './fixtures.js';

const HOOK = 'https://hooks.slack.com/services/T0000/B0000/XXXXsecretXXXXXXXXXXXX';
const issuesOf = (env: Record<string, string>): readonly string[] => {
  try {
    parseConfig(testEnv(env), { alertEmail: parseAlertEmail });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).issues;
  }
  return [];
};

describe('alert configuration', () => {
  it('has no channel and the default pacing when nothing is set', () => {
    expect(parseConfig(testEnv()).alerts).toEqual({ policy: DEFAULT_ALERT_POLICY });
    expect(DEFAULT_ALERT_POLICY).toMatchObject({ windowMs: 15 * 60_000, backlogMs: 10 * 60_000, heldBurst: 20, heldWindowMs: 10 * 60_000 });
  });

  it('reads every key', () => {
    const config = parseConfig(
      testEnv({
        ALERT_WEBHOOK_URL: `${HOOK}?thread_id=42`,
        SMTP_URL: 'smtps://alerts:p%40ss%2Fw0rd@smtp.example.com:465',
        ALERT_EMAIL_TO: 'ops@example.com, oncall@example.org',
        ALERT_EMAIL_FROM: 'Lead relay <relay@example.com>',
        PUBLIC_URL: 'https://leads.example-relay.com/',
        ALERT_WINDOW_MINUTES: '30',
        ALERT_BACKLOG_MINUTES: '5',
        ALERT_HELD_BURST: '50',
        ALERT_POLICY: '{"checkEveryMs":100,"backlogMs":1000}',
      }),
      { alertEmail: parseAlertEmail },
    );
    expect(config.alerts).toEqual({
      webhookUrl: `${HOOK}?thread_id=42`,
      email: {
        smtpUrl: 'smtps://alerts:p%40ss%2Fw0rd@smtp.example.com:465',
        to: ['ops@example.com', 'oncall@example.org'],
        from: 'Lead relay <relay@example.com>',
      },
      publicUrl: 'https://leads.example-relay.com',
      policy: { ...DEFAULT_ALERT_POLICY, windowMs: 30 * 60_000, backlogMs: 1000, heldBurst: 50, checkEveryMs: 100 },
    });
    // The webhook's URL is its token, and the SMTP password is a password: the logger scrubs both (the
    // password as given and decoded).
    expect(secretsOf(config)).toEqual(
      expect.arrayContaining([
        `${HOOK}?thread_id=42`,
        '/services/T0000/B0000/XXXXsecretXXXXXXXXXXXX?thread_id=42',
        'p@ss/w0rd',
        'p%40ss%2Fw0rd',
        TOKEN,
      ]),
    );
  });

  it('refuses bad values with one line per key, never the value', () => {
    const secretish = 'https://user:s3cr3tpass@hooks.example.com/x';
    const issues = issuesOf({
      ALERT_WEBHOOK_URL: secretish,
      SMTP_URL: 'http://s3cr3tpass@mail.example.com',
      ALERT_EMAIL_TO: 'ops@example.com, not an address',
      ALERT_EMAIL_FROM: 'Relay <relay@example.com',
      PUBLIC_URL: 'https://relay.example.com/?x=1',
      ALERT_WINDOW_MINUTES: '0',
      ALERT_BACKLOG_MINUTES: 'ten',
      ALERT_HELD_BURST: '-3',
      ALERT_POLICY: '{"attempts":0,"colour":"red"}',
    });
    expect(issues.map((i) => i.split(':')[0])).toEqual([
      'ALERT_WINDOW_MINUTES',
      'ALERT_BACKLOG_MINUTES',
      'ALERT_HELD_BURST',
      'ALERT_POLICY.colour',
      'ALERT_POLICY',
      'ALERT_WEBHOOK_URL',
      'SMTP_URL',
      'ALERT_EMAIL_TO',
      'ALERT_EMAIL_FROM',
      'PUBLIC_URL',
    ]);
    for (const issue of issues) expect(issue).not.toMatch(/s3cr3tpass|not an address/);
  });

  it('e-mail needs all three of SMTP_URL, ALERT_EMAIL_TO and ALERT_EMAIL_FROM', () => {
    expect(issuesOf({ SMTP_URL: 'smtp://mail.example.com:587' })).toEqual([
      'ALERT_EMAIL_TO: required with SMTP_URL (alerts by e-mail need SMTP_URL, ALERT_EMAIL_TO and ALERT_EMAIL_FROM)',
      'ALERT_EMAIL_FROM: required with SMTP_URL (alerts by e-mail need SMTP_URL, ALERT_EMAIL_TO and ALERT_EMAIL_FROM)',
    ]);
    expect(issuesOf({ ALERT_EMAIL_TO: 'ops@example.com' })[0]).toMatch(/^SMTP_URL: required with ALERT_EMAIL_TO/);
  });

  it('on Workers (no e-mail parser), SMTP_URL and the other e-mail keys are refused: e-mail needs the Node relay', async () => {
    expect(() => parseConfig(testEnv({ ALERT_EMAIL_TO: 'ops@example.com' }))).toThrow(
      'SMTP_URL: e-mail alerts need the Node relay; on Workers, send alerts to ALERT_WEBHOOK_URL',
    );
    const env = {
      ...testEnv(),
      SMTP_URL: 'smtp://mail.example.com',
      ALERT_EMAIL_TO: 'ops@example.com',
      ALERT_EMAIL_FROM: 'relay@example.com',
    };
    await expect(readEdgeConfig(env as unknown as EdgeEnv)).rejects.toMatchObject({
      issues: ['SMTP_URL: e-mail alerts need the Node relay; on Workers, send alerts to ALERT_WEBHOOK_URL'],
    });
    const { alerts } = await readEdgeConfig({ ...testEnv(), ALERT_WEBHOOK_URL: HOOK } as unknown as EdgeEnv);
    expect(alerts.webhookUrl).toBe(HOOK);
  });
});
