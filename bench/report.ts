/** BENCHMARKS.md from the results of one `npm run bench`. */
import type { FileSize } from '../widget/build/report-sizes.js';
import type { DrainResult } from './drain.js';
import type { EdgeResult } from './edge.js';
import type { Machine } from './machine.js';
import type { ProfileEntry } from './profile.js';
import type { InProcessResult } from './relay-inprocess.js';
import type { LoadResult } from './relay-load.js';
import type { RenderResult, RenderSeries } from './render.js';
import type { SizeResult } from './size.js';
import { fixed, kb, median, times, yesNo, type Goal } from './stats.js';

export type SectionName = 'size' | 'render' | 'inprocess' | 'load' | 'edge' | 'drain';

export interface Results {
  machine: Machine;
  loadAtStart: string;
  loadAtEnd?: string;
  totalSeconds?: number;
  commands: string[];
  sections: Partial<{
    size: SizeResult;
    render: RenderResult;
    inprocess: InProcessResult;
    load: LoadResult;
    edge: EdgeResult;
    drain: DrainResult;
  }>;
  errors: Partial<Record<SectionName, string>>;
  seconds: Partial<Record<SectionName, number>>;
  busy: Partial<Record<SectionName, number>>;
}

/** A Markdown table: the first column left-aligned, the others right-aligned unless `left` says otherwise. */
const table = (head: string[], rows: (string | number)[][], left = 1) =>
  [`| ${head.join(' | ')} |`, `| ${head.map((h, i) => (i < left ? '---' : '---:')).join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
const known = (x: number | undefined | null): x is number => typeof x === 'number' && Number.isFinite(x);
const pct = (x: number) => `${(x * 100).toFixed(0)}%`;
const ms = (x: number, d = 1) => `${fixed(x, d)} ms`;
const profileRows = (entries: ProfileEntry[]) => entries.map((e) => [e.where, ms(e.selfMs, 0), pct(e.share)]);

function sizeSection(s: SizeResult, render: RenderResult | undefined): string {
  const row = (label: string, x: FileSize) => [label, `${kb(x.raw)}`, `${kb(x.gzip)}`, `**${kb(x.brotli)}**`];
  const over = s.beforeRender.brotli - s.floor.brotli;
  return `## 1. Embed size

The English widget as \`npm run build\` leaves it in \`${s.widgetDir}\`, measured by \`widgetSizes()\` of
widget/build/report-sizes.ts (gzip level 9, brotli quality 11): what loads before the form renders
(widget.js and its static imports) and everything a completed English submission has loaded (plus the
validation chunk). The floor is bench/baseline/lit-form.ts, a minimal LitElement rendering a seven-field
form, built with the widget's vite/rolldown settings (library mode, ES, es2022, minified, no comments) into
a temporary directory and measured the same way.

${table(
  ['', 'raw', 'gzip', 'brotli'],
  [
    row('Widget, before render', s.beforeRender),
    row('Widget, English, submitted', s.englishSubmission),
    row('Lit-only form (floor)', s.floor),
    ['Before render ÷ floor', times(s.beforeRender.raw / s.floor.raw), times(s.beforeRender.gzip / s.floor.gzip), `**${times(s.beforeRenderVsFloor)}**`],
  ],
)}

Every file of the build (the pinned copy of widget.js left out):

${table(
  ['file', 'raw', 'gzip', 'brotli'],
  s.files.map((f) => [`\`${f.file}\``, kb(f.raw), kb(f.gzip), kb(f.brotli)]),
)}

${floorPlansNote(s, render)}Of the ${kb(s.beforeRender.brotli)} brotli before render, ${kb(s.floor.brotli)} is what any Lit form element costs (the floor);
${kb(over)} is the widget's own code.

For scale, figures from elsewhere, **not measured here** (quoted, versions and methods unknown): Typeform's
embed loader 11.9 KB brotli and Typeform itself 113 KB minified; the Formspree AJAX helper 4.4 KB brotli;
HubSpot's forms embed 200–300 KB.`;
}

