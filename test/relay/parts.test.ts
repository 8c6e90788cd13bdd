/** The relay's injected parts on their own: logger, limiter, store, client-IP reading. */
import { describe, expect, it } from 'vitest';
import { clientIpGetter, ipFromHeader } from '../../relay/http/client-ip.js';
import { createMemoryLimiter } from '../../relay/limits/memory.js';
import { createLogger, maskEmail, maskPhone, maskText } from '../../relay/lib/log.js';
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { createErrorHandler } from '../../relay/http/errors.js';
import { checkedSink } from '../support/hygiene.js';
import { errorOf, manualClock } from './fixtures.js';
import type { Context } from 'hono';

describe('logger', () => {
  const capture = (level?: 'debug' | 'info' | 'warn' | 'error', secrets: string[] = []) => {
    const lines: { line: string; level: string }[] = [];
    const logger = createLogger({
      ...(level ? { level } : {}),
      secrets,
      clock: { now: () => Date.UTC(2025, 0, 2, 3, 4, 5) },
      sink: checkedSink((line, l) => lines.push({ line, level: l })),
    });
    return { logger, lines, parsed: () => lines.map((l) => JSON.parse(l.line)) };
  };

  it('writes one JSON object per line with time, level, event and fields', () => {
    const { logger, lines, parsed } = capture();
    logger.info('lead.sent', { lead_id: 'ld_1', attempt: 2 });
    expect(lines).toHaveLength(1);
    expect(lines[0]!.line).not.toContain('\n');
    expect(parsed()[0]).toEqual({ time: '2025-01-02T03:04:05.000Z', level: 'info', event: 'lead.sent', lead_id: 'ld_1', attempt: 2 });
  });

  it('filters by level, and alert is error level with alert: true', () => {
    const { logger, parsed } = capture('warn');
    logger.debug('d');
    logger.info('i');
    logger.warn('w');
    logger.alert('misconfigured', { level: 'spoofed' });
    expect(parsed().map((l) => [l.event, l.level, l.alert])).toEqual([
      ['w', 'warn', undefined],
      ['misconfigured', 'error', true],
    ]);
  });

  it('masks contact details by key and by pattern, at any depth', () => {
    const { logger, lines } = capture();
    logger.error('x', {
      email_1: 'jane.doe@gmail.com',
      phone_1: '(512) 555-0142',
      phone_2: '5125550199',
      nested: { email: 'bob@example.org', list: ['call +1 512-555-0173 or mail amy@corp.io'] },
      details: { issues: [{ message: 'Invalid email: carl.smith@yahoo.com' }] },
      err: new Error('refused 5125550111'),
      job_id: 'job_1234567890123',
    });
    const text = lines[0]!.line;
    const out = JSON.parse(text);
    expect(out.email_1).toBe('j***@gmail.com');
    expect(out.phone_1).toBe('******0142');
    expect(out.phone_2).toBe('******0199');
    expect(out.nested.email).toBe('b***@example.org');
    expect(out.nested.list[0]).toBe('call ******0173 or mail a***@corp.io');
    expect(out.err.message).toBe('refused ******0111');
    expect(out.job_id).toBe('job_1234567890123');
    for (const raw of ['jane.doe', '555-0142', '5125550199', 'bob@', 'carl.smith', '512-555-0173', '5125550111'])
      expect(text).not.toContain(raw);
  });

  it('scrubs secrets from the serialised line, even JSON-escaped', () => {
    const tricky = 'tok"en\\with/quote';
    const { logger, lines } = capture('debug', ['ptx_SECRET_123', tricky]);
    logger.info('ptx_SECRET_123 in event', {
      header: 'Bearer ptx_SECRET_123',
      deep: { v: [tricky] },
      err: new Error('auth ptx_SECRET_123'),
    });
    const text = lines.map((l) => l.line).join('\n');
    expect(text).not.toContain('ptx_SECRET_123');
    expect(text).not.toContain(JSON.stringify(tricky).slice(1, -1));
    expect(text).toContain('Bearer [redacted]');
  });

  it('survives circular fields', () => {
    const { logger, parsed } = capture();
    const a: Record<string, unknown> = { name: 'a' };
    a.self = a;
    logger.info('circular', { a });
    expect(parsed()[0].a.self).toBe('[circular]');
  });

  it('mask helpers', () => {
    expect(maskEmail('j@x.co')).toBe('j***@x.co');
    expect(maskPhone('512.555.0142')).toBe('******0142');
    expect(maskText('no contact here, 2025-07-01, 150000 cents')).toBe('no contact here, 2025-07-01, 150000 cents');
  });
});

