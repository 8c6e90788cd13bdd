/**
 * 4. Relay under load: autocannon on loopback against the Node relay (accept path, SQLite outbox,
 * the sandbox as upstream, limits raised in the site's config) and, in the same run, against a bare
 * Hono server on @hono/node-server answering 200 to the same JSON. Each server runs in its own child
 * process; autocannon runs here. Runs alternate (order flipped each round), each a few seconds after
 * a warm-up per server. Every request carries a new lead (names, email, Idempotency-Key) with a
 * valid form token, as the widget sends it; answers that are not 2xx are counted and reported.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { closeSync, fdatasyncSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteLeadStore } from '../relay/outbox/store/sqlite.js';
import { summarize, type CpuProfile, type ProfileSummary } from './profile.js';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { LEADS_PATH, formTokens, leadBody, leadHeaders } from './lead.js';
import { fixed, median, progress, ratio, times, type Goal } from './stats.js';
import { newLeadRecord } from '../relay/outbox/store/types.js';

export const LOAD_GOAL = { ratio: 0.5, p99Ms: 10 };

export interface LoadRun {
  server: 'relay' | 'bare';
  seconds: number;
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
}

export interface LoadResult {
  connections: number;
  seconds: number;
  rounds: number;
  runs: LoadRun[];
  relay: { reqPerSec: number; p99Ms: number; p50Ms: number; non2xx: number; errors: number };
  bare: { reqPerSec: number; p99Ms: number; p50Ms: number; non2xx: number; errors: number };
  ratio: number;
  /** What the relay's outbox held at the end: every 2xx was a stored lead. */
  stored: { total: number; accepted2xx: number; delivered: number };
  diagnosis: LoadDiagnosis;
  goals: Goal[];
}

/** Where the relay's time under load goes: its outbox's durable commit. */
export interface LoadDiagnosis {
  /** One run against the same relay with its outbox in memory (not a production setup). */
  memoryOutbox: LoadRun;
  /** One run against the real relay under node --cpu-prof (slower for it): where its CPU goes. */
  profiled: LoadRun;
  profile: ProfileSummary;
  /** Median ms of one SQLite outbox accept (WAL, synchronous=FULL), alone, on this disk. */
  sqliteAcceptMs: number;
  /** Median ms of writing 4 KB and fdatasync on the same disk (the floor of any durable commit). */
  fdatasyncMs: number;
  tmpdir: string;
}

interface Child {
  child: ChildProcess;
  url: string;
  ask<T>(message: string): Promise<T>;
  close(): Promise<void>;
}

function startServer(mode: 'relay' | 'relay-memory' | 'bare', cpuProfDir?: string): Promise<Child> {
  const child = fork(fileURLToPath(new URL('./load-server.ts', import.meta.url)), [mode], {
    execArgv: ['--import', 'tsx', ...(cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', cpuProfDir] : [])],
    // The relay's JSON log lines go where a server's stdout would: nowhere we read (formatting them is still paid).
    // Its stderr is kept, not shown: closing it under load ends requests still in flight, which it logs.
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-4000)));
  const ask = <T>(message: string) =>
    new Promise<T>((resolve) => {
      child.once('message', (m) => resolve(m as T));
      child.send(message);
    });
  const close = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      child.send('close');
    });
  return new Promise((resolve, reject) => {
    child.once('message', (m) => resolve({ child, url: (m as { url: string }).url, ask, close }));
    child.once('exit', (code) => reject(new Error(`load server ${mode} exited (${code}) before listening:\n${stderr}`)));
  });
}

let runs = 0;
async function hammer(url: string, seconds: number, connections: number, nextToken: () => string): Promise<autocannon.Result> {
  const tag = `ld${++runs}x`;
  let n = 0;
  return autocannon({
    url,
    connections,
    duration: seconds,
    pipelining: 1,
    timeout: 10,
    requests: [
      {
        method: 'POST',
        path: LEADS_PATH,
        setupRequest: (req) => {
          n++;
          return { ...req, headers: { ...req.headers, ...leadHeaders(n, tag) }, body: leadBody(n, tag, nextToken()) };
        },
      },
    ],
  });
}

function toRun(server: LoadRun['server'], r: autocannon.Result): LoadRun {
  const ok = r['2xx'];
  return {
    server,
    seconds: r.duration,
    reqPerSec: ok / r.duration,
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    ok,
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
  };
}