/** The floor-plans chunk is lazy, but a site whose settings list floor plans loads it before the first render (§2). */
function floorPlansNote(s: SizeResult, render: RenderResult | undefined): string {
  const chunk = s.files.find((f) => /floor-plans/.test(f.file));
  const early = render?.widget.samples.some((x) => (x.earlyRequests ?? []).some((e) => /floor-plans/.test(e.path)));
  if (!chunk || !early) return '';
  return `A site whose form lists floor plans also loads \`${chunk.file}\` (${kb(chunk.brotli)} brotli) before its first render (see §2): ${kb(
    s.beforeRender.brotli + chunk.brotli,
  )} before render for such a site.\n\n`;
}

function renderRows(series: RenderSeries[]): (string | number)[][] {
  return series.map((x) => [
    x.label,
    `**${ms(x.medianRenderMs)}**`,
    ms(x.p90RenderMs),
    ms(x.minRenderMs),
    x.medianViewEventMs === undefined ? '–' : ms(x.medianViewEventMs),
    ms(x.medianSinceNavigationMs),
    fixed(x.maxCls, 4),
    `${x.loadsWithShift}/${x.samples.length}`,
    `${x.loadsFormBeforeFcp}/${x.samples.length}`,
  ]);
}

function renderSection(r: RenderResult): string {
  const w = r.widget.medianPhases;
  const f = r.floor.medianPhases;
  const phase = (label: string, a: number, b: number) => [label, ms(a), ms(b), ms(a - b)];
  return `## 2. Render

Headless Chromium ${r.chromium} (Debian's /usr/bin/chromium, the flags of test/support/chromium.mjs) loads a
page of a property's website (its own origin on loopback) that embeds the component with a module script
from the relay's origin: a real Node relay (\`startRelay\`, SQLite outbox, the embedded Propexo sandbox),
which also answers the widget's \`GET /v1/sites/oak-grove/form\`. The floor page is the same with the Lit-only
form, served by the same relay. The page has a heading and a paragraph above the component and a line of
text below it.

Time is measured from \`performance.mark('embed:start')\` (the page's module script, just before
\`import()\` of the component) to the moment the component's shadow root holds a \`<form>\` with a control
that can be used: not disabled, tabbable, not inert, and visible (\`checkVisibility\` with visibility and
opacity: a form rendered hidden while it waits does not count). The moment is taken by a MutationObserver
on every shadow root (a classic script in \`<head>\` wraps \`attachShadow\`), so it is not rounded to a
frame; ${readyByLine(r)} Layout shift is the sum of
\`layout-shift\` entries (PerformanceObserver, buffered) 300 ms and two frames after the form was ready.

A first visit is a fresh browser context each time (no cache, a new connection): ${r.loads} loads of each page,
alternating. A repeat visit is the third load in one context (widget.js from the HTTP cache, its compiled
code cached): ${r.repeatLoads} of each.

${table(
  ['', 'median', 'p90', 'min', 'view event', 'since navigation', 'layout shift (worst)', 'loads with a shift', 'form before first paint'],
  renderRows([r.widget, r.floor, r.widgetRepeat, r.floorRepeat]),
)}

Widget ÷ floor, first visit: **${times(r.ratio)}**; repeat visit: ${times(r.widgetRepeat.medianRenderMs / r.floorRepeat.medianRenderMs)}.
"view event" is when the widget's own \`resman-lead-view\` event reached the document (the measured moment
also needs the form laid out, so it can come a little later).

Where a first visit's time goes (medians of each phase, so they need not add up to the median total):

${table(
  ['phase', 'widget', 'floor', 'difference'],
  [
    phase("embed:start → the script's request starts", w.queueMs, f.queueMs),
    phase("the script's request (loopback, new connection)", w.fetchMs, f.fetchMs),
    phase('last byte → customElements.define (parse, compile, run the module)', w.evaluateMs, f.evaluateMs),
    phase('define → attachShadow (upgrade)', w.upgradeMs, f.upgradeMs),
    phase('attachShadow → form rendered and laid out', w.firstRenderMs, f.firstRenderMs),
    ...(!known(w.settingsFetchMs)
      ? []
      : [
          ['… of which the widget\'s settings request, GET /v1/sites/oak-grove/form', ms(w.settingsFetchMs), '–', ''],
          ['… and from its last byte to the form laid out', ms(w.afterSettingsMs), '–', ''],
          ...waterfallRows(r.widget),
        ]),
  ],
)}

${earlyLine(r.widget)}

The same phases on a repeat visit: widget ${phaseLine(r.widgetRepeat)}; floor ${phaseLine(r.floorRepeat)}.

Layout shift: on a load where the form appears after the first paint, the text below the component moves
down when the form takes its height; the floor does the same. ${
    r.widget.maxCls > 0
      ? `The widget shifted on ${r.widget.loadsWithShift} of ${r.loads} first visits (worst ${fixed(r.widget.maxCls, 4)}), the floor on ${r.floor.loadsWithShift} (worst ${fixed(r.floor.maxCls, 4)}); the widget rendered before first paint on ${r.widget.loadsFormBeforeFcp} of them.`
      : 'No load of the widget shifted.'
  }${r.problems.length ? `\n\nProblems the pages reported: ${r.problems.map((p) => `\`${p}\``).join('; ')}` : ''}`;
}

