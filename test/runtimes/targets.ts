/**
 * The relay under test, on either runtime, behind one small interface: the Node relay in this
 * process (startRelay), or the Worker in workerd (Miniflare, the same bundle wrangler would run,
 * with its Durable Objects). Both talk to the embedded Propexo sandbox over loopback.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
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
  close(): Promise<void>;
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

/** `log`: receives every line the Node relay writes, after the hygiene check. */
export async function nodeTarget(vars: Record<string, string>, options: { log?: string[] } = {}): Promise<RelayTarget> {
  const dataDir = await mkdtemp(join(tmpdir(), 'relay-runtime-'));
  const relay = await startRelay(
    { ...vars, PORT: String(await freePort()), HOST: '127.0.0.1', DATA_DIR: dataDir, WIDGET_DIR: join(ROOT, 'dist/widget') },
    { logger: createLogger({ secrets: [vars.PROPEXO_API_TOKEN!, ADMIN_TOKEN, WEBHOOK_SECRET], sink: checkedSink(options.log) }) },
  );
  return {
    url: relay.url,
    fetchFromInternet: (path, init) => fetch(`${relay.url}${path}`, init),
    close: async () => {
      await relay.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export interface WorkerdTargetOptions {
  /**
   * Receives everything the Worker prints, in chunks as they come (a line may span two), after the
   * hygiene check: its info lines on stdout, warnings and errors on stderr.
   */
  onOutput?: (chunk: string, stream: 'stdout' | 'stderr') => void;
}

export async function workerdTarget(vars: Record<string, string>, options: WorkerdTargetOptions = {}): Promise<RelayTarget> {
  const worker = await startWorker(join(ROOT, 'relay/runtime/worker/worker.ts'), {
    durableObjects: {
      OUTBOX: { className: 'OutboxObject', useSQLite: true },
      LIMITER: { className: 'LimiterObject', useSQLite: true },
    },
    bindings: vars,
    miniflare: {
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
      // Static assets as the Worker sees them: the built widget, served by this process.
      serviceBindings: {
        ASSETS: async (request: Request) => {
          const path = new URL(request.url).pathname.slice(1);
          const body =
            /^[\w/.-]+$/.test(path) && !path.includes('..') ? await readFile(join(ROOT, 'dist/widget', path)).catch(() => null) : null;
          return body
            ? new Response(body, { headers: { 'content-type': contentTypeFor(path) } })
            : new Response('not found', { status: 404 });
        },
      },
    },
  });
  return {
    url: worker.url.origin,
    fetchFromInternet: (path, init) => worker.fetch(`${PUBLIC_HOST}${path}`, init),
    close: () => worker.dispose(),
  };
}
