/**
 * `npm start`: builds the widget, starts the embedded Propexo sandbox (unless PROPEXO_API_TOKEN is
 * set, in which case leads go to PROPEXO_BASE_URL), and starts the relay serving the demo page.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { startRelay, type RunningRelay } from '../relay/runtime/node/server.js';
import { ConfigError } from '../relay/config/config-error.js';
import type { Env } from '../relay/config/env.js';
import { createLogger } from '../relay/lib/log.js';
import { describeDatabaseUrl } from '../relay/outbox/store/postgres-schema.js';
import { OUTBOX_FILE } from '../relay/outbox/store/sqlite.js';
import { startSandbox, type RunningSandbox } from '../sandbox/index.js';
import { demoSite } from './site.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface RunningDemo {
  url: string;
  relay: RunningRelay;
  /** Absent when the demo sends to a real Propexo. */
  sandbox?: RunningSandbox;
  /** The admin token this run made (none given in ADMIN_TOKEN): printed, to sign in to the console with. */
  madeAdminToken?: string;
  close(): Promise<void>;
}

/** `quiet`: no console output; a function instead of `true` still receives every log line (tests check them). */
export async function startDemo(
  env: Env,
  options: { build?: boolean; quiet?: boolean | ((line: string) => void) } = {},
): Promise<RunningDemo> {
  if (options.build !== false) {
    await build({ root: ROOT, logLevel: options.quiet ? 'silent' : 'warn' });
    // The operator's console at /admin/, a build of its own.
    await build({ root: ROOT, logLevel: options.quiet ? 'silent' : 'warn', configFile: join(ROOT, 'vite.console.config.ts') });
  }
  const quietSink = typeof options.quiet === 'function' ? options.quiet : () => {};
  const log = options.quiet ? quietSink : (line: string) => console.log(line);
  const relayEnv: Record<string, string | undefined> = {
    HOST: '127.0.0.1',
    SITES_FILE: fileURLToPath(new URL('./sites.json', import.meta.url)),
    WIDGET_DIR: fileURLToPath(new URL('../dist/widget', import.meta.url)),
    ...env,
  };
  let sandbox: RunningSandbox | undefined;
  let scratch: string | undefined;
  if (!relayEnv.PROPEXO_API_TOKEN) {
    // A fresh token each run: the sandbox checks it like Propexo would, and nothing hard-codes it.
    const token = `sandbox_${randomBytes(16).toString('hex')}`;
    sandbox = await startSandbox({ token, port: Number(env.SANDBOX_PORT ?? 0), writeDelayMs: 1500, log });
    relayEnv.PROPEXO_API_TOKEN = token;
    relayEnv.PROPEXO_BASE_URL = sandbox.url;
    // The sandbox forgets everything when it stops, so the outbox starts empty with it.
    if (!env.DATA_DIR) relayEnv.DATA_DIR = scratch = await mkdtemp(join(tmpdir(), 'resman-demo-'));
  }
  // The admin API answers only with a token: the demo makes one per run (printed) unless given one.
  const madeAdminToken = relayEnv.ADMIN_TOKEN ? undefined : `demo_admin_${randomBytes(16).toString('hex')}`;
  relayEnv.ADMIN_TOKEN ??= madeAdminToken;
  const quiet = options.quiet ? { logger: createLogger({ sink: quietSink }) } : {};
  const pages = fileURLToPath(new URL('./public/', import.meta.url));
  const read = (path: string) => readFile(join(pages, path)).catch(() => null);
  const relay = await startRelay(relayEnv, quiet, { wrap: (app) => demoSite(app, read) });
  return {
    url: `${relay.url}/`,
    relay,
    sandbox,
    ...(madeAdminToken ? { madeAdminToken } : {}),
    close: async () => {
      await relay.close();
      await sandbox?.close();
      if (scratch) await rm(scratch, { recursive: true, force: true });
    },
  };
}

/** What `npm start` prints: where to look as a prospect, as the leasing office, and as the operator. */
export function demoBanner(demo: RunningDemo): string {
  const { config } = demo.relay;
  // The outbox CLI reads the same store the relay does: PostgreSQL when DATABASE_URL is set, else DATA_DIR.
  const where = config.databaseUrl
    ? { shown: describeDatabaseUrl(config.databaseUrl), env: 'DATABASE_URL=$DATABASE_URL' }
    : { shown: join(config.dataDir, OUTBOX_FILE), env: `DATA_DIR=${config.dataDir}` };
  return [
    '',
    `  Oak Grove demo:        ${demo.url}`,
    `  Oak Grove tours:       ${demo.url}tour`,
    `  Vista del Sol (es):    ${demo.url}vista/`,
    demo.sandbox
      ? `  Sandbox (Propexo):     ${demo.sandbox.url}/  (the leads it received)`
      : `  Sending to Propexo at  ${config.propexo.baseUrl}`,
    `  Outbox:                ${where.shown}`,
    `  Console (operator):    ${demo.relay.url}/admin/`,
    // A token the operator chose is theirs to know: only one this run made is printed.
    `  Admin token:           ${demo.madeAdminToken ?? 'the ADMIN_TOKEN you set'}`,
    '',
    '  As the operator, in another terminal:',
    `    ${where.env} npm run outbox -- stats`,
    `    ${where.env} npm run outbox -- list --status failed`,
    `    curl -H 'Authorization: Bearer ${demo.madeAdminToken ?? '$ADMIN_TOKEN'}' '${demo.relay.url}/admin/leads?limit=10'`,
    demo.madeAdminToken
      ? '  (The admin token was made for this run; set ADMIN_TOKEN yourself to choose it. docs/operator.md has the rest.)'
      : '  (docs/operator.md has the rest.)',
    '',
  ].join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    const demo = await startDemo(process.env);
    console.log(demoBanner(demo));
    const stop = () => void demo.close().then(() => process.exit(0));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(`Configuration error:\n${err.message}`);
    process.exit(1);
  }
}