/** When the first render waits for a lazy chunk requested after the settings: the gaps around it. */
function waterfallRows(x: RenderSeries): string[][] {
  const gaps: number[] = [];
  const tails: number[] = [];
  for (const sample of x.samples) {
    const early = (sample.earlyRequests ?? []).filter((e) => e.path.startsWith('/widget/'));
    if (early.length === 0 || !known(sample.phases.afterSettingsMs)) continue;
    const settingsEnd = sample.renderMs - sample.phases.afterSettingsMs;
    const first = Math.min(...early.map((e) => e.startMs));
    if (first < settingsEnd) continue;
    gaps.push(first - settingsEnd);
    tails.push(sample.renderMs - Math.max(...early.map((e) => e.endMs)));
  }
  if (gaps.length === 0) return [];
  return [
    [`… of that, from the settings' last byte to the next widget chunk's request (${gaps.length} loads)`, ms(median(gaps)), '–', ''],
    ["… and from that chunk's last byte to the form laid out", ms(median(tails)), '–', ''],
  ];
}

function readyByLine(r: RenderResult): string {
  const all = [r.widget, r.floor, r.widgetRepeat, r.floorRepeat].flatMap((x) => x.samples);
  const counts = new Map<string, number>();
  for (const x of all) counts.set(x.readyBy ?? 'mutation', (counts.get(x.readyBy ?? 'mutation') ?? 0) + 1);
  const other = [...counts].filter(([by]) => by !== 'mutation');
  return other.length === 0
    ? `every load's moment came from a mutation.`
    : `the widget's view event and every frame are checked too; ${other.map(([by, n]) => `${n} of ${all.length} loads were seen by the ${by}`).join(', ')} (the rest by a mutation).`;
}

/** The lazy chunks (or other requests) the first render waited for, from a typical first visit. */
function earlyLine(x: RenderSeries): string {
  const withRequests = x.samples.filter((s) => (s.earlyRequests ?? []).length > 0);
  if (withRequests.length === 0) return 'Before its form was ready the widget requested nothing but widget.js and its settings.';
  const typical = withRequests[withRequests.length >> 1]!;
  const list = typical.earlyRequests.map((e) => `\`${e.path.replace(/-[\w-]{8}\.js$/, '-….js')}\` (${ms(e.endMs - e.startMs)}, ending ${ms(e.endMs)} after embed:start)`).join(', ');
  return `Besides widget.js and its settings, the widget requested before its form was ready (on ${withRequests.length} of ${x.samples.length} first visits; one of them): ${list}.`;
}

const phaseLine = (x: RenderSeries) =>
  `fetch ${ms(x.medianPhases.fetchMs)}, evaluate ${ms(x.medianPhases.evaluateMs)}, upgrade ${ms(x.medianPhases.upgradeMs)}, first render ${ms(x.medianPhases.firstRenderMs)}${
    !known(x.medianPhases.settingsFetchMs) ? '' : ` (settings request ${ms(x.medianPhases.settingsFetchMs)})`
  }`;

