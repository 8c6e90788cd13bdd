/**
 * A test worker for workerd (bundled by support/workerd.ts, never imported by Node): the relay's
 * WebCrypto hashing (relay/lib/hash.ts) as the Worker runs it, so test/runtimes/hash.test.ts can compare
 * it with Node's node:crypto hashing on the same inputs.
 *
 * POST / with { texts: string[], keys: number[][], site: string, secret: string, at: number }
 * answers { sha256, hmac, folded, fingerprints, token }: SHA-256 of each text (hex); HMAC-SHA-256 of
 * each text with the key of the same index (hex); each text as `fold` leaves it here; the fingerprints
 * of leads built from four texts at a time; the form token issued for `site` at `at` with `secret`
 * as the Propexo token.
 */
import type { Submission } from '../../../contract/submission.js';
import { fingerprints, fold } from '../../../relay/outbox/delivery/fingerprint.js';
import { createFormTokens } from '../../../relay/spam/form-token.js';
import { hex, webCryptoHashing } from '../../../relay/lib/hash.js';

interface Ask {
  texts: string[];
  keys: number[][];
  site: string;
  secret: string;
  at: number;
}

export default {
  async fetch(request: Request): Promise<Response> {
    const ask = (await request.json()) as Ask;
    const h = webCryptoHashing;
    const leads: string[][] = [];
    for (let i = 0; i + 3 < ask.texts.length; i += 4) {
      const [first_name, last_name, email_1, phone_1] = ask.texts.slice(i, i + 4) as [string, string, string, string];
      leads.push(await fingerprints(`site-${i}`, { first_name, last_name, email_1, phone_1 } as Submission, h));
    }
    return Response.json({
      sha256: await Promise.all(ask.texts.map(async (t) => hex(await h.sha256(t)))),
      hmac: await Promise.all(ask.texts.map(async (t, i) => hex(await h.hmacSha256(Uint8Array.from(ask.keys[i]!))(t)))),
      folded: ask.texts.map(fold),
      fingerprints: leads,
      token: await createFormTokens(ask.secret, h).issue(ask.site, ask.at),
    });
  },
};
