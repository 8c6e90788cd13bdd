/**
 * `npm run build:edge`: the widget into dist/edge (the Worker's static assets), then the Worker
 * bundled exactly as `wrangler deploy` would (a dry run into dist/worker), and its size printed:
 * raw and gzip, against the 60 KB gzip goal.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'vite';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
export const WORKER_GZIP_GOAL = 60 * 1024;

/** wrangler with no network of its own: no metrics, no update check, no fetch of Cloudflare's Request.cf sample. */
export const WRANGLER_OFFLINE = {
  WRANGLER_SEND_METRICS: 'false',
  WRANGLER_HIDE_BANNER: 'true',
  CLOUDFLARE_CF_FETCH_ENABLED: 'false',
};

/**
 * Builds the widget (unless `widget: false`: it is built already) and copies it, and for the demo
 * its pages, into an assets directory.
 */
export async function buildEdgeAssets(outDir: string, options: { demo?: boolean; quiet?: boolean; widget?: boolean } = {}): Promise<void> {
  if (options.widget !== false) await build({ root: ROOT, logLevel: options.quiet ? 'silent' : 'warn' });
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  cpSync(`${ROOT}/dist/widget`, outDir, { recursive: true });
  if (options.demo) cpSync(`${ROOT}/demo/public`, outDir, { recursive: true });
}

/** The Worker as wrangler bundles it; returns its size. */
export function bundleWorker(outDir = `${ROOT}/dist/worker`): { raw: number; gzip: number; path: string } {
  execFileSync(process.execPath, [`${ROOT}/node_modules/wrangler/bin/wrangler.js`, 'deploy', '--dry-run', '--outdir', outDir], {
    cwd: ROOT,
    env: { ...process.env, ...WRANGLER_OFFLINE },
    stdio: 'ignore',
  });
  const bytes = readFileSync(`${outDir}/worker.js`);
  return { raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length, path: `${outDir}/worker.js` };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await buildEdgeAssets(`${ROOT}/dist/edge`);
  const size = bundleWorker();
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
  console.log(`worker bundle: ${kb(size.raw)} raw, ${kb(size.gzip)} gzip (goal ${kb(WORKER_GZIP_GOAL)} gzip)`);
}