function inProcessSection(r: InProcessResult): string {
  return `## 3. Relay cost in process

\`app.fetch\` of \`createRelay\` (memory store and limiter, a deliverer woken by every lead but never started,
over an upstream that counts calls: ${r.upstreamCalls} made; logs formatted at info and discarded), against a bare
Hono app whose route parses the same JSON and answers 200. Each request is a new lead shaped like the widget's
(fields and \`meta\` with a valid form token and attribution; a unique name, email and Idempotency-Key;
Content-Length set), built before the clock starts. ${r.rounds} rounds of ${r.batch} requests per app, alternating,
each batch on a fresh app; the figure per batch is its mean, the result the median over batches. CPU is
\`process.cpuUsage()\` over the batch (every thread of the process, WebCrypto's libuv pool included).
Answers not 202 (relay) or 200 (bare): ${r.unexpected}.

${table(
  ['', 'wall µs / request', 'CPU µs / request', 'best batch, wall µs'],
  [
    ['Relay (createRelay)', `**${fixed(r.relayUsPerRequest, 0)}**`, fixed(r.relayCpuUsPerRequest, 0), fixed(Math.min(...r.relayBatchUs), 0)],
    ['Bare Hono', fixed(r.bareUsPerRequest, 0), fixed(r.bareCpuUsPerRequest, 0), fixed(Math.min(...r.bareBatchUs), 0)],
    ['Relay ÷ bare', `**${times(r.ratio)}**`, times(r.relayCpuUsPerRequest / r.bareCpuUsPerRequest), times(Math.min(...r.relayBatchUs) / Math.min(...r.bareBatchUs))],
  ],
)}

Where the relay's time goes. The steps of the accept path timed alone (µs per call, median of 5 runs):

${table(
  ['step', 'µs'],
  r.breakdown.map((b) => [b.step, fixed(b.us, 1)]),
)}

A sampled CPU profile (node:inspector, 100 µs) of 5 more relay batches, self time by kind of work
(${ms(r.profile.totalMs, 0)} in all):

${table(['kind of work', 'self time', 'share'], profileRows(r.profile.byKind))}

Top functions: ${r.profile.byFunction
    .slice(0, 6)
    .map((e) => `\`${e.where}\` ${pct(e.share)}`)
    .join(', ')}.`;
}

function loadSection(r: LoadResult): string {
  const d = r.diagnosis;
  return `## 4. Relay under load

autocannon (${r.connections} connections, pipelining 1, keep-alive) on loopback against the Node relay as
relay/node.ts runs it (\`startRelay\`: SQLite outbox in a temporary DATA_DIR with synchronous=FULL, memory
limiter, the deliverer sending to the embedded sandbox, JSON log lines written to stdout, here /dev/null),
and in the same run against a bare Hono server on @hono/node-server answering 200 to the same JSON. Each server
is its own child process, autocannon runs in the parent: on ${'2'} cores, one each. Every request is a new lead as
in §3 (the site's limits raised to 1,000,000 a minute, so nothing is 429). ${r.rounds} rounds of ${r.seconds} s per
server, alternating, after a 2 s warm-up each; req/s counts 2xx answers only; medians over rounds.

${table(
  ['', 'req/s (2xx)', 'p50', 'p99', 'non-2xx', 'errors + timeouts'],
  [
    ['Relay', `**${fixed(r.relay.reqPerSec, 0)}**`, ms(r.relay.p50Ms, 0), `**${ms(r.relay.p99Ms, 0)}**`, r.relay.non2xx, r.relay.errors],
    ['Bare Hono', fixed(r.bare.reqPerSec, 0), ms(r.bare.p50Ms, 0), ms(r.bare.p99Ms, 0), r.bare.non2xx, r.bare.errors],
    ['Relay ÷ bare', `**${times(r.ratio)}**`, '', '', '', ''],
  ],
)}

Each run: ${r.runs.map((x) => `${x.server} ${fixed(x.reqPerSec, 0)} req/s p99 ${x.p99Ms} ms`).join('; ')}.
The relay's outbox held ${r.stored.total} leads at the end for ${r.stored.accepted2xx} 2xx answers counted by autocannon
(the difference: requests still in flight when a run's time was up); the sandbox had received ${r.stored.delivered}
of them (delivery is paced at the relay's UPSTREAM_RATE_PER_MINUTE).

The bare server answers far faster than one autocannon process can ask on one core, so its figure is a floor
of what bare Hono does here, which flatters the ratio rather than hurting it.

Where the relay's time goes under load:

- the same relay with its outbox in memory instead of SQLite (diagnosis only, not a production setup):
  **${fixed(d.memoryOutbox.reqPerSec, 0)} req/s**, p99 ${ms(d.memoryOutbox.p99Ms, 0)};
- one SQLite outbox accept (WAL, synchronous=FULL) alone on this disk (${d.tmpdir}): ${ms(d.sqliteAcceptMs, 2)} median;
  writing 4 KB and fdatasync: ${ms(d.fdatasyncMs, 2)} median. better-sqlite3 is synchronous: the commit and its
  sync hold the event loop, so no other request moves meanwhile;
- a CPU profile of the real relay's process (node --cpu-prof, ${fixed(d.profiled.reqPerSec, 0)} req/s while profiled),
  self time by kind of work (${ms(d.profile.totalMs, 0)} in all):

${table(['kind of work', 'self time', 'share'], profileRows(d.profile.byKind))}

Top files: ${d.profile.byFile
    .slice(0, 6)
    .map((e) => `\`${e.where}\` ${pct(e.share)}`)
    .join(', ')}.`;
}

function edgeSection(r: EdgeResult): string {
  return `## 5. Edge

