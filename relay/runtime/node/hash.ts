/**
 * The relay's hashing (relay/lib/hash.ts) on node:crypto, for the Node entry: one-shot and synchronous,
 * a microsecond or two a call on the event loop, where WebCrypto on Node queues each call on libuv's
 * thread pool and resolves it turns later. Same bytes as WebCrypto's (strings hashed as UTF-8, as
 * TextEncoder encodes them: lone surrogates as U+FFFD).
 */
import { createHmac, createSecretKey, hash } from 'node:crypto';
import type { Hashing } from '../../lib/hash.js';

export const nodeHashing: Hashing = {
  sha256: (text) => hash('sha256', text, 'buffer'),
  hmacSha256(key) {
    if (key.byteLength === 0) throw new RangeError('hmacSha256: the key must not be empty');
    const secret = createSecretKey(key);
    return (text) => createHmac('sha256', secret).update(text, 'utf8').digest();
  },
};
