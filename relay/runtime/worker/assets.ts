import type { Fetcher } from 'cloudflare:workers';
import { contentTypeFor, type WidgetAssets } from '../../http/widget-assets.js';

/** Workers static assets (the ASSETS binding) as the relay's WidgetAssets, and as the demo's page reader. */
export function assetsFromFetcher(assets: Fetcher): WidgetAssets & { read(path: string): Promise<Uint8Array | null> } {
  const read = async (path: string) => {
    const res = await assets.fetch(new Request(`https://assets.invalid/${path}`));
    return res.ok ? new Uint8Array(await res.arrayBuffer()) : null;
  };
  return {
    read,
    async get(path) {
      const body = await read(path);
      return body ? { body, contentType: contentTypeFor(path) } : null;
    },
  };
}
