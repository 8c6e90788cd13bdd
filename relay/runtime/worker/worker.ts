/**
 * The Workers entry: the same `createRelay(deps)` as on Node, with the outbox and every limit in
 * Durable Objects (exact across Cloudflare's whole network), the widget from static assets, and the
 * client's address from CF-Connecting-IP. Delivery runs in the outbox object's alarm.
 *
 * Only the relay: the demo's pages come from demo/worker.ts, which wraps this Worker, so nothing of
 * demo/ (or sandbox/) is in the bundle `wrangler deploy` builds from here.
 */
import { errorEnvelope } from '../../../contract/errors.js';
import { createRelay } from '../../app.js';
import { secretsOf } from '../../config/env.js';
import { webCryptoHashing } from '../../lib/hash.js';
import { createLogger } from '../../lib/log.js';
import { assetsFromFetcher } from './assets.js';
import { edgeConfig } from './config.js';
import type { EdgeEnv } from './env.js';
import { LimiterObject, durableObjectLimiter } from './limiter-object.js';
import { OutboxObject, remoteLeadStore } from './outbox-object.js';

export { LimiterObject, OutboxObject };

type App = { fetch(request: Request, env: EdgeEnv): Response | Promise<Response> };
let app: Promise<App> | undefined;

async function build(env: EdgeEnv): Promise<App> {
  const config = await edgeConfig(env);
  return createRelay({
    config,
    clock: Date,
    limiter: durableObjectLimiter(env.LIMITER),
    store: remoteLeadStore(env.OUTBOX),
    logger: createLogger({ level: config.logLevel, secrets: secretsOf(config) }),
    getClientIp: (c) => c.req.header('cf-connecting-ip'),
    assets: assetsFromFetcher(env.ASSETS),
    // WebCrypto, native in workerd (node:crypto would need nodejs_compat); the same bytes as Node's.
    hashing: webCryptoHashing,
  });
}

export default {
  async fetch(request: Request, env: EdgeEnv): Promise<Response> {
    try {
      app ??= build(env);
      return await (await app).fetch(request, env);
    } catch (err) {
      app = undefined;
      // A configuration error: say so in the log (the message names the key), generically to the client.
      createLogger().error('worker.not_configured', { error: err });
      return Response.json(errorEnvelope('internal_error', 'The relay is not configured.'), { status: 500 });
    }
  },
};
