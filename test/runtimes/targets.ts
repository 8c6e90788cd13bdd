/**
 * The relay under test, on either runtime, behind one small interface: the Node relay in this
 * process (startRelay), or the Worker in workerd (Miniflare, the same bundle wrangler would run,
 * with its Durable Objects). Both talk to the embedded Propexo sandbox over loopback.
 */
import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { contentTypeFor } from '../../relay/http/widget-assets.js';
import { createLogger } from '../../relay/lib/log.js';
import { startRelay } from '../../relay/runtime/node/server.js';
import { freePort } from '../support/free-port.js';
import type { Readable } from 'node:stream';
import { checkText, checkedSink } from '../support/hygiene.js';
import { REALTIME_POLICY } from '../relay/fixtures.js';
import { startWorker } from '../relay/support/workerd.js';

const ROOT = join(import.meta.dirname, '../..');
export const ORIGIN = 'https://www.oakgrove.example';
export const ADMIN_TOKEN = 'adm_runtime_suite_0123456789';
export const WEBHOOK_SECRET = 'whsec_runtime_suite_1';

export interface RelayTarget {
  /** Base URL without a trailing slash. */
  url: string;
  /**
   * A request as it comes from the internet: in workerd, on a host name Cloudflare would route (a
   * local host makes the Worker ignore CF-Connecting-IP); on Node, the same as a fetch to `url`.
   */
  fetchFromInternet(path: string, init?: RequestInit): Promise<Response>;
  /**
   * With `reloadableSites`: replaces the sites the relay re-reads every second (its SITES_FILE on
   * Node, the SITES KV namespace's key in workerd).
   */
  setSites?(sites: object): Promise<void>;
  close(): Promise<void>;
}

export interface TargetOptions {
  /**
   * The sites, kept where the relay re-reads them (SITES_REFRESH_SECONDS=1) instead of SITES_JSON:
   * a SITES_FILE on Node, the SITES KV namespace in workerd. `setSites` then changes them.
   */
  reloadableSites?: object;
  /**
   * Receives everything the relay logs, after the hygiene check: in workerd, in chunks as they come
   * (a line may span two), its info lines on stdout, warnings and errors on stderr; on Node, line by line.
   */
  onOutput?: (chunk: string, stream: 'stdout' | 'stderr') => void;
  /** Node only: receives every line the relay writes, after the hygiene check. */
  log?: string[];
}

/** The host the workerd target's internet requests name (Miniflare passes it on as the request's URL). */
export const PUBLIC_HOST = 'https://relay.example.com';

/** What both runtimes are configured with: the same keys, as env on Node and as bindings in workerd. */
export function relayVars(sandboxUrl: string, token: string, sites: object): Record<string, string> {
  return {
    PROPEXO_API_TOKEN: token,
    PROPEXO_BASE_URL: sandboxUrl,
    SITES_JSON: JSON.stringify(sites),
    ADMIN_TOKEN,
    PROPEXO_WEBHOOK_SECRET: WEBHOOK_SECRET,
    UPSTREAM_TIMEOUT_MS: '300',
    UPSTREAM_RATE_PER_MINUTE: '100000',
    LOG_LEVEL: 'info',
    DELIVERY_POLICY: JSON.stringify(REALTIME_POLICY),
  };
}

export async function nodeTarget(vars: Record<string, string>, options: TargetOptions = {}): Promise<RelayTarget> {
  const dataDir = await mkdtemp(join(tmpdir(), 'relay-runtime-'));
  const sitesFile = join(dataDir, 'sites.json');
  // Written whole, then renamed over the old file: the relay never reads half a file.
  const setSites = async (sites: object) => {
    await writeFile(`${sitesFile}.new`, JSON.stringify(sites));
    await rename(`${sitesFile}.new`, sitesFile);
  };
  if (options.reloadableSites) await setSites(options.reloadableSites);
  const sitesVars = options.reloadableSites ? { SITES_JSON: '', SITES_FILE: sitesFile, SITES_REFRESH_SECONDS: '1' } : {};
  const output = options.onOutput;
  const relay = await startRelay(
    { ...vars, ...sitesVars, PORT: String(await freePort()), HOST: '127.0.0.1', DATA_DIR: dataDir, WIDGET_DIR: join(ROOT, 'dist/widget') },
    {
      logger: createLogger({
        secrets: [vars.PROPEXO_API_TOKEN!, ADMIN_TOKEN, WEBHOOK_SECRET],
        sink: checkedSink(
          output
            ? (line, level) => {
                options.log?.push(line);
                output(`${line}\n`, level === 'warn' || level === 'error' ? 'stderr' : 'stdout');
              }
            : options.log,
        ),
      }),
    },
  );
  return {
    url: relay.url,
    fetchFromInternet: (path, init) => fetch(`${relay.url}${path}`, init),
    ...(options.reloadableSites ? { setSites } : {}),
    close: async () => {
      await relay.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export async function workerdTarget(vars: Record<string, string>, options: TargetOptions = {}): Promise<RelayTarget> {
  const kv = options.reloadableSites !== undefined;
  const worker = await startWorker(join(ROOT, 'relay/runtime/worker/worker.ts'), {
    durableObjects: {
      OUTBOX: { className: 'OutboxObject', useSQLite: true },
      LIMITER: { className: 'LimiterObject', useSQLite: true },
    },
    bindings: kv ? { ...vars, SITES_JSON: '', SITES_REFRESH_SECONDS: '1' } : vars,
    miniflare: {
      ...(kv ? { kvNamespaces: ['SITES'] } : {}),
      // The Worker's own log lines go through the suite's hygiene check, like Node's.
      handleRuntimeStdio: (stdout: Readable, stderr: Readable) => {
        for (const [name, stream] of [
          ['stdout', stdout],
          ['stderr', stderr],
        ] as const) {
          stream.setEncoding('utf8').on('data', (chunk: string) => {
            checkText(chunk);
            options.onOutput?.(chunk, name);
          });
        }
      },
      // Static assets as the Worker sees them (build:edge's dist/edge): the built widget, and the
      // console's build under console/, served by this process.
      serviceBindings: {
        ASSETS: async (request: Request) => {
          const path = new URL(request.url).pathname.slice(1);
          const file = path.startsWith('console/') ? join(ROOT, 'dist', path) : join(ROOT, 'dist/widget', path);
          const body = /^[\w/.-]+$/.test(path) && !path.includes('..') ? await readFile(file).catch(() => null) : null;
          return body
            ? new Response(body, { headers: { 'content-type': contentTypeFor(path) } })
            : new Response('not found', { status: 404 });
        },
      },
    },
  });
  const sitesKv = kv ? ((await worker.mf.getKVNamespace('SITES')) as unknown as { put(key: string, value: string): Promise<void> }) : null;
  const setSites = async (sites: object) => sitesKv!.put('sites', JSON.stringify(sites));
  // Before any request: the Worker and its outbox object read the sites on their first.
  if (options.reloadableSites) await setSites(options.reloadableSites);
  return {
    url: worker.url.origin,
    fetchFromInternet: (path, init) => worker.fetch(`${PUBLIC_HOST}${path}`, init),
    ...(kv ? { setSites } : {}),
    close: () => worker.dispose(),
  };
}
