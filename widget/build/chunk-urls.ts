/**
 * Gives each lazy chunk's loader its chunk's final URL, so a failed download can be retried from a
 * new one (widget/lead-form/lazy.ts says why). In the sources a loader names its chunk twice:
 * `lazyChunk(() => import('./x.js'), chunkUrl('./x.js'))`. The bundler turns the import() into the
 * hashed chunk as usual; this plugin writes that chunk's URL, relative to the file that loads it, in
 * place of the `chunkUrl('./x.js')` call:
 *
 * - transform: `chunkUrl('./x.js')` becomes a placeholder string naming the module it resolves to;
 * - renderChunk: the placeholder becomes `./widget/x-<hash>.js` (rolldown fills in the hash after);
 * - generateBundle: the build fails if a lazily-loaded chunk has no retry URL, or if it statically
 *   imports anything but the entry: a shared chunk whose download failed would stay failed, and no
 *   retry of the chunk that imports it could ever succeed.
 */
import { dirname, relative } from 'node:path';
import type { Plugin } from 'vite';

const CALL = /\bchunkUrl\((['"])(\.{1,2}\/[^'"]+)\1\)/g;
const PLACEHOLDER = /(["'`])resman-chunk-url:([^"'`]+)\1/g;

export function chunkUrls(): Plugin {
  /** Module ids of the chunks given a retry URL. */
  const retryable = new Set<string>();
  return {
    name: 'resman-chunk-urls',
    apply: 'build',
    async transform(code, id) {
      if (!id.includes('/widget/') || !code.includes('chunkUrl(')) return null;
      let out = code;
      for (const [call, , path] of code.matchAll(CALL)) {
        const resolved = await this.resolve(path!, id);
        if (!resolved) this.error(`chunkUrl('${path}') in ${id}: no such module`);
        out = out.replace(call, JSON.stringify(`resman-chunk-url:${resolved.id}`));
      }
      return out;
    },
    renderChunk(code, chunk, _options, { chunks }) {
      if (!code.includes('resman-chunk-url:')) return null;
      return code.replace(PLACEHOLDER, (_, _quote, id: string) => {
        const target = Object.values(chunks).find((c) => c.facadeModuleId === id);
        if (!target) this.error(`chunkUrl: ${id} is not a chunk of its own; load it with import()`);
        retryable.add(id);
        return JSON.stringify(`./${relative(dirname(chunk.fileName), target.fileName)}`);
      });
    },
    generateBundle(_options, bundle) {
      const entry = Object.values(bundle).find((c) => c.type === 'chunk' && c.isEntry)!.fileName;
      for (const c of Object.values(bundle)) {
        if (c.type !== 'chunk' || !c.isDynamicEntry) continue;
        if (!retryable.has(c.facadeModuleId!))
          this.error(`${c.fileName} is loaded with import() but has no retry URL: load it through lazyChunk() in widget/lead-form/lazy.ts`);
        const others = c.imports.filter((f) => f !== entry);
        if (others.length > 0)
          this.error(
            `${c.fileName} imports ${others.join(', ')}: a lazy chunk may import only ${entry}, or a failed download of that file could never be retried`,
          );
      }
    },
  };
}