describe('memory limiter', () => {
  it('counts exactly within a fixed window and resets after it', async () => {
    const clock = manualClock(0);
    const limiter = createMemoryLimiter({ clock });
    const req = { key: 'k', max: 2, windowMs: 1000 };
    expect(await limiter.limit(req)).toEqual({ success: true, limit: 2, remaining: 1, resetMs: 1000 });
    clock.advance(400);
    expect(await limiter.limit(req)).toEqual({ success: true, limit: 2, remaining: 0, resetMs: 600 });
    expect(await limiter.limit(req)).toEqual({ success: false, limit: 2, remaining: 0, resetMs: 600 });
    expect(await limiter.limit({ ...req, key: 'other' })).toMatchObject({ success: true, remaining: 1 });
    clock.advance(600);
    expect(await limiter.limit(req)).toEqual({ success: true, limit: 2, remaining: 1, resetMs: 1000 });
  });

  it('prunes expired keys so memory stays bounded', async () => {
    const clock = manualClock(0);
    const limiter = createMemoryLimiter({ clock, sweepEveryMs: 100 });
    for (let i = 0; i < 500; i++) await limiter.limit({ key: `ip:${i}`, max: 5, windowMs: 1000 });
    expect(limiter.size()).toBe(500);
    clock.advance(1000);
    await limiter.limit({ key: 'fresh', max: 5, windowMs: 1000 });
    expect(limiter.size()).toBe(1);
  });

  it('caps keys at maxKeys, dropping the oldest', async () => {
    const limiter = createMemoryLimiter({ clock: manualClock(0), maxKeys: 3 });
    for (const key of ['a', 'b', 'c', 'd']) await limiter.limit({ key, max: 1, windowMs: 60_000 });
    expect(limiter.size()).toBe(3);
    expect((await limiter.limit({ key: 'a', max: 1, windowMs: 60_000 })).success).toBe(true);
    expect((await limiter.limit({ key: 'd', max: 1, windowMs: 60_000 })).success).toBe(false);
  });
});

describe('client IP', () => {
  const ctx = (headers: Record<string, string>) =>
    ({ req: { header: (name: string) => headers[name.toLowerCase()] } }) as unknown as Context;

  it('takes the rightmost x-forwarded-for entry (the one our proxy added)', () => {
    expect(ipFromHeader('x-forwarded-for', '6.6.6.6, 203.0.113.9')).toBe('203.0.113.9');
    expect(ipFromHeader('x-forwarded-for', ' 203.0.113.9 ')).toBe('203.0.113.9');
    expect(ipFromHeader('cf-connecting-ip', '2001:db8::1')).toBe('2001:db8::1');
    expect(ipFromHeader('forwarded', 'for=6.6.6.6, for="[2001:db8::2]";proto=https')).toBe('2001:db8::2');
    expect(ipFromHeader('x-forwarded-for', ' , ')).toBeUndefined();
    expect(ipFromHeader('x-forwarded-for', undefined)).toBeUndefined();
  });

  it('uses the header only when configured, else the fallback', () => {
    const socket = () => '::ffff:10.0.0.1';
    const getter = (trustedHeader?: string) => clientIpGetter({ trustedHeader, socket });
    expect(getter()(ctx({ 'x-forwarded-for': '6.6.6.6' }))).toBe('10.0.0.1');
    expect(getter('x-forwarded-for')(ctx({ 'x-forwarded-for': '6.6.6.6, 198.51.100.4' }))).toBe('198.51.100.4');
    expect(getter('x-forwarded-for')(ctx({ 'x-forwarded-for': '6.6.6.6, 2001:DB8:0::1' }))).toBe('2001:db8::1');
    expect(getter('x-forwarded-for')(ctx({}))).toBe('10.0.0.1');
    expect(getter('x-forwarded-for')(ctx({ 'x-forwarded-for': 'unknown' }))).toBe('10.0.0.1');
  });
});

describe('error handler', () => {
  it('hono’s own HTTPExceptions keep their status and get the envelope, never their text', async () => {
    const app = new Hono();
    app.onError(createErrorHandler(createLogger({ sink: checkedSink() })));
    app.get('/413', () => {
      throw new HTTPException(413, { message: 'raw text' });
    });
    app.get('/503', () => {
      throw new HTTPException(503, { message: 'raw text' });
    });
    const a = await app.request('/413');
    expect(a.status).toBe(413);
    expect((await errorOf(a)).code).toBe('payload_too_large');
    const b = await app.request('/503');
    expect(b.status).toBe(503);
    const err = await errorOf(b);
    expect(err.code).toBe('internal_error');
    expect(err.message).not.toContain('raw text');
  });
});

describe('log masking of long text', () => {
  it('cuts any logged string to 2 KiB, so a 16 KB path costs no more than a short one', () => {
    const lines: string[] = [];
    createLogger({ sink: (l) => lines.push(l) }).info('request', { path: `/${'x'.repeat(20_000)}` });
    const { path } = JSON.parse(lines[0]!) as { path: string };
    expect(path.length).toBeLessThanOrEqual(2048 + 20);
    expect(path.endsWith('…[cut]')).toBe(true);
  });

  it('masks an email after a long run of address characters, scanning from the @', () => {
    expect(maskText(`${'a'.repeat(3000)}@gmail.com`)).not.toContain('a'.repeat(3000));
    expect(maskText('write to jane.doe@gmail.com or john@work.example.org today')).toBe(
      'write to j***@gmail.com or j***@work.example.org today',
    );
    expect(maskText('no at sign here')).toBe('no at sign here');
    expect(maskText('user@localhost and a@b')).toBe('user@localhost and a@b');
  });

  it("masks contacts used as keys, as Propexo's error details may have them", () => {
    const lines: string[] = [];
    createLogger({ sink: (l) => lines.push(l) }).warn('x', { details: { 'jane.doe@gmail.com': 'dup', '512-555-0142': 'x' } });
    expect(lines[0]).not.toContain('jane.doe@gmail.com');
    expect(lines[0]).not.toContain('512-555-0142');
    expect(JSON.parse(lines[0]!).details).toEqual({ 'j***@gmail.com': 'dup', '******0142': 'x' });
  });
});
