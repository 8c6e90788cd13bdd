/**
 * The Workers entry: the same `createRelay(deps)` as on Node, with the outbox and every limit in
 * Durable Objects (exact across Cloudflare's whole network), the widget from static assets, and the
 * client's address from CF-Connecting-IP (ignored on a local runtime). Delivery runs in the outbox object's alarm.
 *
 * Only the relay: the demo's pages come from demo/worker.ts, which wraps this Worker, so nothing of
 * demo/ (or sandbox/) is in the bundle `wrangler deploy` builds from here.
 */
import type { ExecutionContext } from 'cloudflare:workers';
import { errorEnvelope } from '../../../contract/errors.js';
import { createRelay } from '../../app.js';
import { cloudflareClientIp } from '../../http/client-ip.js';
import { webCryptoHashing } from '../../lib/hash.js';
import { createLogger } from '../../lib/log.js';
import { assetsFromFetcher } from './assets.js';
import { edgeSetup, type EdgeSetup } from './config.js';
import type { EdgeEnv } from './env.js';
import { LimiterObject, durableObjectLimiter } from './limiter-object.js';
import { OutboxObject, remoteLeadStore, remoteReadiness, remoteSiteChecks } from './outbox-object.js';

export { LimiterObject, OutboxObject };

type App = { fetch(request: Request, env: EdgeEnv, ctx?: ExecutionContext): Response | Promise<Response> };
type Built = { app: App; sites: EdgeSetup['sites']; alerts: EdgeSetup['alerts'] };
let app: Promise<Built> | undefined;

async function build(env: EdgeEnv): Promise<Built> {
  const { config, logger, sites, alerts } = await edgeSetup(env);
  const relay = createRelay({
    config,
    // Looked up on each request: sites in KV are re-read every SITES_REFRESH_SECONDS.
    sites,
    clock: Date,
    limiter: durableObjectLimiter(env.LIMITER),
    store: remoteLeadStore(env.OUTBOX),
    logger,
    // CF-Connecting-IP, unless the Worker runs locally, where a client could have sent it.
    getClientIp: cloudflareClientIp(logger),
    assets: assetsFromFetcher(env.ASSETS),
    // The console's build, copied under console/ in the static assets by build:edge.
    consoleAssets: assetsFromFetcher(env.ASSETS, 'console/'),
    // WebCrypto, native in workerd (node:crypto would need nodejs_compat); the same bytes as Node's.
    hashing: webCryptoHashing,
    readiness: remoteReadiness(env.OUTBOX, logger),
    // Checked in the outbox object, where the deliverer that holds a misconfigured site's leads runs.
    siteChecks: remoteSiteChecks(env.OUTBOX),
    propexoState: () => env.OUTBOX.get(env.OUTBOX.idFromName('outbox')).propexoState(),
    // This isolate's: where the outbox object runs in another, its alerts are counted there.
    alertsSent: async () => alerts.sent(),
  });
  return { app: relay, sites, alerts };
}

/**
 * A body the relay encoded itself (the widget's brotli copies, relay/routes/widget.ts) goes out as it
 * is: by default workerd encodes a body again as its Content-Encoding says.
 */
function sentAsEncoded(res: Response): Response {
  if (!res.headers.has('content-encoding')) return res;
  const init: ResponseInit & { encodeBody: 'manual' } = {
    status: res.status,
    statusText: res.statusText,
    headers: res.headers,
    encodeBody: 'manual',
  };
  return new Response(res.body, init);
}

export default {
  async fetch(request: Request, env: EdgeEnv, ctx?: ExecutionContext): Promise<Response> {
    try {
      app ??= build(env);
      const built = await app;
      // Served from the sites in hand; a re-read, when due, runs beside the request (before it only
      // in an isolate idle for two intervals, whose sites may be long out of date).
      const waitFor = built.sites.beforeRequest((read) => ctx?.waitUntil(read));
      if (waitFor) await waitFor;
      const response = sentAsEncoded(await built.app.fetch(request, env, ctx));
      // An alert raised while answering (a refused Turnstile secret) is sent after the answer, not cut off with it.
      ctx?.waitUntil(built.alerts.settled());
      return response;
    } catch (err) {
      app = undefined;
      // A configuration error: say so in the log (the message names the key), generically to the client.
      createLogger().error('worker.not_configured', { error: err });
      return Response.json(errorEnvelope('internal_error', 'The relay is not configured.'), { status: 500 });
    }
  },
};
