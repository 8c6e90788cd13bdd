/**
 * 5. Edge: the Worker bundle as `wrangler deploy` builds it (dist/worker/worker.js from
 * `npm run build:edge`, measured like test/build/worker-size.test.ts: raw and gzip level 9), and the
 * cost of an accepted lead in workerd: that same bundle in Miniflare (its Durable Objects on SQLite,
 * the embedded Propexo sandbox as upstream) beside a trivial Worker in the same Miniflare that parses
 * the same JSON and answers 200. Each Worker gets its own loopback socket (unsafeDirectSockets), so
 * no routing worker sits in front of either; requests go one at a time, in alternating batches.
 *
 * workerd does not expose CPU time per request, and inside a Worker the clock stands still while
 * code runs, so the per-lead figure is wall time on loopback. Beside it, the workerd process's own
 * CPU time (utime + stime from /proc, 10 ms ticks) over each batch, divided by the batch: all the
 * work the runtime did for those requests, Durable Object calls and SQLite included, plus whatever
 * the outbox's alarm delivered meanwhile (at most UPSTREAM_RATE_PER_MINUTE a minute).
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { Readable } from 'node:stream';
import { Miniflare } from 'miniflare';
import { WORKER_GZIP_GOAL, bundleWorker } from '../relay/runtime/worker/build.js';
import { startSandbox } from '../sandbox/index.js';
import { BENCH_TOKEN, LEADS_PATH, benchSites, formTokens, leadBody, leadHeaders } from './lead.js';
import { fixed, kb, median, percentile, progress, ratio, times, type Goal } from './stats.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const WORKER = join(ROOT, 'dist/worker/worker.js');
export const WORKERD_COMPATIBILITY_DATE = '2026-04-01';

const BARE_WORKER = `export default {
  async fetch(request) {
    const body = await request.json();
    return Response.json({ ok: typeof body === 'object' }, { status: 200 });
  },
};`;

export interface EdgeSeries {
  /** Per request, ms: median and 90th percentile over every request of every batch. */
  medianMs: number;
  p90Ms: number;
  /** workerd process CPU per request, ms (median over batches). */
  cpuMsPerRequest: number;
}

export interface EdgeResult {
  bundle: { raw: number; gzip: number };
  requestsEach: number;
  batch: number;
  relay: EdgeSeries;
  bare: EdgeSeries;
  ratio: number;
  unexpected: number;
  delivered: number;
  goals: Goal[];
}

/** The workerd child of this process (Miniflare spawns it), for its CPU time. */
function workerdPid(): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (comm === 'workerd' && ppid === process.pid) return Number(entry);
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}

