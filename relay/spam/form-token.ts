/**
 * The form token: `GET /v1/sites/:site/form` hands the widget a token signed with the relay's key
 * and stamped with the time; a lead sent back with it less than MIN_FILL_MS later was filled faster
 * than a person can (a bot), and one with a forged or foreign token did not come from the form.
 * The key is derived from the Propexo token, so every relay of one deployment (Node instances, every
 * Worker isolate) agrees on it without another secret to manage, and it never leaves the relay.
 * `hashing` is the runtime's (relay/lib/hash.ts); every implementation issues and accepts the same tokens.
 */
import { base64url, utf8Bytes, webCryptoHashing, type Hashing } from '../lib/hash.js';

export const MIN_FILL_MS = 3_000;
export const MAX_TOKEN_AGE_MS = 24 * 60 * 60 * 1000;

export type TokenVerdict = 'ok' | 'invalid' | 'too_fast' | 'expired';

export interface FormTokens {
  issue(site: string, now: number): Promise<string>;
  check(site: string, token: string, now: number): Promise<TokenVerdict>;
}

const KEY_LABEL = 'resman-lead-form/form-token/v1';

export function createFormTokens(propexoToken: string, hashing: Hashing = webCryptoHashing): FormTokens {
  // The signing key: HMAC-SHA-256(Propexo token, label). Derived once, then every call signs with it.
  let signer: ((text: string) => Uint8Array | Promise<Uint8Array>) | undefined;
  const ready = (async () => {
    signer = hashing.hmacSha256(await hashing.hmacSha256(utf8Bytes(propexoToken))(KEY_LABEL));
  })();
  ready.catch(() => {}); // rethrown by the first sign()
  const sign = async (site: string, issuedAt: number) => {
    if (signer === undefined) await ready;
    return base64url(await signer!(`${site}.${issuedAt}`));
  };

  return {
    async issue(site, now) {
      return `${now.toString(36)}.${await sign(site, now)}`;
    },
    async check(site, token, now) {
      const m = /^([0-9a-z]{1,12})\.([\w-]{43})$/.exec(token);
      if (!m) return 'invalid';
      const issuedAt = Number.parseInt(m[1]!, 36);
      const expected = await sign(site, issuedAt);
      // Constant time: compare every character.
      let diff = expected.length ^ m[2]!.length;
      for (let i = 0; i < expected.length; i++) diff |= expected.charCodeAt(i) ^ m[2]!.charCodeAt(i);
      if (diff !== 0) return 'invalid';
      if (now - issuedAt < MIN_FILL_MS) return 'too_fast';
      if (now - issuedAt > MAX_TOKEN_AGE_MS) return 'expired';
      return 'ok';
    },
  };
}
