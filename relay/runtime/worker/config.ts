import { parseConfig, type RelayConfig } from '../../config/env.js';
import type { EdgeEnv } from './env.js';

/** How long an isolate keeps the parsed configuration: sites added to KV show within a minute. */
export const CONFIG_TTL_MS = 60_000;

let cached: { at: number; config: Promise<RelayConfig> } | undefined;

/**
 * The relay's configuration from a Worker's env: the same keys and checks as on Node, with the
 * sites from SITES_JSON or, when that is unset, the key `sites` of the SITES KV namespace (a var
 * holds 5 KB, a dozen sites; KV holds hundreds). Parsed at most once a minute per isolate; a bad
 * value throws a ConfigError naming the key.
 */
export function edgeConfig(env: EdgeEnv, now = Date.now()): Promise<RelayConfig> {
  if (cached && now - cached.at < CONFIG_TTL_MS) return cached.config;
  const config = (async () => {
    const vars: Record<string, string | undefined> = {};
    for (const [key, value] of Object.entries(env)) if (typeof value === 'string') vars[key] = value;
    if (vars.SITES_JSON === undefined && env.SITES) vars.SITES_JSON = (await env.SITES.get('sites')) ?? undefined;
    return parseConfig(vars);
  })();
  const entry = { at: now, config };
  cached = entry;
  config.catch(() => {
    if (cached === entry) cached = undefined; // a fixed value is picked up on the next request
  });
  return config;
}
