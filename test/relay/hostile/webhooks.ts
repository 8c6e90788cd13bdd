/**
 * Requests on the signed Propexo webhook (POST /v1/propexo/webhooks): failure events for job ids the
 * relay did and did not hand out, other triggers, wrong types, garbage, deep nesting, __proto__ keys,
 * invalid UTF-8, bodies over its 64 KiB limit; signed right, or missing, empty, upper-cased, padded,
 * cut short, made with the wrong secret, over an altered or replayed body. Only a correct HMAC of the
 * exact bytes may get past 401, and nothing it carries may throw.
 */
import { createHmac } from 'node:crypto';
import { INVALID_UTF8, nested, rawObject } from './bodies.js';
import { ADMIN, HOOK, MAX_WEBHOOK_BYTES, WEBHOOK, concat, utf8, type Hostile, type World } from './request.js';
import { CONTENT_TYPES, METHODS } from './transport.js';

export function webhook(w: World): Hostile {
  const { rng } = w;
  const jobId =
    rng.chance(0.6) && w.jobs() > 0
      ? `job_${rng.between(1, w.jobs())}`
      : rng.pick(['job_none', '', '__proto__', 'x'.repeat(3000), 'job_1 OR 1=1']);
  const content = rng.weighted([
    [40, 'event'],
    [10, 'other_trigger'],
    [10, 'wrong_types'],
    [10, 'garbage'],
    [8, 'deep'],
    [6, 'proto'],
    [6, 'invalid_utf8'],
    [5, 'huge'],
    [5, 'empty'],
  ] as const);
  let body: Uint8Array;
  switch (content) {
    case 'event':
      body = utf8(
        JSON.stringify({ trigger: 'WRITE_OPERATION_FAILURE', data: { root_job_id: jobId, errors: [{ message: 'write failed' }] } }),
      );
      if (rng.chance(0.3)) body = utf8(JSON.stringify({ data: { event: 'WRITE_OPERATION_FAILURE', root_job_id: jobId } }));
      break;
    case 'other_trigger':
      body = utf8(
        JSON.stringify({
          trigger: rng.pick([
            'WRITE_OPERATION_SUCCESS',
            'write_operation_failure',
            'x'.repeat(500),
            'jane.doe@gmail.com',
            '512-555-0142',
            '',
          ]),
          data: { root_job_id: jobId },
        }),
      );
      break;
    case 'wrong_types':
      body = utf8(
        JSON.stringify(
          rng.pick([
            { trigger: ['WRITE_OPERATION_FAILURE'] },
            { trigger: 'WRITE_OPERATION_FAILURE', data: null },
            { trigger: 'WRITE_OPERATION_FAILURE', data: { root_job_id: 42 } },
            { trigger: 'WRITE_OPERATION_FAILURE', data: [jobId] },
            null,
            [],
            'WRITE_OPERATION_FAILURE',
            7,
            { data: { event: { x: 1 } } },
          ]),
        ),
      );
      break;
    case 'garbage':
      body = rng.chance(0.5)
        ? rng.bytes(rng.between(1, 2000))
        : utf8(rng.pick(['{', 'not json', '{"trigger":', '{"trigger":"WRITE_OPERATION_FAILURE"', "{'a':1}"]));
      break;
    case 'deep':
      body = utf8(
        rng.chance(0.5)
          ? nested(rng.between(5_000, 30_000), 'array')
          : rawObject([['trigger', nested(rng.between(1000, 9_000), 'object')]]),
      );
      break;
    case 'proto':
      body = utf8(
        rawObject([
          ['__proto__', '{"trigger":"WRITE_OPERATION_FAILURE","polluted":"hook"}'],
          ['constructor', '{"prototype":{"polluted":"hook"}}'],
          ['data', rawObject([['__proto__', JSON.stringify({ root_job_id: jobId })]])],
        ]),
      );
      break;
    case 'invalid_utf8':
      body = concat(utf8('{"trigger":"WRITE_OPERATION_FAILURE","data":{"root_job_id":"'), rng.pick(INVALID_UTF8), utf8('"}}'));
      break;
    case 'huge':
      body = utf8(
        JSON.stringify({
          trigger: 'WRITE_OPERATION_FAILURE',
          data: { root_job_id: jobId, errors: ['e'.repeat(rng.between(MAX_WEBHOOK_BYTES, 400_000))] },
        }),
      );
      break;
    case 'empty':
      body = new Uint8Array(0);
      break;
  }
  const sign = (secret: string, bytes: Uint8Array) => createHmac('sha256', secret).update(bytes).digest('hex');
  const good = sign(HOOK, body);
  const signature = rng.weighted([
    [10, 'missing'],
    [5, 'empty'],
    [22, 'valid'],
    [5, 'uppercase'],
    [5, 'whitespace'],
    [5, 'short'],
    [4, 'long'],
    [8, 'wrong_secret'],
    [5, 'prefixed'],
    [8, 'altered_body'],
    [5, 'replayed'],
    [5, 'random_hex'],
    [4, 'not_hex'],
    [4, 'twice'],
    [3, 'latin1'],
  ] as const);
  let sent = body;
  let value: string | undefined;
  switch (signature) {
    case 'missing':
      break;
    case 'empty':
      value = '';
      break;
    case 'valid':
      value = good;
      break;
    case 'uppercase':
      value = good.toUpperCase();
      break;
    case 'whitespace':
      value = `${rng.pick([' ', '\t', '  '])}${good}${rng.pick([' ', '\t', ''])}`;
      break;
    case 'short':
      value = good.slice(0, rng.between(0, 63));
      break;
    case 'long':
      value = `${good}${rng.pick(['0', 'ff', '00'.repeat(32)])}`;
      break;
    case 'wrong_secret':
      value = sign(rng.pick(['whsec_wrong', ADMIN, `${HOOK}x`, HOOK.slice(0, -1), HOOK.toUpperCase()]), body);
      break;
    case 'prefixed':
      value = rng.pick([`sha256=${good}`, `v1,${good}`, `t=1,v1=${good}`]);
      break;
    case 'altered_body': {
      value = good;
      sent = body.length === 0 ? new Uint8Array([0x20]) : body.slice();
      const at = rng.int(sent.length);
      sent[at] = (sent[at]! ^ (1 << rng.int(8))) & 0xff;
      break;
    }
    case 'replayed': {
      const before = w.webhookBodies.length > 0 ? rng.pick(w.webhookBodies) : body;
      value = sign(HOOK, before);
      sent = concat(before, utf8(rng.pick([' ', '\n', '{}', '0'])));
      break;
    }
    case 'random_hex':
      value = rng.letters(64, '0123456789abcdef');
      break;
    case 'not_hex':
      value = rng.letters(64, 'ghijklmnopqrstuvwxyz-_');
      break;
    case 'twice':
      value = `${good}, ${good}`;
      break;
    case 'latin1':
      value = `${good.slice(0, 63)}\u00e9`;
      break;
  }
  if (w.webhookBodies.length < 50 && sent.length < 5000) w.webhookBodies.push(sent);
  const headers: [string, string][] = [['content-type', rng.chance(0.8) ? 'application/json' : (rng.pick(CONTENT_TYPES) ?? 'text/plain')]];
  if (value !== undefined) headers.push([rng.pick(['propexo-signature', 'Propexo-Signature', 'PROPEXO-SIGNATURE']), value]);
  if (rng.chance(0.1)) headers.push(['x-propexo-signature', good]);
  const stream = rng.chance(0.1);
  if (!stream && rng.chance(0.15))
    headers.push(['content-length', rng.chance(0.5) ? String(sent.length) : rng.pick(['1', '70000', 'abc'])]);
  const method = rng.chance(0.92) ? 'POST' : rng.pick(METHODS);
  const path = rng.chance(0.95) ? WEBHOOK : rng.pick([`${WEBHOOK}/`, `${WEBHOOK}?x=1`, '/v1/propexo/webhooks%2f', '/V1/PROPEXO/WEBHOOKS']);
  const carriesBody = method !== 'GET' && method !== 'HEAD' && method !== 'get' && method !== 'head';
  return { kind: `webhook:${content}:${signature}`, method, path, headers, ...(carriesBody ? { body: sent, stream } : {}) };
}
