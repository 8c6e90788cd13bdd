/**
 * `npm run build:edge`: the widget and the console into dist/edge (the Worker's static assets), then the Worker
 * bundled exactly as `wrangler deploy` would (a dry run into dist/worker), and its size printed:
 * raw and gzip, against the 80 KB gzip goal.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'vite';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
/**
 * 60 KB (issue 6) until the Worker took on the operator's work of issue 14, which runs on both
 * runtimes: the sites checked against Propexo (59.1 -> 63.0 KB gzip), alerts (+4.5 KB, won back by
 * dropping keep_names) and the console's API, lead history and metrics (63.1 -> 68.9 KB); its
 * pages' routes, a lead's reason in words and "Check sites now" (70.0 KB, goal 72 KB). Then issue
 * 15's tours, which the Worker serves too: their settings (+1.1 KB), the slot engine and the slots
 * route (+1.9 KB, 73.5 KB): 80 KB, with room for their delivery. The console's pages are static
 * assets, outside the bundle. A guard against growth nobody decided on, not a platform limit
 * (Workers take megabytes).
 */
export const WORKER_GZIP_GOAL = 80 * 1024;

/** wrangler with no network of its own: no metrics, no update check, no fetch of Cloudflare's Request.cf sample. */
export const WRANGLER_OFFLINE = {
  WRANGLER_SEND_METRICS: 'false',
  WRANGLER_HIDE_BANNER: 'true',
  CLOUDFLARE_CF_FETCH_ENABLED: 'false',
};

/**
 * Builds the widget and the console (unless `widget: false`: both are built already) and copies them
 * into an assets directory: the widget at its root, the console under console/ (the Worker runs first,
 * so nothing there is served but through its routes).
 */
export async function buildEdgeAssets(outDir: string, options: { quiet?: boolean; widget?: boolean } = {}): Promise<void> {
  if (options.widget !== false) {
    const logLevel = options.quiet ? 'silent' : 'warn';
    await build({ root: ROOT, logLevel });
    await build({ root: ROOT, logLevel, configFile: `${ROOT}/vite.console.config.ts` });
  }
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  cpSync(`${ROOT}/dist/widget`, outDir, { recursive: true });
  cpSync(`${ROOT}/dist/console`, `${outDir}/console`, { recursive: true });
}

export interface WorkerBundle {
  raw: number;
  gzip: number;
  path: string;
  /** Every file esbuild put in the bundle (its metafile), relative to the project root. */
  inputs: string[];
}

/** The Worker as wrangler bundles it: its size, and what went into it. */
export function bundleWorker(outDir = `${ROOT}/dist/worker`): WorkerBundle {
  const metafile = `${outDir}/bundle-meta.json`;
  execFileSync(
    process.execPath,
    [`${ROOT}/node_modules/wrangler/bin/wrangler.js`, 'deploy', '--dry-run', '--outdir', outDir, '--metafile', metafile],
    {
      cwd: ROOT,
      env: { ...process.env, ...WRANGLER_OFFLINE },
      stdio: 'ignore',
    },
  );
  const bytes = readFileSync(`${outDir}/worker.js`);
  const meta = JSON.parse(readFileSync(metafile, 'utf8')) as { inputs: Record<string, unknown> };
  const inputs = Object.keys(meta.inputs).map((input) => relative(ROOT, resolve(ROOT, input)));
  return { raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length, path: `${outDir}/worker.js`, inputs };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await buildEdgeAssets(`${ROOT}/dist/edge`);
  const size = bundleWorker();
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
  console.log(`worker bundle: ${kb(size.raw)} raw, ${kb(size.gzip)} gzip (goal ${kb(WORKER_GZIP_GOAL)} gzip)`);
}
