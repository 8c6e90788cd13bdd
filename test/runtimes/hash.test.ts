/**
 * The Worker's hashing (WebCrypto, run in workerd) and the Node relay's (node:crypto) give the same
 * SHA-256, HMAC-SHA-256, fingerprints and form tokens on the same inputs, unicode and lone
 * surrogates included: a lead's fingerprints and a form token mean the same on either runtime.
 *
 * One difference that is not the hashing's: `fold` (NFKC, lower case) follows each runtime's ICU,
 * and a character assigned in a Unicode version one has and the other lacks folds differently
 * (Node 20.20's ICU 78 is Unicode 17; this workerd's is older: U+A7CE, U+16EA0… lower-case on Node
 * only). Fingerprints are compared for the leads whose texts fold alike on both.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Submission } from '../../contract/submission.js';
import { fingerprints, fold } from '../../relay/outbox/delivery/fingerprint.js';
import { createFormTokens } from '../../relay/spam/form-token.js';
import { hex } from '../../relay/lib/hash.js';
import { nodeHashing } from '../../relay/runtime/node/hash.js';
import { hashingInputs, seededRandom } from '../relay/support/hash-inputs.js';
import { startWorker, type Workerd } from '../relay/support/workerd.js';

let worker: Workerd;
beforeAll(async () => {
  worker = await startWorker('test/relay/support/hash-worker.ts');
});
afterAll(() => worker?.dispose());

describe('hashing: workerd (WebCrypto) and Node (node:crypto)', () => {
  it('agree on SHA-256, HMAC-SHA-256, fingerprints and form tokens for 400 inputs', async () => {
    const texts = hashingInputs(400, 5);
    const random = seededRandom(9);
    const keys = texts.map((_, i) => Array.from({ length: 1 + (i % 150) }, () => Math.floor(random() * 256)));
    const ask = { texts, keys, site: 'oak-grove', secret: 'ptx_runtime_hash_Ünïcødé_😀', at: 1_767_225_600_000 };
    const res = await worker.fetch('/', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ask) });
    expect(res.status).toBe(200);
    const edge = (await res.json()) as { sha256: string[]; hmac: string[]; folded: string[]; fingerprints: string[][]; token: string };

    const node = {
      sha256: texts.map((t) => hex(nodeHashing.sha256(t) as Uint8Array)),
      hmac: texts.map((t, i) => hex(nodeHashing.hmacSha256(Uint8Array.from(keys[i]!))(t) as Uint8Array)),
      fingerprints: [] as string[][],
      token: await createFormTokens(ask.secret, nodeHashing).issue(ask.site, ask.at),
    };
    for (let i = 0; i + 3 < texts.length; i += 4) {
      const [first_name, last_name, email_1, phone_1] = texts.slice(i, i + 4) as [string, string, string, string];
      node.fingerprints.push(await fingerprints(`site-${i}`, { first_name, last_name, email_1, phone_1 } as Submission, nodeHashing));
    }
    expect(edge.sha256).toHaveLength(texts.length);
    for (const [i, text] of texts.entries()) {
      expect({ text, sha256: edge.sha256[i], hmac: edge.hmac[i] }).toEqual({ text, sha256: node.sha256[i], hmac: node.hmac[i] });
    }
    const foldsAlike = (i: number) => texts.slice(i * 4, i * 4 + 4).every((t, j) => fold(t) === edge.folded[i * 4 + j]);
    const compared = node.fingerprints.filter((_, i) => foldsAlike(i));
    expect(compared.length).toBeGreaterThanOrEqual(node.fingerprints.length * 0.9);
    expect(edge.fingerprints.filter((_, i) => foldsAlike(i))).toEqual(compared);
    expect(edge.token).toBe(node.token);
  });
});
