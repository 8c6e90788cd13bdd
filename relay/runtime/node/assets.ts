/** The built widget read from disk, for the Node entry. */
import { readFile } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import { contentTypeFor, safeAssetPath, type WidgetAssets } from '../../http/widget-assets.js';

export function createFsAssets(dir: string): WidgetAssets {
  const root = resolve(dir);
  return {
    async get(path) {
      const safe = safeAssetPath(path);
      if (safe === null) return null;
      const file = resolve(root, safe);
      // Belt and braces: the app already refused unsafe paths, but this file must not trust it.
      if (!file.startsWith(root + sep)) return null;
      try {
        return { body: await readFile(file), contentType: contentTypeFor(safe) };
      } catch {
        // Missing file, a directory, or unreadable: all the same 404 to the client.
        return null;
      }
    },
  };
}
