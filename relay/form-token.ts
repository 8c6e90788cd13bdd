/**
 * The form token: `GET /v1/sites/:site/form` hands the widget a token signed with the relay's key
 * and stamped with the time; a lead sent back with it less than MIN_FILL_MS later was filled faster
 * than a person can (a bot), and one with a forged or foreign token did not come from the form.
 * The key is derived from the Propexo token, so every relay of one deployment (Node instances, every
 * Worker isolate) agrees on it without another secret to manage, and it never leaves the relay.
 */
export const MIN_FILL_MS = 3_000;
export const MAX_TOKEN_AGE_MS = 24 * 60 * 60 * 1000;

export type TokenVerdict = 'ok' | 'invalid' | 'too_fast' | 'expired';

export interface FormTokens {
  issue(site: string, now: number): Promise<string>;
  check(site: string, token: string, now: number): Promise<TokenVerdict>;
}

const b64url = (bytes: ArrayBuffer) => btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

export function createFormTokens(propexoToken: string): FormTokens {
  const enc = new TextEncoder();
  const key = (async () => {
    const root = await crypto.subtle.importKey('raw', enc.encode(propexoToken), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    const derived = await crypto.subtle.sign('HMAC', root, enc.encode('resman-lead-form/form-token/v1'));
    return crypto.subtle.importKey('raw', derived, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  })();
  const sign = async (site: string, issuedAt: number) => b64url(await crypto.subtle.sign('HMAC', await key, enc.encode(`${site}.${issuedAt}`)));

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
