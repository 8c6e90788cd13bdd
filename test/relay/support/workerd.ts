/**
 * Running code in workerd from a Node test: bundle a TypeScript entry the way a Worker is bundled
 * (bundleForWorkerd), then start it in Miniflare, fully local on 127.0.0.1 (startWorkerd), or both at
 * once into a temporary directory removed on dispose (startWorker).
 *
 *   const worker = await startWorker('test/relay/support/store-worker.ts', {
 *     durableObjects: { STORE: { className: 'StoreObject', useSQLite: true } },
 *   });
 *   const res = await worker.fetch('/path', { method: 'POST', body: '…' }); // or fetch(new URL('/path', worker.url))
 *   await worker.dispose();
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, extname, join, relative, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { Miniflare, type MiniflareOptions } from 'miniflare';

const ROOT = resolve(import.meta.dirname, '../../..');

/** The compatibility date tests run Workers at, unless they ask for another. */
export const WORKERD_COMPATIBILITY_DATE = '2026-04-01';

export interface BundleOptions {
  /**
   * The Worker runs with the nodejs_compat flag: `node:*` imports stay external for workerd to
   * provide. Off by default, so an accidental Node import fails the build instead.
   */
  nodejsCompat?: boolean;
  minify?: boolean;
  /** esbuild `define`, e.g. { 'process.env.NODE_ENV': '"production"' }. */
  define?: Record<string, string>;
  /** The bundle's file name inside outdir; default the entry's base name with `.js`. */
  outfile?: string;
  sourcemap?: boolean;
}

export interface WorkerdBundle {
  /** Absolute path of the ES module written. */
  path: string;
  /** Its size in bytes, raw and gzipped (level 9). */
  bytes: number;
  gzipBytes: number;
  /** Every input file bundled, relative to the project root (node_modules/… for packages). */
  inputs: string[];
}

/**
 * Bundles `entry` (a path relative to the project root, or absolute) into one ES module in
 * `outdir`, resolved as workerd resolves packages (conditions workerd, worker, browser) with
 * `cloudflare:*` left external (and `node:*` with nodejsCompat). Throws esbuild's errors.
 */
export async function bundleForWorkerd(entry: string, outdir: string, options: BundleOptions = {}): Promise<WorkerdBundle> {
  const entryPath = resolve(ROOT, entry);
  const path = resolve(outdir, options.outfile ?? `${basename(entryPath, extname(entryPath))}.js`);
  const result = await build({
    entryPoints: [entryPath],
    outfile: path,
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    conditions: ['workerd', 'worker', 'browser'],
    mainFields: ['workerd', 'worker', 'browser', 'module', 'main'],
    external: ['cloudflare:*', ...(options.nodejsCompat ? ['node:*'] : [])],
    minify: options.minify ?? false,
    sourcemap: options.sourcemap ?? false,
    define: options.define ?? {},
    metafile: true,
    logLevel: 'silent',
    absWorkingDir: ROOT,
  });
  const code = await readFile(path);
  return {
    path,
    bytes: code.byteLength,
    gzipBytes: gzipSync(code, { level: 9 }).byteLength,
    inputs: Object.keys(result.metafile.inputs).map((input) => relative(ROOT, resolve(ROOT, input))),
  };
}

export interface WorkerdOptions {
  /** The bundled ES module to run (bundleForWorkerd's `path`). */
  scriptPath: string;
  compatibilityDate?: string;
  compatibilityFlags?: string[];
  /** Binding name to class name, or to { className, useSQLite } for SQLite-backed storage. */
  durableObjects?: Record<string, string | { className: string; useSQLite?: boolean }>;
  /** Plain bindings (vars, secrets, JSON). */
  bindings?: Record<string, unknown>;
  /** Anything else Miniflare takes for this worker (kvNamespaces, assets, queueProducers, …). */
  miniflare?: Record<string, unknown>;
}

export interface Workerd {
  mf: Miniflare;
  /** The worker's origin on loopback (http://127.0.0.1:<port>/), for a real HTTP client. */
  url: URL;
  /** Sends a request to the worker; `path` is resolved against its origin. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** Stops workerd (and, for startWorker, removes the bundle's directory). Safe to call twice. */
  dispose(): Promise<void>;
}

/** Starts `scriptPath` in workerd through Miniflare, listening on 127.0.0.1 on a free port. */
export async function startWorkerd(options: WorkerdOptions): Promise<Workerd> {
  const mf = new Miniflare({
    host: '127.0.0.1',
    port: 0,
    modules: true,
    scriptPath: options.scriptPath,
    // Module names are paths relative to this; the default (the working directory) cannot reach a
    // bundle in the temporary directory.
    modulesRoot: dirname(options.scriptPath),
    compatibilityDate: options.compatibilityDate ?? WORKERD_COMPATIBILITY_DATE,
    compatibilityFlags: options.compatibilityFlags ?? [],
    durableObjects: options.durableObjects ?? {},
    bindings: options.bindings ?? {},
    ...options.miniflare,
  } as MiniflareOptions);
  let url: URL;
  try {
    url = await mf.ready;
  } catch (error) {
    await mf.dispose().catch(() => {});
    throw error;
  }
  let disposed: Promise<void> | undefined;
  return {
    mf,
    url,
    fetch: (path, init) => mf.dispatchFetch(new URL(path, url), init as never) as unknown as Promise<Response>,
    dispose: () => (disposed ??= mf.dispose()),
  };
}

/** bundleForWorkerd into a fresh temporary directory, then startWorkerd; dispose removes the directory. */
export async function startWorker(
  entry: string,
  options: Omit<WorkerdOptions, 'scriptPath'> & { bundle?: BundleOptions } = {},
): Promise<Workerd & { bundle: WorkerdBundle }> {
  const dir = await mkdtemp(join(tmpdir(), 'workerd-bundle-'));
  const removeDir = () => rm(dir, { recursive: true, force: true });
  let bundle: WorkerdBundle;
  let workerd: Workerd;
  try {
    bundle = await bundleForWorkerd(entry, dir, {
      nodejsCompat: options.compatibilityFlags?.includes('nodejs_compat') ?? false,
      ...options.bundle,
    });
    workerd = await startWorkerd({ ...options, scriptPath: bundle.path });
  } catch (error) {
    await removeDir();
    throw error;
  }
  let disposed: Promise<void> | undefined;
  return {
    ...workerd,
    bundle,
    dispose: () => (disposed ??= workerd.dispose().finally(removeDir)),
  };
}