The Worker bundle as \`wrangler deploy\` builds it (\`npm run build:edge\`: dist/worker/worker.js, minified),
measured like test/build/worker-size.test.ts: **${kb(r.bundle.raw)} raw, ${kb(r.bundle.gzip)} gzip** (goal 60 KB gzip).

Cost of an accepted lead in workerd: that same bundle in Miniflare (its OUTBOX and LIMITER Durable Objects
on SQLite, the sandbox as Propexo, LOG_LEVEL=info with the log lines read and dropped) beside a trivial
Worker in the same Miniflare that parses the same JSON and answers 200. Each Worker has its own loopback
socket (\`unsafeDirectSockets\`, no routing worker in front); requests go one at a time from Node's fetch with
keep-alive, ${r.requestsEach} per Worker in alternating batches of ${r.batch} after a warm-up batch each. Answers not
202/200: ${r.unexpected}. The outbox's alarm delivered ${r.delivered} of the leads to the sandbox meanwhile.

${table(
  ['', 'wall ms / request (median)', 'p90', 'workerd CPU ms / request'],
  [
    ['Relay Worker, accepted lead', `**${fixed(r.relay.medianMs, 2)}**`, fixed(r.relay.p90Ms, 2), fixed(r.relay.cpuMsPerRequest, 2)],
    ['Trivial Worker', fixed(r.bare.medianMs, 2), fixed(r.bare.p90Ms, 2), fixed(r.bare.cpuMsPerRequest, 2)],
    ['Relay ÷ trivial', `**${times(r.ratio)}**`, '', times(r.relay.cpuMsPerRequest / r.bare.cpuMsPerRequest)],
  ],
)}

These are **wall times on loopback**, not Cloudflare's billed CPU time: workerd reports no CPU time per
request to Miniflare, and inside a Worker the clock does not advance while code runs. The CPU column is the
whole workerd process's utime + stime (/proc, 10 ms ticks) over each batch divided by its requests: the
Worker, its two Durable Objects (a limiter call per limit, the outbox's SQLite write), workerd's HTTP
handling and any alarm delivery meanwhile, so it is an upper bound of the relay's own CPU per lead.`;
}

function drainSection(r: DrainResult): string {
  const perLead = r.propexo.requests / r.leads;
  const pace = r.relayPerMinute;
  return `## 6. Drain

${r.leads} leads submitted to the Node relay (SQLite outbox) 8 at a time, against the sandbox's Propexo limit of
${r.propexoPerMinute} requests a minute (429 past it, responses slowed past 80%), until every lead is confirmed. The
approach of test/relay/burst.test.ts: **the clock is scaled ${r.scale}x** (test/support/scaled-time.ts, shared by
relay and sandbox: a minute passes in ${fixed(60 / r.scale, 1)} s; the sandbox's slow-down delay is scaled too; only loopback
round trips stay real, so they count ${r.scale} times over). The relay's pace: UPSTREAM_RATE_PER_MINUTE =
${r.relayPerMinute}${r.relayPerMinuteFromEnv ? ' (from the environment)' : ' (its default)'}. test/support/drain.ts did not exist when this was written, so
bench/drain.ts is its own harness.

${table(
  ['', 'scaled minutes'],
  [
    ['first submission → last 202 (the burst arriving)', fixed(r.arrivalMinutes, 1)],
    ['last 202 → every lead confirmed', fixed(r.afterLastAcceptMinutes, 1)],
    [`**first submission → every lead confirmed** (goal ≤ ceil(${r.leads}/${r.propexoPerMinute}) + 1 = ${r.goalMinutes})`, `**${fixed(r.allConfirmedMinutes, 1)}**${r.timedOut ? ' (stopped: not done)' : ''}`],
  ],
)}

Real time: ${fixed(r.realSeconds, 1)} s. Outbox at the end: ${Object.entries(r.counts)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ')}. Propexo received ${r.propexo.requests} requests: ${r.propexo.creates} creates, ${r.propexo.statusChecks} write-status
checks, ${r.propexo.other} others; **${r.propexo.status429} answered 429** (the relay logged ${r.relayRateLimitedEvents} rate-limit events).

Where the time goes: ${fixed(perLead, 2)} Propexo requests per lead at the relay's pace of ${pace} a minute need at least
${fixed(r.propexo.requests / pace, 1)} minutes, whatever else happens; at Propexo's full ${r.propexoPerMinute} a minute they would still
need ${fixed(r.propexo.requests / r.propexoPerMinute, 1)}. The goal of ${r.goalMinutes} minutes leaves room for about one request per lead at
${r.propexoPerMinute} a minute.`;
}

