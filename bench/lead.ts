/**
 * What every relay benchmark sends: the site, its roomy limits, and a submission shaped like the
 * widget's (the prospect's fields and `meta` with a valid form token and the visit's attribution),
 * unique per request (names, contact, Idempotency-Key) so nothing is deduplicated or replayed.
 */
import { createFormTokens } from '../relay/spam/form-token.js';
import { nodeHashing } from '../relay/runtime/node/hash.js';
import { SANDBOX_IDS } from '../sandbox/index.js';
import { moveInDate } from '../test/support/dates.js';

/** Shaped like a Propexo token; the sandbox checks it, form tokens are derived from it. */
export const BENCH_TOKEN = 'ptx_bench_0f1e2d3c4b5a69788796a5b4';
export const BENCH_ORIGIN = 'https://www.oakgrove.example';
export const SITE = 'oak-grove';
export const LEADS_PATH = `/v1/sites/${SITE}/leads`;

/** No benchmark comes near these: nothing is refused with 429. */
export const GENEROUS_LIMITS = {
  per_site: { max: 1_000_000, window_seconds: 60 },
  per_ip: { max: 1_000_000, window_seconds: 60 },
  per_ip_lookups: { max: 1_000_000, window_seconds: 60 },
};

/** `formToken: 'optional'` for a bench that posts without tokens (on a clock of its own, say), as a site's server would. */
export function benchSites(origins: string[] = [BENCH_ORIGIN], options: { formToken?: 'optional' } = {}): string {
  const site = { name: 'Oak Grove Apartments', ...SANDBOX_IDS, allowed_origins: origins, limits: GENEROUS_LIMITS };
  return JSON.stringify({ [SITE]: options.formToken ? { ...site, form_token: options.formToken } : site });
}

/**
 * Form tokens as GET /form hands them out, one per lead (a token is single use: a second lead with it
 * is held), issued `agoMs` ago (past the 3 s a person needs) and a millisecond apart. Minted before
 * a run, so minting is not timed; `count` must cover every lead the relay sees, or the rest are held.
 */
export async function formTokens(count: number, agoMs = 20_000, token = BENCH_TOKEN): Promise<string[]> {
  const tokens = createFormTokens(token, nodeHashing);
  const issuedAt = Date.now() - agoMs;
  return Promise.all(Array.from({ length: count }, (_, i) => tokens.issue(SITE, issuedAt - i)));
}

/** Relative to today: the relay refuses a move-in date in the past or over two years ahead. */
const MOVE_IN = moveInDate();

/** The n-th lead's JSON body. `run` keeps leads of separate runs apart. */
export function leadBody(n: number, run: string, token: string | undefined): string {
  const id = `${run}${n}`;
  return JSON.stringify({
    first_name: `Bench${id}`,
    last_name: 'Doe',
    email_1: `bench.${id}@gmail.com`,
    phone_1: '(512) 555-0142',
    target_move_in_date: MOVE_IN,
    desired_num_bedrooms: 2,
    notes: 'We have a cat.',
    meta: {
      ...(token ? { form_token: token } : {}),
      attribution: {
        utm_source: 'google',
        utm_medium: 'cpc',
        landing_page: 'https://www.oakgrove.example/?utm_source=google',
        referrer: 'https://www.google.com/',
      },
    },
  });
}

export function leadHeaders(n: number, run: string): Record<string, string> {
  return { origin: BENCH_ORIGIN, 'content-type': 'application/json', 'idempotency-key': `bench-${run}-${n}` };
}