export async function runRelayLoad(options: { seconds?: number; rounds?: number; connections?: number } = {}): Promise<LoadResult> {
  const seconds = options.seconds ?? Number(process.env.BENCH_LOAD_SECONDS ?? 6);
  const rounds = options.rounds ?? Number(process.env.BENCH_LOAD_ROUNDS ?? 3);
  const connections = options.connections ?? 10;
  // One per lead the relays see (~1,000/s at most: past the pool, repeats are held, still 202); the bare server takes any.
  const pool = await formTokens(60_000);
  let next = 0;
  const tokens = () => pool[next++ % pool.length]!;
  const anyToken = () => pool[0]!;
  const [relay, bare] = await Promise.all([startServer('relay'), startServer('bare')]);
  try {
    // Warm-up: JIT, SQLite's page cache, keep-alive sockets. Not counted, except that its leads are stored.
    const warm = [await hammer(relay.url, 2, connections, tokens), await hammer(bare.url, 2, connections, anyToken)];
    const all: LoadRun[] = [];
    for (let i = 0; i < rounds; i++) {
      const order = i % 2 === 0 ? (['bare', 'relay'] as const) : (['relay', 'bare'] as const);
      for (const server of order) {
        all.push(
          toRun(
            server,
            server === 'relay'
              ? await hammer(relay.url, seconds, connections, tokens)
              : await hammer(bare.url, seconds, connections, anyToken),
          ),
        );
      }
      progress(`relay under load: round ${i + 1}/${rounds}`);
    }
    const summary = (server: LoadRun['server']) => {
      const mine = all.filter((r) => r.server === server);
      return {
        reqPerSec: median(mine.map((r) => r.reqPerSec)),
        p99Ms: median(mine.map((r) => r.p99Ms)),
        p50Ms: median(mine.map((r) => r.p50Ms)),
        non2xx: mine.reduce((a, r) => a + r.non2xx, 0),
        errors: mine.reduce((a, r) => a + r.errors + r.timeouts, 0),
      };
    };
    const r = summary('relay');
    const b = summary('bare');
    const counts = await relay.ask<{ counts: Record<string, number>; delivered: number }>('counts');
    const total = Object.values(counts.counts).reduce((a, n) => a + n, 0);
    const accepted2xx = warm[0]!['2xx'] + all.filter((x) => x.server === 'relay').reduce((a, x) => a + x.ok, 0);
    const rr = ratio(r.reqPerSec, b.reqPerSec);
    const diagnosis = await diagnose(seconds, connections, tokens);
    return {
      connections,
      seconds,
      rounds,
      runs: all,
      relay: r,
      bare: b,
      ratio: rr,
      stored: { total, accepted2xx, delivered: counts.delivered },
      diagnosis,
      goals: [
        {
          name: 'Relay under load: req/s vs bare Hono',
          target: `>= ${LOAD_GOAL.ratio}x`,
          measured: `${fixed(r.reqPerSec, 0)} vs ${fixed(b.reqPerSec, 0)} req/s (${times(rr)}); ${r.non2xx} non-2xx, ${r.errors} errors`,
          met: rr >= LOAD_GOAL.ratio && r.non2xx === 0 && r.errors === 0,
        },
        {
          name: 'Relay under load: p99 latency',
          target: `<= ${LOAD_GOAL.p99Ms} ms`,
          measured: `${fixed(r.p99Ms, 0)} ms (bare ${fixed(b.p99Ms, 0)} ms), ${connections} connections`,
          met: r.p99Ms <= LOAD_GOAL.p99Ms,
        },
      ],
    };
  } finally {
    await Promise.all([relay.close(), bare.close()]);
  }
}

/** A relay run with the outbox in memory, and the cost of one durable commit on this disk. */
async function diagnose(seconds: number, connections: number, tokens: () => string): Promise<LoadDiagnosis> {
  const memory = await startServer('relay-memory');
  let memoryOutbox: LoadRun;
  try {
    await hammer(memory.url, 1, connections, tokens);
    memoryOutbox = toRun('relay', await hammer(memory.url, seconds, connections, tokens));
  } finally {
    await memory.close();
  }
  const dir = mkdtempSync(join(tmpdir(), 'bench-diagnose-'));
  try {
    const profDir = join(dir, 'cpu');
    const profiledRelay = await startServer('relay', profDir);
    let profiled: LoadRun;
    try {
      await hammer(profiledRelay.url, 1, connections, tokens);
      profiled = toRun('relay', await hammer(profiledRelay.url, Math.min(seconds, 4), connections, tokens));
    } finally {
      await profiledRelay.close();
    }
    const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
    if (!file) throw new Error('the profiled relay wrote no .cpuprofile');
    const profile = summarize(JSON.parse(readFileSync(join(profDir, file), 'utf8')) as CpuProfile, 10);
    const store = openSqliteLeadStore(join(dir, 'outbox.sqlite'));
    const accept: number[] = [];
    for (let i = 0; i < 200; i++) {
      const now = Date.now();
      const started = performance.now();
      await store.accept(
        newLeadRecord(
          {
            id: `ld_diag${i}`,
            site: 'oak-grove',
            idempotency_key: `bench-diag-${i}`,
            fingerprints: [`fa${i}`, `fb${i}`],
            submission: { first_name: 'Jane', last_name: `Doe${i}`, email_1: `jane${i}@gmail.com` },
          },
          now,
        ),
        { now, keyWindowMs: 86_400_000, dedupeWindowMs: 600_000 },
      );
      accept.push(performance.now() - started);
    }
    await store.close();
    const fd = openSync(join(dir, 'sync.bin'), 'w');
    const page = Buffer.alloc(4096, 1);
    const sync: number[] = [];
    for (let i = 0; i < 200; i++) {
      const started = performance.now();
      writeSync(fd, page);
      fdatasyncSync(fd);
      sync.push(performance.now() - started);
    }
    closeSync(fd);
    return { memoryOutbox, profiled, profile, sqliteAcceptMs: median(accept), fdatasyncMs: median(sync), tmpdir: tmpdir() };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
