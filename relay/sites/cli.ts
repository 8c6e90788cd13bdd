/**
 * `npm run sites -- <command>`: the operator's tools for the sites JSON, with the relay's own
 * environment (PROPEXO_API_TOKEN, PROPEXO_BASE_URL, SITES_FILE or SITES_JSON, REDIS_URL…).
 *
 *   check [--file sites.json] [--json]         every site's ids against Propexo's lists
 *   discover --integration ID [--property ID]  an integration's properties, employees and lead sources;
 *     [--employee ID] [--lead-source ID]       with --property, a ready site entry on stdout
 *     [--origin URL]… [--map utm=ID]… [--slug S] [--name N]
 *   schema [--check]                           writes sites.schema.json (--check: exit 1 if stale)
 *
 * Exit status: 0 done (every site ok); 1 a site or a chosen id is wrong (or the schema is stale);
 * 2 a usage or configuration error; 3 Propexo could not be read (an outage, a 429, a refused token).
 * Propexo's requests are paced by UPSTREAM_RATE_PER_MINUTE, shared with the relays through REDIS_URL.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError } from '../config/config-error.js';
import { parseConfig, parsePropexoEnv, type Env } from '../config/env.js';
import { SITES_SCHEMA_FILE, sitesJsonSchemaText } from '../config/sites-schema.js';
import { createLogger } from '../lib/log.js';
import { createMemoryLimiter } from '../limits/memory.js';
import { createRedisLimiter } from '../limits/redis.js';
import type { RateLimiter } from '../limits/types.js';
import { createUpstreamBudget, realSleep } from '../outbox/delivery/budget.js';
import { DEFAULT_POLICY } from '../outbox/delivery/policy.js';
import type { PropexoDirectory } from '../propexo/directory.js';
import { checkSites } from './check.js';
import { discover } from './discover.js';
import { pacedDirectory } from './paced.js';

const USAGE = `usage: npm run sites -- check [--file sites.json] [--json]
       npm run sites -- discover --integration ID [--property ID] [--employee ID] [--lead-source ID] [--origin URL]... [--map utm=ID]... [--slug S] [--name N]
       npm run sites -- schema [--check]`;

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

/** The directory, paced by the upstream budget (shared through Redis when REDIS_URL is set); `close` ends Redis. */
async function pacedLists(env: Env, io: CliIo): Promise<{ directory: PropexoDirectory; close(): Promise<void> }> {
  const propexo = parsePropexoEnv(env);
  const logger = createLogger({ level: 'warn', secrets: [propexo.token], sink: (line) => io.err(line) });
  let limiter: RateLimiter = createMemoryLimiter();
  const redis = propexo.redisUrl
    ? createRedisLimiter({
        url: propexo.redisUrl,
        logger,
        prefix: 'resman:budget:',
        onUnavailable: 'deny',
        commandTimeoutMs: propexo.redisCommandTimeoutMs,
      })
    : undefined;
  if (redis && (await redis.ready())) limiter = redis;
  else if (redis) io.err('Redis does not answer: pacing this run on its own.');
  const budget = createUpstreamBudget({
    limiter,
    clock: Date,
    sleep: realSleep,
    policy: { ...DEFAULT_POLICY, upstreamPerMinute: propexo.upstreamPerMinute },
  });
  const http = { baseUrl: propexo.baseUrl, token: propexo.token, fetch: globalThis.fetch, timeoutMs: propexo.timeoutMs };
  return { directory: pacedDirectory(http, budget), close: async () => void (await redis?.close()) };
}