function goalRows(results: Results): string[][] {
  const rows: string[][] = [];
  const add = (section: string, goals: Goal[] | undefined) => {
    for (const g of goals ?? []) rows.push([section, g.name, g.target, g.measured, g.target === 'report' ? (g.met ? 'reported' : '**check**') : yesNo(g.met)]);
  };
  const s = results.sections;
  add('1', s.size?.goals);
  add('2', s.render?.goals);
  add('3', s.inprocess?.goals);
  add('4', s.load?.goals);
  add('5', s.edge?.goals);
  add('6', s.drain?.goals);
  for (const [name, error] of Object.entries(results.errors)) rows.push(['', `${name}: failed to run`, '', `\`${error.split('\n')[0]}\``, '**no**']);
  return rows;
}

export function report(results: Results): string {
  const m = results.machine;
  const s = results.sections;
  const busy = Object.entries(results.busy)
    .map(([k, v]) => `${k} ${pct(v)}`)
    .join(', ');
  const sections = [
    s.size && sizeSection(s.size, s.render),
    s.render && renderSection(s.render),
    s.inprocess && inProcessSection(s.inprocess),
    s.load && loadSection(s.load),
    s.edge && edgeSection(s.edge),
    s.drain && drainSection(s.drain),
  ].filter(Boolean);
  return `# Benchmarks

Written by \`npm run bench\` (bench/run.ts); rerun it rather than editing this file. Every figure was measured
in one run, side by side with its baseline (alternating, where time is measured), and every ratio compares
the two. Figures are medians unless said otherwise.

## Machine

${table(
  ['', ''],
  [
    ['CPU', `${m.cpu}, ${m.cores} cores, ${m.memoryGb} GB`],
    ['OS', m.os],
    ['Node', m.node],
    ['Chromium', m.chromium],
    ['workerd (Miniflare)', m.workerd],
    ['Date', m.date],
    ['Commit', `\`${m.commit}\`${m.uncommitted.length ? ` plus uncommitted changes in ${m.uncommitted.length} files (built and measured as they were)` : ''}`],
    ['Load average at start / end', `${results.loadAtStart} → ${results.loadAtEnd ?? '?'}`],
    ['All cores busy in the second before each section', busy],
    ['Run time', `${fixed(results.totalSeconds ?? Number.NaN, 0)} s`],
  ],
  2,
)}

The machine is shared: anything else running during the run (the busy shares above) slows the measured
code and its baseline alike, but not always equally; ratios are steadier than absolute figures.

## Commands

\`\`\`sh
npm install
npm run bench    # ${results.commands.length ? results.commands.join(' && ') + ' && ' : ''}tsx bench/run.ts
\`\`\`

Sections: bench/size.ts, bench/render.ts, bench/relay-inprocess.ts, bench/relay-load.ts (and its servers,
bench/load-server.ts), bench/edge.ts, bench/drain.ts; the floor form is bench/baseline/lit-form.ts. Raw
results of the run: dist/bench/results.json.

## Summary

${table(['§', 'goal', 'target', 'measured', 'met'], goalRows(results), 4)}
${missed(results)}
${sections.join('\n\n')}
`;
}

