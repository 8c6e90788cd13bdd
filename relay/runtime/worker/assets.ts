/** Workers static assets (the ASSETS binding): the built widget as the relay's WidgetAssets. */
import type { Fetcher } from 'cloudflare:workers';
import { contentTypeFor, type WidgetAssets } from '../../http/widget-assets.js';

/** The bytes of `path` under the assets directory, or null when there is no such file. */
export async function readAsset(assets: Fetcher, path: string): Promise<Uint8Array | null> {
  const res = await assets.fetch(new Request(`https://assets.invalid/${path}`));
  return res.ok ? new Uint8Array(await res.arrayBuffer()) : null;
}

/** `prefix`: the folder under the assets directory these files are in (`console/`), none for the widget's. */
export function assetsFromFetcher(assets: Fetcher, prefix = ''): WidgetAssets {
  return {
    async get(path) {
      const body = await readAsset(assets, `${prefix}${path}`);
      return body ? { body, contentType: contentTypeFor(path) } : null;
    },
  };
}
