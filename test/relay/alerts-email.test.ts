/**
 * Alerts by e-mail (Node only): the relay sends through a real SMTP server on loopback (smtp-server,
 * authenticating with the user and password of SMTP_URL), to every address of ALERT_EMAIL_TO, from
 * ALERT_EMAIL_FROM. The message carries the masked contact and the console link; the SMTP password
 * and the Propexo token appear in no message, no webhook body and no log line, also when the SMTP
 * server refuses the password (the failure is logged, never the credential).
 */
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_IDS, startSandbox, type RunningSandbox } from '../../sandbox/index.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/alert-doubles.js';
import { checkedSink, findViolations, registerSecret } from '../support/hygiene.js';
import { ORIGIN, nodeTarget, relayVars, type RelayTarget } from '../runtimes/targets.js';
import { VALID_LEAD } from './fixtures.js';

const TOKEN = 'ptx_email_suite_token_2468';
const USER = 'relay-alerts';
// Characters a URL must escape: the relay decodes SMTP_URL's password before using (and scrubbing) it.
const PASSWORD = 'sm7p/Pa:ss@w0rd#9';
const WRONG_PASSWORD = 'wr0ng-sm7p-Passw0rd';
registerSecret(TOKEN, PASSWORD, encodeURIComponent(PASSWORD), WRONG_PASSWORD);
const SITES = {
  broken: { name: 'Broken', ...SANDBOX_IDS, property_id: 'prop_unknown', form_token: 'optional', allowed_origins: [ORIGIN] },
};

interface Mail {
  from: string;
  to: string[];
  /** Headers unfolded, body decoded from quoted-printable. */
  headers: string;
  body: string;
  raw: string;
}

function decode(raw: string): Pick<Mail, 'headers' | 'body'> {
  const split = raw.indexOf('\r\n\r\n');
  const headers = raw.slice(0, split).replace(/\r\n[ \t]+/g, ' ');
  let body = raw.slice(split + 4);
  if (/content-transfer-encoding: quoted-printable/i.test(headers))
    body = Buffer.from(
      body.replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16))),
      'latin1',
    ).toString('utf8');
  return { headers, body };
}

