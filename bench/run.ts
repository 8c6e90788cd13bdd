/**
 * `npm run bench`: builds the widget and the Worker (npm run build, npm run build:edge), runs the seven
 * benchmarks one after another, each beside its baseline, and writes BENCHMARKS.md (and the raw
 * results to dist/bench/results.json). Nothing here is part of `npm test`: timings are reported,
 * never asserted.
 *
 *   npm run bench                      # everything, about four minutes
 *   npm run bench -- --skip-build      # measure dist/ as it is
 *   npm run bench -- --only=size,edge  # some sections (BENCHMARKS.md then holds only those)
 *   npm run bench -- --out=/tmp/b.md   # write the report elsewhere
 *
 * Knobs (environment): BENCH_RENDER_LOADS (25), BENCH_RENDER_REPEAT_LOADS (6),
 * BENCH_INPROCESS_ROUNDS (30), BENCH_LOAD_SECONDS (6), BENCH_LOAD_ROUNDS (3), BENCH_EDGE_ROUNDS (10),
 * BENCH_DRAIN_SCALE (30), BENCH_DRAIN_TIMEOUT_SECONDS (90), UPSTREAM_RATE_PER_MINUTE (the relay's
 * default) for the drain, BENCH_NETWORK_LOADS (25).
 */
import { execSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { removeBaseline } from './baseline/build.js';
import { runDrain } from './drain.js';
import { runEdge } from './edge.js';
import { runNetwork } from './network.js';
import { busyShare, load, machine } from './machine.js';
import { runRelayInProcess } from './relay-inprocess.js';
import { runRelayLoad } from './relay-load.js';
import { runRender } from './render.js';
import { report, type Results, type SectionName } from './report.js';
import { runSize } from './size.js';
import { progress } from './stats.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
process.chdir(ROOT);

const args = process.argv.slice(2);
const arg = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const SECTIONS: Record<SectionName, () => Promise<unknown>> = {
  size: () => runSize(),
  render: () => runRender(),
  inprocess: () => runRelayInProcess(),
  load: () => runRelayLoad(),
  edge: () => runEdge(),
  drain: () => runDrain(),
  network: () => runNetwork(),
};
const only = arg('only')?.split(',') as SectionName[] | undefined;
for (const name of only ?? []) if (!(name in SECTIONS)) throw new Error(`--only: no section ${name} (${Object.keys(SECTIONS).join(', ')})`);
const out = arg('out') ?? 'BENCHMARKS.md';

const started = Date.now();
const results: Results = { machine: machine(), loadAtStart: load(), sections: {}, errors: {}, seconds: {}, busy: {}, commands: [] };

if (!args.includes('--skip-build')) {
  for (const command of ['npm run build', 'npm run build:edge']) {
    progress(command);
    // Their output goes to stderr, so a caller piping stdout gets only the summary.
    execSync(command, { stdio: ['ignore', process.stderr, 'inherit'] });
    results.commands.push(command);
  }
}

for (const name of Object.keys(SECTIONS) as SectionName[]) {
  if (only && !only.includes(name)) continue;
  results.busy[name] = await busyShare(1000);
  progress(`${name}: starting (machine ${(results.busy[name]! * 100).toFixed(0)}% busy before it)`);
  const t = Date.now();
  try {
    (results.sections as Record<string, unknown>)[name] = await SECTIONS[name]();
  } catch (err) {
    results.errors[name] = err instanceof Error ? (err.stack ?? err.message) : String(err);
    progress(`${name}: FAILED: ${results.errors[name]}`);
  }
  results.seconds[name] = (Date.now() - t) / 1000;
  progress(`${name}: done in ${results.seconds[name]!.toFixed(0)} s`);
}
await removeBaseline();
results.loadAtEnd = load();
results.totalSeconds = (Date.now() - started) / 1000;

mkdirSync('dist/bench', { recursive: true });
writeFileSync('dist/bench/results.json', `${JSON.stringify(results, null, 2)}\n`);
const markdown = report(results);
writeFileSync(out, markdown);
progress(`wrote ${out} and dist/bench/results.json in ${results.totalSeconds.toFixed(0)} s`);
process.stdout.write(markdown.slice(markdown.indexOf('## Summary'), markdown.indexOf('\n## ', markdown.indexOf('## Summary') + 5)));
process.exit(Object.keys(results.errors).length > 0 ? 1 : 0);