/** For each missed goal, a line on where the time or the bytes go (the sections have the detail). */
function missed(results: Results): string {
  const s = results.sections;
  const lines: string[] = [];
  const failed = (goals: Goal[] | undefined, i: number) => goals?.[i] && !goals[i].met;
  if (s.size && s.size.goals.some((g) => !g.met)) {
    lines.push(`Size: ${kb(s.size.beforeRender.brotli)} brotli before render, of which ${kb(s.size.floor.brotli)} is the Lit floor; ${kb(s.size.englishSubmission.brotli - s.size.beforeRender.brotli)} more by the end of a submission (validation). See §1 for the files.`);
  }
  const r = s.render;
  if (r && failed(r.goals, 0)) {
    const w = r.widget.medianPhases;
    const f = r.floor.medianPhases;
    lines.push(
      `Render: the Lit-only floor itself takes ${ms(r.floor.medianRenderMs)} on a first visit here (its request ${ms(f.fetchMs)}, compiling and running it ${ms(f.evaluateMs)}, rendering ${ms(f.firstRenderMs)}); ` +
        `the widget takes ${ms(r.widget.medianRenderMs)}: request ${ms(w.fetchMs)}, compile and run ${ms(w.evaluateMs)}, then ${ms(w.firstRenderMs)} from its shadow root to a laid-out form` +
        (!known(w.settingsFetchMs) ? '.' : `, which includes waiting for its settings request (${ms(w.settingsFetchMs)}) before the first render.`) +
        ` On a repeat visit (cached, code cache warm): widget ${ms(r.widgetRepeat.medianRenderMs)}, floor ${ms(r.floorRepeat.medianRenderMs)}.`,
    );
  }
  if (r && failed(r.goals, 1)) {
    lines.push(
      `Layout shift: the form appeared after the first paint on ${r.widget.samples.length - r.widget.loadsFormBeforeFcp} of ${r.widget.samples.length} first visits, and the text below it moved down when it did (${r.widget.loadsWithShift} loads shifted; the floor: ${r.floor.loadsWithShift}).`,
    );
  }
  const p = s.inprocess;
  if (p && !p.goals[0]!.met) {
    const kind = (k: string) => p.profile.byKind.find((e) => e.where.startsWith(k))?.share ?? 0;
    lines.push(
      `Relay in process: ${fixed(p.relayUsPerRequest, 0)} µs against ${fixed(p.bareUsPerRequest, 0)} µs. In its profile WebCrypto (the lead's SHA-256 fingerprints and the form token's HMAC, each a Node crypto job) is ${pct(kind('WebCrypto'))} and idle waits on it ${pct(kind('idle'))}, ` +
        `undici's Request/Response/Headers ${pct(kind('undici'))}, Hono ${pct(kind('hono'))}, the relay's own code ${pct(kind('relay code'))}, validation ${pct(kind('validation'))}.`,
    );
  }
  const l = s.load;
  if (l && l.goals.some((g) => !g.met)) {
    const sqlite = l.diagnosis.profile.byKind.find((e) => e.where.startsWith('SQLite'))?.share ?? 0;
    lines.push(
      `Relay under load: ${fixed(l.relay.reqPerSec, 0)} req/s, p99 ${ms(l.relay.p99Ms, 0)}. The SQLite outbox (a synchronous, fsynced commit per lead on the event loop) is ${pct(sqlite)} of the relay's CPU under load; ` +
        `with the outbox in memory the same relay did ${fixed(l.diagnosis.memoryOutbox.reqPerSec, 0)} req/s, the rest being the per-request cost of §3. Requests queue behind each other on one event loop, hence the p99.`,
    );
  }
  const d = s.drain;
  if (d && d.goals.some((g) => !g.met)) {
    lines.push(
      `Drain: ${fixed(d.propexo.requests / d.leads, 2)} Propexo requests per lead (${d.propexo.creates} creates, ${d.propexo.statusChecks} write-status checks) at the relay's ${d.relayPerMinute} a minute is at least ${fixed(d.propexo.requests / d.relayPerMinute, 1)} minutes; ` +
        `the burst itself took ${fixed(d.arrivalMinutes, 1)} scaled minutes to arrive.`,
    );
  }
  if (lines.length === 0) return '';
  return `\nMissed goals, in short (details in each section):\n\n${lines.map((x) => `- ${x}`).join('\n')}\n`;
}
