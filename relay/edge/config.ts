import { parseConfig, type RelayConfig } from '../config.js';
import type { EdgeEnv } from './env.js';

let cached: Promise<RelayConfig> | undefined;

/**
 * The relay's configuration from a Worker's env: the same keys and checks as on Node, with the
 * sites from SITES_JSON or, when that is unset, the key `sites` of the SITES KV namespace. Parsed
 * once per isolate; a bad value throws a ConfigError naming the key (and every request fails
 * loudly until it is fixed, rather than half-working).
 */
export function edgeConfig(env: EdgeEnv): Promise<RelayConfig> {
  cached ??= (async () => {
    const vars: Record<string, string | undefined> = {};
    for (const [key, value] of Object.entries(env)) if (typeof value === 'string') vars[key] = value;
    if (vars.SITES_JSON === undefined && env.SITES) vars.SITES_JSON = (await env.SITES.get('sites')) ?? undefined;
    return parseConfig(vars);
  })().catch((err: unknown) => {
    cached = undefined; // a fixed KV value is picked up on the next request
    throw err;
  });
  return cached;
}