async function check(env: Env, values: { file?: string; json?: boolean }, io: CliIo): Promise<number> {
  const sitesEnv = values.file ? { ...env, SITES_FILE: values.file, SITES_JSON: undefined } : env;
  const config = parseConfig(sitesEnv, { readFile: (path) => readFileSync(path, 'utf8') });
  const lists = await pacedLists(env, io);
  try {
    const sites = [...config.sites.values()];
    const verdicts = await checkSites(sites, lists.directory);
    const report = sites.map((site) => {
      const verdict = verdicts.get(site.slug)!;
      const status = verdict.problems.length > 0 ? 'misconfigured' : verdict.error ? 'unknown' : 'ok';
      return { site: site.slug, status, problems: verdict.problems, ...(verdict.error ? { error: verdict.error } : {}) };
    });
    if (values.json) io.out(JSON.stringify({ sites: report }, null, 2));
    else {
      const width = Math.max(...report.map((r) => r.site.length));
      for (const r of report) {
        io.out(`${r.site.padEnd(width)}  ${r.status}${r.error ? ` (${r.error})` : ''}`);
        for (const p of r.problems) io.out(`  ${p.field}: ${p.id}: ${p.detail} (${p.problem})`);
      }
      const count = (s: string) => report.filter((r) => r.status === s).length;
      io.out(
        `${report.length} site(s): ${count('ok')} ok, ${count('misconfigured')} misconfigured, ${count('unknown')} could not be checked`,
      );
    }
    if (report.some((r) => r.status === 'misconfigured')) return 1;
    return report.some((r) => r.status === 'unknown') ? 3 : 0;
  } finally {
    await lists.close();
  }
}

type DiscoverValues = Partial<Record<'integration' | 'property' | 'employee' | 'lead-source' | 'slug' | 'name', string>> & {
  origin?: string[];
  map?: string[];
};

async function discoverCommand(env: Env, values: DiscoverValues, io: CliIo): Promise<number> {
  if (!values.integration) {
    io.err('discover needs --integration <Propexo integration id>.');
    return 2;
  }
  const lists = await pacedLists(env, io);
  try {
    const outcome = await discover(lists.directory, {
      integration: values.integration,
      map: values.map ?? [],
      origins: values.origin ?? [],
      ...(values.property ? { property: values.property } : {}),
      ...(values.employee ? { employee: values.employee } : {}),
      ...(values['lead-source'] ? { leadSource: values['lead-source'] } : {}),
      ...(values.slug ? { slug: values.slug } : {}),
      ...(values.name ? { name: values.name } : {}),
    });
    // Asked for an entry, stdout is the entry alone (to paste, or to pipe into a file): the rest goes to stderr.
    const say = values.property ? io.err : io.out;
    for (const line of outcome.text) say(line);
    if (outcome.entry) io.out(JSON.stringify(outcome.entry, null, 2));
    return outcome.code;
  } finally {
    await lists.close();
  }
}

function schema(root: string, values: { check?: boolean }, io: CliIo): number {
  const path = join(root, SITES_SCHEMA_FILE);
  const text = sitesJsonSchemaText();
  if (values.check) {
    let current = '';
    try {
      current = readFileSync(path, 'utf8');
    } catch {
      // missing: stale
    }
    if (current === text) return 0;
    io.err(`${SITES_SCHEMA_FILE} is stale: run npm run sites -- schema`);
    return 1;
  }
  writeFileSync(path, text);
  io.out(`wrote ${path}`);
  return 0;
}

const OPTIONS = {
  file: { type: 'string' },
  json: { type: 'boolean' },
  check: { type: 'boolean' },
  integration: { type: 'string' },
  property: { type: 'string' },
  employee: { type: 'string' },
  'lead-source': { type: 'string' },
  origin: { type: 'string', multiple: true },
  map: { type: 'string', multiple: true },
  slug: { type: 'string' },
  name: { type: 'string' },
} as const;

export async function runSitesCommand(argv: string[], env: Env, io: CliIo, root = process.cwd()): Promise<number> {
  let parsed: ReturnType<typeof parseArgs<{ args: string[]; allowPositionals: true; options: typeof OPTIONS }>>;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: OPTIONS });
  } catch (err) {
    io.err(`${err instanceof Error ? err.message : String(err)}\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  try {
    switch (positionals[0]) {
      case 'check':
        return await check(env, values, io);
      case 'discover':
        return await discoverCommand(env, values, io);
      case 'schema':
        return schema(root, values, io);
      default:
        io.err(USAGE);
        return 2;
    }
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    io.err(`Configuration error:\n${err.message}`);
    return 2;
  }
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'))) {
  const io: CliIo = { out: (t) => console.log(t), err: (t) => console.error(t) };
  const code = await runSitesCommand(process.argv.slice(2), process.env, io).catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    return 2;
  });
  process.exit(code);
}
