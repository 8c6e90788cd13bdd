/**
 * The two hash primitives the relay needs (SHA-256 for lead fingerprints, HMAC-SHA-256 for form
 * tokens), injected so each runtime uses its cheapest: WebCrypto here (every runtime has it; on Node
 * each call is a job on libuv's thread pool, awaited), node:crypto on Node (relay/runtime/node/hash.ts:
 * synchronous, no thread hop). Implementations only hash bytes; the text is always UTF-8 encoded and
 * every encoding of a result (hex, base64url) is done here, once, so two implementations cannot
 * disagree on anything but the hash itself. Fingerprints are stored and compared across restarts
 * and form tokens issued by one relay are checked by another: all implementations must give the same
 * bytes (test/relay/hash.test.ts and test/runtimes/hash.test.ts compare them).
 */

export type Digest = Uint8Array | Promise<Uint8Array>;

export interface Hashing {
  /** SHA-256 of `text`'s UTF-8 bytes. */
  sha256(text: string): Digest;
  /** A signer keyed with `key` (raw bytes, at least one): HMAC-SHA-256 of `text`'s UTF-8 bytes. */
  hmacSha256(key: Uint8Array): (text: string) => Digest;
}

const utf8 = new TextEncoder();

/** WebCrypto's SubtleCrypto: the default, and what the Worker uses. */
export const webCryptoHashing: Hashing = {
  sha256: async (text) => new Uint8Array(await crypto.subtle.digest('SHA-256', utf8.encode(text))),
  hmacSha256(key) {
    const imported = crypto.subtle.importKey('raw', new Uint8Array(key), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    // Surfaced by the signer's first call; not an unhandled rejection meanwhile.
    imported.catch(() => {});
    return async (text) => new Uint8Array(await crypto.subtle.sign('HMAC', await imported, utf8.encode(text)));
  },
};

export const utf8Bytes = (text: string): Uint8Array => utf8.encode(text);

const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));

/** Lowercase hex, two digits a byte. */
export function hex(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += HEX[bytes[i]!];
  return out;
}

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** Base64url (RFC 4648 §5) without padding. */
export function base64url(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += B64URL[n >> 18]! + B64URL[(n >> 12) & 63]! + B64URL[(n >> 6) & 63]! + B64URL[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += B64URL[n >> 18]! + B64URL[(n >> 12) & 63]!;
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += B64URL[n >> 18]! + B64URL[(n >> 12) & 63]! + B64URL[(n >> 6) & 63]!;
  }
  return out;
}
