/**
 * A quick CPU profile of a piece of this process's work (node:inspector, sampled every 100 µs):
 * self time grouped into a few kinds of work, by source file and by function, so a report can say
 * where the time goes.
 */
import { Session } from 'node:inspector/promises';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface ProfileEntry {
  where: string;
  selfMs: number;
  share: number;
}

export interface ProfileSummary {
  totalMs: number;
  byKind: ProfileEntry[];
  byFile: ProfileEntry[];
  byFunction: ProfileEntry[];
}

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

const ROOT = fileURLToPath(new URL('..', import.meta.url));

function place(url: string): string {
  if (!url) return '(native)';
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  if (path.startsWith('node:')) return path;
  const rel = relative(ROOT, path);
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(rel);
  return pkg ? `${pkg[1]} (package)` : rel;
}

/** What kind of work a frame is: the categories a reader can act on. */
function kind(fn: string, file: string, callers: string[]): string {
  if (fn === '(idle)') return 'idle (waiting: on I/O, or on the libuv pool that runs WebCrypto)';
  if (fn === '(garbage collector)') return 'garbage collection';
  if (fn === '(program)') return 'V8 / runtime (unattributed)';
  // makeTransferable (node:internal/worker/js_transferable) is paid by every CryptoKey and every web stream: billed to its caller.
  if (file.startsWith('node:internal/crypto') || callers.some((c) => c.startsWith('node:internal/crypto')))
    return 'WebCrypto / node:crypto (SHA-256, HMAC)';
  if (
    file.startsWith('node:internal/deps/undici') ||
    file.startsWith('node:internal/webstreams') ||
    callers.some(
      (c) =>
        c.startsWith('node:internal/deps/undici') ||
        (file === 'node:internal/worker/js_transferable' && c.startsWith('node:internal/webstreams')),
    )
  )
    return "undici's Request/Response/Headers and web streams";
  // better-sqlite3's statements run in native calls that V8 bills to the relay/outbox/store/sqlite.ts frame calling them.
  if (
    file.startsWith('better-sqlite3') ||
    file === 'relay/outbox/store/sqlite.ts' ||
    callers.some((c) => c.startsWith('better-sqlite3') || c === 'relay/outbox/store/sqlite.ts')
  )
    return 'SQLite outbox (better-sqlite3, synchronous=FULL)';
  if (file.startsWith('hono') || file.startsWith('@hono/node-server')) return 'hono, @hono/node-server';
  if (file.startsWith('node:_http') || file.startsWith('node:net') || file.startsWith('node:internal/streams') || file === 'node:stream')
    return 'node:http and sockets';
  if (file.startsWith('zod') || file.startsWith('contract/')) return 'validation (zod/mini, contract/)';
  if (file.startsWith('relay/')) return 'relay code (routes, middleware, store, log)';
  if (file.startsWith('bench/')) return 'the benchmark itself';
  return 'other (Node internals, native)';
}

export interface CpuProfile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

/** Profiles `work` in this process. */
export async function profile(work: () => Promise<void>, top = 8): Promise<ProfileSummary> {
  const session = new Session();
  session.connect();
  try {
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 100 });
    await session.post('Profiler.start');
    await work();
    const { profile: p } = (await session.post('Profiler.stop')) as { profile: CpuProfile };
    return summarize(p, top);
  } finally {
    await session.post('Profiler.disable').catch(() => {});
    session.disconnect();
  }
}

/** Summarises a V8 CPU profile (the inspector's, or a .cpuprofile file written by node --cpu-prof). */
export function summarize(p: CpuProfile, top = 8): ProfileSummary {
  const self = new Map<number, number>();
  p.samples.forEach((id, i) => {
    self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0));
  });
  const parent = new Map<number, Node>();
  for (const node of p.nodes) for (const child of node.children ?? []) parent.set(child, node);
  const callersOf = (node: Node) => {
    const files: string[] = [];
    for (let up = parent.get(node.id); up && files.length < 3; up = parent.get(up.id)) files.push(place(up.callFrame.url));
    return files;
  };
  const kinds = new Map<string, number>();
  const files = new Map<string, number>();
  const fns = new Map<string, number>();
  const add = (m: Map<string, number>, k: string, us: number) => m.set(k, (m.get(k) ?? 0) + us);
  let total = 0;
  for (const node of p.nodes) {
    const us = self.get(node.id) ?? 0;
    if (us === 0) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const callers = callersOf(node);
    if (callers[0] === 'node:inspector') continue; // the profiler handing over its own data
    const file = place(url);
    const special = functionName.startsWith('(') && !url;
    add(kinds, kind(functionName, file, callers), us);
    add(files, special ? functionName : file, us);
    add(
      fns,
      special ? functionName : `${functionName || '(anonymous)'} ${file}${url ? `:${lineNumber + 1}` : ` ← ${callers[0] ?? ''}`}`,
      us,
    );
    total += us;
  }
  const rank = (m: Map<string, number>, n = top) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([where, us]) => ({ where, selfMs: us / 1000, share: us / total }));
  return { totalMs: total / 1000, byKind: rank(kinds, 20), byFile: rank(files), byFunction: rank(fns) };
}