async function startSmtp(): Promise<{ port: number; mails: Mail[]; refusedLogins: () => number; close(): Promise<void> }> {
  const mails: Mail[] = [];
  let refused = 0;
  const server = new SMTPServer({
    // Plain SMTP with AUTH on loopback (a test certificate would need the client to trust it).
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === USER && auth.password === PASSWORD) return callback(null, { user: USER });
      refused += 1;
      return callback(new Error('Invalid username or password'));
    },
    onData(stream, session, callback) {
      const parts: Buffer[] = [];
      stream.on('data', (b: Buffer) => parts.push(b));
      stream.on('end', () => {
        const raw = Buffer.concat(parts).toString('utf8');
        const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
        mails.push({ from, to: session.envelope.rcptTo.map((r) => r.address), raw, ...decode(raw) });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return { port, mails, refusedLogins: () => refused, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe('alerts by e-mail', () => {
  let sandbox: RunningSandbox;
  let smtp: Awaited<ReturnType<typeof startSmtp>>;
  let receiver: WebhookReceiver;
  const relays: RelayTarget[] = [];
  const logs: string[] = [];

  beforeAll(async () => {
    sandbox = await startSandbox({ token: TOKEN, writeDelayMs: 10, slowDownMs: 0, rateLimitPerMinute: 100_000, log: checkedSink() });
    smtp = await startSmtp();
    receiver = await startWebhookReceiver();
  }, 60_000);
  afterAll(async () => {
    for (const relay of relays) await relay.close();
    await receiver?.close();
    await smtp?.close();
    await sandbox?.close();
  });

  const start = async (password: string) => {
    const relay = await nodeTarget(
      {
        ...relayVars(sandbox.url, TOKEN, SITES),
        SMTP_URL: `smtp://${USER}:${encodeURIComponent(password)}@127.0.0.1:${smtp.port}`,
        ALERT_EMAIL_TO: 'ops@example.com, on-call@example.org',
        ALERT_EMAIL_FROM: 'Lead relay <relay@example.com>',
        ALERT_WEBHOOK_URL: receiver.url,
        PUBLIC_URL: 'https://relay.example.com',
        ALERT_POLICY: JSON.stringify({ retryBaseMs: 50, attempts: 2 }),
      },
      { log: logs },
    );
    relays.push(relay);
    return relay;
  };
  const deadLetter = async (relay: RelayTarget) => {
    const res = await fetch(`${relay.url}/v1/sites/broken/leads`, {
      method: 'POST',
      headers: { origin: ORIGIN, 'content-type': 'application/json' },
      body: JSON.stringify(VALID_LEAD),
    });
    expect(res.status).toBe(202);
    return ((await res.json()) as { id: string }).id;
  };

  it('a dead letter reaches every recipient through the SMTP server, with its subject, masked contact and link', async () => {
    const relay = await start(PASSWORD);
    const id = await deadLetter(relay);
    await expect.poll(() => smtp.mails.length, { timeout: 10_000, interval: 50, message: 'the alert e-mail' }).toBe(1);
    const [mail] = smtp.mails;
    expect(mail!.from).toBe('relay@example.com');
    expect(mail!.to).toEqual(['ops@example.com', 'on-call@example.org']);
    expect(mail!.headers).toMatch(/^Subject: \[resman relay\] A lead for broken could not be delivered$/m);
    expect(mail!.headers).toMatch(/^From: Lead relay <relay@example\.com>$/m);
    expect(mail!.headers).toMatch(/^To: ops@example\.com, on-call@example\.org$/m);
    expect(mail!.body).toContain(`[alert] Lead ${id} for broken could not be delivered to ResMan (propexo_rejected)`);
    expect(mail!.body).toContain('Contact: j***@gmail.com, ******0142.');
    expect(mail!.body).toContain(`link: https://relay.example.com/admin/#/leads/${id}`);
    expect(mail!.body).toMatch(/^severity: error$/m);
    // The webhook got the same alert.
    await expect.poll(() => receiver.of('lead.dead_letter', 'broken').length, { timeout: 10_000 }).toBe(1);
    await expect.poll(() => logs.some((l) => l.includes('"alert.sent"') && l.includes('"email"')), { timeout: 5_000 }).toBe(true);
  });

  it('a refused SMTP password is logged as a failed send, never with the password; the webhook still gets the alert', async () => {
    const relay = await start(WRONG_PASSWORD);
    await deadLetter(relay);
    await expect.poll(() => receiver.of('lead.dead_letter', 'broken').length, { timeout: 10_000 }).toBe(2);
    await expect
      .poll(() => logs.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.event === 'alert.send_failed'), {
        timeout: 10_000,
      })
      .toMatchObject({ level: 'warn', channel: 'email', attempts: 1, error: 'EAUTH 535', retrying: false });
    expect(smtp.refusedLogins()).toBe(1); // refused credentials are not tried again
    expect(smtp.mails).toHaveLength(1);
  });

  it('hygiene: the Propexo token and the SMTP password are in no e-mail, no webhook body and no log line', () => {
    const bodies = [...smtp.mails.map((m) => m.body), ...receiver.taken.map((a) => a.raw)];
    expect(bodies.length).toBeGreaterThanOrEqual(3);
    for (const text of [...smtp.mails.map((m) => m.raw), ...bodies, ...logs]) {
      for (const secret of [TOKEN, PASSWORD, encodeURIComponent(PASSWORD), WRONG_PASSWORD]) expect(text).not.toContain(secret);
    }
    // No full contact of the prospect (the mail's headers hold the operators' own addresses, rightly).
    for (const body of bodies) expect(findViolations(body)).toEqual([]);
    expect(logs.length).toBeGreaterThan(10);
  });
});
