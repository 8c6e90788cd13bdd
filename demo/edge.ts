/**
 * `npm run dev:edge`: the demo on the Worker, in workerd on 127.0.0.1 (wrangler dev --local): the
 * community page, its widget and the relay all served by the demo's Worker (demo/worker.ts: the
 * pages in front of the relay's Worker), leads stored in its Durable Object and delivered by its
 * alarm to the embedded Propexo sandbox (which runs in Node, beside it).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WRANGLER_OFFLINE, buildEdgeAssets } from '../relay/runtime/worker/build.js';
import { startSandbox, type RunningSandbox } from '../sandbox/index.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface RunningEdgeDemo {
  url: string;
  sandbox: RunningSandbox;
  wrangler: ChildProcess;
  output(): string;
  close(): Promise<void>;
}

export async function startEdgeDemo(
  options: { port?: number; quiet?: boolean; build?: boolean; log?: (line: string) => void } = {},
): Promise<RunningEdgeDemo> {
  const port = options.port ?? 8787;
  const assets = join(ROOT, 'dist/edge-demo');
  await buildEdgeAssets(assets, { quiet: options.quiet, widget: options.build !== false });
  cpSync(join(ROOT, 'demo/public'), assets, { recursive: true });
  const token = `sandbox_${randomBytes(16).toString('hex')}`;
  const sandbox = await startSandbox({ token, writeDelayMs: 1500, log: options.log ?? (options.quiet ? () => {} : (l) => console.log(l)) });
  // The demo sites, with the Worker's own origin allowed.
  const sites = JSON.parse(readFileSync(join(ROOT, 'demo/sites.json'), 'utf8')) as Record<string, unknown>;
  const vars: Record<string, string> = {
    PORT: String(port),
    SITES_JSON: JSON.stringify(sites),
    PROPEXO_BASE_URL: sandbox.url,
    PROPEXO_API_TOKEN: token,
  };
  // The Durable Objects' storage: fresh each run, like the sandbox it delivers to.
  const state = mkdtempSync(join(tmpdir(), 'resman-edge-'));
  const args = [
    join(ROOT, 'node_modules/wrangler/bin/wrangler.js'),
    // The demo's entry instead of wrangler.toml's main; the bindings are wrangler.toml's.
    'dev',
    join(ROOT, 'demo/worker.ts'),
    '--local',
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    '--assets',
    assets,
    '--persist-to',
    state,
    '--show-interactive-dev-session=false',
    ...Object.entries(vars).flatMap(([k, v]) => ['--var', `${k}:${v}`]),
  ];
  const wrangler = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, ...WRANGLER_OFFLINE, CI: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const onData = (d: Buffer) => {
    out += d.toString();
    if (!options.quiet) process.stdout.write(d);
  };
  wrangler.stdout!.on('data', onData);
  wrangler.stderr!.on('data', onData);
  const url = `http://127.0.0.1:${port}`;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`wrangler dev not ready in 60 s:\n${out}`)), 60_000);
    const check = async () => {
      try {
        if ((await fetch(`${url}/healthz`)).ok) {
          clearTimeout(timer);
          return resolve();
        }
      } catch {
        // not listening yet
      }
      if (wrangler.exitCode !== null) {
        clearTimeout(timer);
        return reject(new Error(`wrangler dev exited:\n${out}`));
      }
      setTimeout(check, 250);
    };
    void check();
  });
  return {
    url: `${url}/`,
    sandbox,
    wrangler,
    output: () => out,
    async close() {
      if (wrangler.exitCode === null) {
        const exited = new Promise((r) => wrangler.once('exit', r));
        wrangler.kill('SIGTERM');
        const timer = setTimeout(() => wrangler.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }
      await sandbox.close();
      rmSync(state, { recursive: true, force: true });
    },
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const demo = await startEdgeDemo({ port: Number(process.env.PORT ?? 8787) });
  console.log(`\n  Oak Grove demo on the Worker: ${demo.url}`);
  console.log(`  Vista del Sol (es):           ${demo.url}vista/`);
  console.log(`  Leads the sandbox received:   ${demo.sandbox.url}/\n`);
  const stop = () => void demo.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