/** utime + stime of `pid` in ms (USER_HZ is 100 on Linux). */
function cpuMs(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

export async function runEdge(options: { batch?: number; rounds?: number } = {}): Promise<EdgeResult> {
  const batch = options.batch ?? 100;
  const rounds = options.rounds ?? Number(process.env.BENCH_EDGE_ROUNDS ?? 10);
  if (!existsSync(WORKER)) bundleWorker();
  const code = readFileSync(WORKER);
  const bundle = { raw: code.length, gzip: gzipSync(code, { level: 9 }).length };

  const sandbox = await startSandbox({ token: BENCH_TOKEN, writeDelayMs: 50, log: () => {} });
  const mf = new Miniflare({
    host: '127.0.0.1',
    port: 0,
    handleRuntimeStdio: (stdout: Readable, stderr: Readable) => {
      // The Worker's JSON log lines: produced (that cost is counted), not kept.
      stdout.resume();
      stderr.resume();
    },
    workers: [
      {
        name: 'relay',
        modules: true,
        scriptPath: WORKER,
        modulesRoot: dirname(WORKER),
        compatibilityDate: WORKERD_COMPATIBILITY_DATE,
        durableObjects: {
          OUTBOX: { className: 'OutboxObject', useSQLite: true },
          LIMITER: { className: 'LimiterObject', useSQLite: true },
        },
        bindings: { PROPEXO_API_TOKEN: BENCH_TOKEN, PROPEXO_BASE_URL: sandbox.url, SITES_JSON: benchSites(), LOG_LEVEL: 'info' },
        serviceBindings: { ASSETS: async () => new Response('not found', { status: 404 }) },
        unsafeDirectSockets: [{ host: '127.0.0.1', port: 0 }],
      },
      {
        name: 'bare',
        modules: true,
        script: BARE_WORKER,
        compatibilityDate: WORKERD_COMPATIBILITY_DATE,
        unsafeDirectSockets: [{ host: '127.0.0.1', port: 0 }],
      },
    ],
  });
  try {
    await mf.ready;
    const relayUrl = new URL(LEADS_PATH, await mf.unsafeGetDirectURL('relay')).href;
    const bareUrl = new URL(LEADS_PATH, await mf.unsafeGetDirectURL('bare')).href;
    const pid = workerdPid();
    // One token per lead (single use), for every request the workerd relay sees.
    const tokens = await formTokens((rounds + 1) * 2 * batch + 1);
    let unexpected = 0;
    let n = 0;
    const send = async (url: string, expected: number) => {
      n++;
      const started = performance.now();
      const res = await fetch(url, {
        method: 'POST',
        headers: { ...leadHeaders(n, 'edge'), 'cf-connecting-ip': '203.0.113.7' },
        body: leadBody(n, 'edge', tokens[n]),
      });
      await res.arrayBuffer();
      const ms = performance.now() - started;
      if (res.status !== expected) unexpected++;
      return ms;
    };
    const runBatch = async (which: 'relay' | 'bare', into?: { ms: number[]; cpu: number[] }) => {
      const cpuBefore = cpuMs(pid);
      const times: number[] = [];
      for (let i = 0; i < batch; i++) times.push(await send(which === 'relay' ? relayUrl : bareUrl, which === 'relay' ? 202 : 200));
      if (into) {
        into.ms.push(...times);
        into.cpu.push((cpuMs(pid) - cpuBefore) / batch);
      }
    };
    // Warm-up: isolates, the Durable Objects' SQLite, the config parse, JIT.
    await runBatch('relay');
    await runBatch('bare');
    const relay = { ms: [] as number[], cpu: [] as number[] };
    const bare = { ms: [] as number[], cpu: [] as number[] };
    for (let i = 0; i < rounds; i++) {
      for (const which of i % 2 === 0 ? (['relay', 'bare'] as const) : (['bare', 'relay'] as const))
        await runBatch(which, which === 'relay' ? relay : bare);
    }
    progress(`edge: ${rounds} rounds of ${batch} requests each`);
    const series = (s: { ms: number[]; cpu: number[] }): EdgeSeries => ({
      medianMs: median(s.ms),
      p90Ms: percentile(s.ms, 90),
      cpuMsPerRequest: median(s.cpu),
    });
    const r = series(relay);
    const b = series(bare);
    const rr = ratio(r.medianMs, b.medianMs);
    return {
      bundle,
      requestsEach: relay.ms.length,
      batch,
      relay: r,
      bare: b,
      ratio: rr,
      unexpected,
      delivered: sandbox.leads().length,
      goals: [
        {
          name: 'Edge: Worker bundle',
          target: `<= ${kb(WORKER_GZIP_GOAL)} gzip`,
          measured: `${kb(bundle.gzip)} gzip (${kb(bundle.raw)} raw)`,
          met: bundle.gzip <= WORKER_GZIP_GOAL,
        },
        {
          name: 'Edge: accepted lead in workerd (wall time on loopback; no goal set)',
          target: 'report',
          measured: `${fixed(r.medianMs, 2)} ms vs ${fixed(b.medianMs, 2)} ms trivial Worker (${times(rr)}); ${unexpected} answers not 202/200`,
          met: unexpected === 0,
        },
      ],
    };
  } finally {
    await mf.dispose();
    await sandbox.close();
  }
}
