/**
 * The site check's requests out of the one upstream budget (outbox/delivery/budget.ts), page by page,
 * like every request the deliverer makes: a check never spends what Propexo would answer 429 to.
 */
import type { UpstreamBudget } from '../outbox/delivery/budget.js';
import { createPropexoDirectory, type PropexoDirectory } from '../propexo/directory.js';
import { createPropexoRequest, type PropexoHttpOptions, type PropexoRequest } from '../propexo/http.js';

/** `request`, each call after a share of `budget` (a wait `signal` may call off: the call then rejects). */
export function pacedRequest(request: PropexoRequest, budget: UpstreamBudget, signal?: () => AbortSignal | undefined): PropexoRequest {
  return async (method, path, body) => {
    await budget.take(signal?.());
    const answer = await request(method, path, body);
    budget.observe(answer);
    return answer;
  };
}

/** The directory the site check reads, paced by `budget`. */
export function pacedDirectory(http: PropexoHttpOptions, budget: UpstreamBudget, signal?: () => AbortSignal | undefined): PropexoDirectory {
  return createPropexoDirectory({ request: pacedRequest(createPropexoRequest(http), budget, signal) });
}
