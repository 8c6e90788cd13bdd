/**
 * The demo on Cloudflare Workers (`npm run dev:edge`, demo/edge.ts): the community pages of
 * demo/site.ts in front of the relay's own Worker, which this wraps unchanged. The relay's Worker
 * (relay/runtime/worker/worker.ts, what `wrangler deploy` ships) knows nothing of the demo.
 */
import type { Fetcher } from 'cloudflare:workers';
import type { Hono } from 'hono';
import type { EdgeEnv } from '../relay/runtime/worker/env.js';
import relay, { LimiterObject, OutboxObject } from '../relay/runtime/worker/worker.js';
import { readAsset } from '../relay/runtime/worker/assets.js';
import { demoSite } from './site.js';

// wrangler.toml's Durable Object bindings name these classes in the entry module.
export { LimiterObject, OutboxObject };

let site: { app: Hono; assets: Fetcher } | undefined;

export default {
  fetch(request: Request, env: EdgeEnv): Response | Promise<Response> {
    // One site per isolate; the pages come from the same static assets as the widget.
    if (site?.assets !== env.ASSETS) {
      site = {
        app: demoSite({ fetch: (req, e) => relay.fetch(req, e as EdgeEnv) }, (path) => readAsset(env.ASSETS, path)),
        assets: env.ASSETS,
      };
    }
    return site.app.fetch(request, env);
  },
};
