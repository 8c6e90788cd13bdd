/** The log-line checker of test/support/hygiene.ts: it flags what it must and nothing a relay writes. */
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../relay/lib/log.js';
import { checkedSink, findViolations, knownSecrets, registerSecret, takeViolations } from '../support/hygiene.js';
import { TOKEN } from './fixtures.js';
import { TOKEN as SANDBOX_TOKEN } from './sandbox-helpers.js';

const rules = (line: string) => findViolations(line).map((f) => f.rule);
const at = (fields: Record<string, unknown>) => JSON.stringify({ time: '2025-06-01T12:00:00.000Z', level: 'info', event: 'x', ...fields });

describe('log hygiene checker', () => {
  it('knows the tokens the fixtures configure', () => {
    expect(knownSecrets()).toEqual(expect.arrayContaining([TOKEN, SANDBOX_TOKEN]));
  });

  it('flags a token, a bearer credential, a full email and a full phone', () => {
    expect(rules(at({ note: `upstream said ${TOKEN}` }))).toEqual(['secret']);
    expect(rules(at({ header: `Bearer ${TOKEN}` }))).toEqual(['secret', 'bearer']);
    expect(rules(at({ header: 'bearer some-other-credential' }))).toEqual(['bearer']);
    expect(rules(`{"sandbox":"x","token":"sandbox_${'0f'.repeat(16)}"}`)).toEqual(['secret']);
    // JSON-escaped in the line, found once decoded.
    expect(rules(at({ v: 'tok"en\\with/quote' }))).toEqual(['secret']);
    for (const email of ['jane.doe@gmail.com', 'j.d+tag@corp.example.org', 'ab***@gmail.com', 'Jane@Gmail.COM']) {
      expect(rules(at({ message: `Invalid email: ${email}` })), email).toEqual(['email']);
    }
    expect(rules(at({ 'bob@example.org': 1 })), 'an email as a key').toEqual(['email']);
    for (const phone of [
      '5125550142',
      '(512) 555-0142',
      '512-555-0142',
      '512.555.0142',
      '+1 512 555 0142',
      '15125550142',
      '+1(512)555-0142',
    ]) {
      expect(rules(at({ detail: `call ${phone} now` })), phone).toEqual(['phone']);
      expect(rules(at({ phone_1: phone })), phone).toEqual(['phone']);
    }
    expect(rules('plain text with 737-555-0187 in it')).toEqual(['phone']);
  });

  it('leaves masked forms, redactions, timestamps, durations and ids alone', () => {
    for (const line of [
      at({ email_1: 'j***@gmail.com', phone_1: '******0142', header: 'Bearer [redacted]' }),
      at({ email: '***', phone: '******' }),
      at({ time_ms: 1748779200000, ms: 1234, at: '2025-06-01T12:00:00.000Z', reset: 1748779260 }),
      at({ job_id: 'job_1234567890123', lead_id: 'ld_5125550142ab', id: 'ld_0f3c8a1b2d4e4f60a7b8c9d0e1f2a3b4' }),
      at({ uuid: '123e4567-e89b-12d3-a456-426614174000', hash: `${'a'.repeat(20)}5125550142` }),
      at({ count: 12345678901234, float: 0.5125550142, version: '1.2.3', path: '/v1/sites/oak-grove/leads' }),
      at({ realm: 'Bearer realm="resman-lead-form admin"', word: 'a bearer' }),
      at({ error: { name: 'Error', message: 'boom', stack: 'Error: boom\n    at f (/work/main/relay/app.ts:12:34)' } }),
      `{"sandbox":"lead_received","job_id":"job_1","received_at":1768471200000,"email":"\\u0000***@mail.test","phone":"******0199"}`,
    ]) {
      expect(findViolations(line), line).toEqual([]);
    }
  });

  it('agrees with the relay’s masks: whatever the logger masked passes, and the raw text did not', () => {
    // Random text built from addresses, numbers in every format, delimiters, escapes and non-ASCII.
    const parts = [
      'jane.doe@gmail.com',
      'a+b@c.d.ef',
      'J@Gmail.COM',
      "o'neil@x.io",
      '5125550142',
      '(512) 555-0142',
      '512-555-0142',
      '512.555.0142',
      '+1 512 555 0142',
      '1-512-555-0142',
      '(512)555-0142',
      ' ',
      ',',
      ';',
      ':',
      '"',
      "'",
      '<',
      '(',
      '[',
      '\\',
      '/',
      '@',
      '.',
      '-',
      '+',
      '_',
      '\n',
      '\t',
      '\u0000',
      'é',
      '李',
      '\u{1f600}',
      'abc',
      '123',
      '4567',
      'x',
      'job_',
      '%40',
      'mailto:',
      '\u00a0',
    ];
    let seed = 7;
    const pick = () => parts[((seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff) >>> 16) % parts.length]!;
    const lines: string[] = [];
    const logger = createLogger({ sink: (line) => lines.push(line) });
    let rawFlagged = 0;
    for (let i = 0; i < 20_000; i++) {
      let text = '';
      for (let k = 1 + (i % 6); k > 0; k--) text += pick();
      logger.info('x', { note: text });
      expect(findViolations(lines.pop()!), JSON.stringify(text)).toEqual([]);
      if (findViolations(JSON.stringify({ note: text })).length > 0) rawFlagged += 1;
    }
    expect(rawFlagged).toBeGreaterThan(5_000);
  });

  it('what the relay logger writes passes; a sink records what it flags, with the line', () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'debug', secrets: [TOKEN], sink: checkedSink(lines) });
    logger.info('lead.rejected', {
      email_1: 'jane.doe@gmail.com',
      details: { received: { phone_1: '5125550142', notes: `reach me at jane.doe@gmail.com or (512) 555-0142, auth Bearer ${TOKEN}` } },
      job_id: 'job_1234567890123',
    });
    expect(lines).toHaveLength(1);
    expect(takeViolations()).toEqual([]);

    registerSecret('hyg_self_test_secret_42');
    const sink = checkedSink();
    sink('{"event":"oops","token":"hyg_self_test_secret_42","to":"amy@corp.io"}');
    const recorded = takeViolations();
    expect(recorded.map((v) => v.rule)).toEqual(['secret', 'email']);
    expect(recorded[1]).toMatchObject({ match: 'amy@corp.io', line: expect.stringContaining('"to":"amy@corp.io"') });
    expect(takeViolations()).toEqual([]);
  });
});
