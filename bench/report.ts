/** BENCHMARKS.md from the results of one `npm run bench`. */
import type { FileSize } from '../widget/build/report-sizes.js';
import type { DrainResult } from './drain.js';
import type { EdgeResult } from './edge.js';
import { WORKER_GZIP_GOAL } from '../relay/runtime/worker/build.js';
import type { Machine } from './machine.js';
import type { ProfileEntry } from './profile.js';
import type { InProcessResult } from './relay-inprocess.js';
import type { NetworkResult } from './network.js';
import { networkMissed, networkSection } from './network-report.js';
import type { LoadResult } from './relay-load.js';
import type { RenderResult, RenderSeries } from './render.js';
import type { SizeResult } from './size.js';
import { fixed, kb, median, times, yesNo, type Goal } from './stats.js';

export type SectionName = 'size' | 'render' | 'inprocess' | 'load' | 'edge' | 'drain' | 'network';

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
    network: NetworkResult;
  }>;
  errors: Partial<Record<SectionName, string>>;
  seconds: Partial<Record<SectionName, number>>;
  busy: Partial<Record<SectionName, number>>;
}

/** A Markdown table: the first column left-aligned, the others right-aligned unless `left` says otherwise. */
const table = (head: string[], rows: (string | number)[][], left = 1) =>
  [
    `| ${head.join(' | ')} |`,
    `| ${head.map((_h, i) => (i < left ? '---' : '---:')).join(' | ')} |`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
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
    [
      'Before render ÷ floor',
      times(s.beforeRender.raw / s.floor.raw),
      times(s.beforeRender.gzip / s.floor.gzip),
      `**${times(s.beforeRenderVsFloor)}**`,
    ],
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
  const requested = render?.widget.samples.some((x) => (x.earlyRequests ?? []).some((e) => /floor-plans/.test(e.path)));
  const waited = render?.widget.samples.some((x) => (x.earlyRequests ?? []).some((e) => /floor-plans/.test(e.path) && e.beforeShownUpdate));
  if (!chunk || !requested) return '';
  if (!waited) {
    return `A site whose form lists floor plans also requests \`${chunk.file}\` (${kb(chunk.brotli)} brotli) while its form is being shown; the first render does not wait for it (see §2).\n\n`;
  }
  return `A site whose form lists floor plans also loads \`${chunk.file}\` (${kb(chunk.brotli)} brotli) before its first render (see §2): ${kb(
    s.beforeRender.brotli + chunk.brotli,
  )} before render for such a site.\n\n`;
}

function renderRows(series: RenderSeries[]): (string | number)[][] {
  return series.map((x) => [
    x.label,
    `**${ms(x.medianMarkMs)}**`,
    ms(x.p90MarkMs),
    ms(x.minMarkMs),
    ms(x.medianBeforeStartMs),
    ms(x.medianRenderMs),
    ms(x.p90RenderMs),
    ms(x.medianSinceNavigationMs),
    x.medianViewEventMs === undefined ? '–' : ms(x.medianViewEventMs),
  ]);
}

function shiftRows(r: RenderResult): (string | number)[][] {
  const row = (page: string, x: RenderSeries, reserved: string) => [
    page,
    /floor|lit/i.test(x.label) ? 'Lit-only form (floor)' : 'widget',
    reserved,
    `**${fixed(x.maxCls, 4)}**`,
    fixed(x.medianCls, 4),
    `${x.loadsWithShift}/${x.samples.length}`,
    `${x.loadsFormBeforeFcp}/${x.samples.length}`,
    x.minHostHeight === x.maxHostHeight
      ? `${fixed(x.minHostHeight, 2)} px`
      : `${fixed(x.minHostHeight, 2)}–${fixed(x.maxHostHeight, 2)} px`,
    ms(x.medianMarkMs),
  ];
  const v = r.reservation;
  return [
    row('plain (nothing reserved), first visit', r.widget, '–'),
    row('plain (nothing reserved), first visit', r.floor, '–'),
    row('height reserved, first visit', r.widgetReserved, `${fixed(v.widgetPx, 2)} px`),
    row('height reserved, first visit', r.floorReserved, `${fixed(v.floorPx, 2)} px`),
    row('plain (nothing reserved), repeat visit', r.widgetRepeat, '–'),
    row('plain (nothing reserved), repeat visit', r.floorRepeat, '–'),
  ];
}

function renderSection(r: RenderResult): string {
  const w = r.widget.medianPhases;
  const f = r.floor.medianPhases;
  const wm = r.widget.medianMarkPhases;
  const fm = r.floor.medianMarkPhases;
  const phase = (label: string, a: number, b: number) => [label, ms(a), known(b) ? ms(b) : '–', known(b) ? ms(a - b) : ''];
  const v = r.reservation;
  const reservedGoal = v.readme !== undefined;
  return `## 2. Render

Headless Chromium ${r.chromium} (Debian's /usr/bin/chromium, the flags of test/support/chromium.mjs), viewport
${r.viewport.width}×${r.viewport.height}, loads a page of a property's website (its own origin on loopback) that embeds the component with a module script
from the relay's origin: a real Node relay (\`startRelay\`, SQLite outbox, the embedded Propexo sandbox),
which also answers the widget's \`GET /v1/sites/oak-grove/form\`. The floor page is the same with the Lit-only
form, served by the same relay. The page has a heading and a paragraph above the component and a line of
text below it.

**The figure: script start → interactive**, from the component's own performance marks. The widget sets
\`resman-lead-form:start\` when its module starts running and \`resman-lead-form:interactive\` when its form
is shown and usable (its site settings from the relay and its strings in, the update that shows it
complete). The floor sets \`lit-form:start\` at the top of its module and \`lit-form:interactive\` after the
\`updateComplete\` of its first update. In both bundles the modules the component's own module imports
(Lit; for the widget also its styles, English strings, field contract and the like) run before it, so both
figures leave out the script's request, its parse and compile and those imports' evaluation, and both end
when the form is in the DOM, before the frame that styles, lays out and paints it.

Also measured, **including the script's request and compile**: from \`performance.mark('embed:start')\`
(the page's module script, just before \`import()\` of the component) to the moment the component's shadow
root holds a \`<form>\` with a control that can be used: not disabled, tabbable, not inert, and visible
(\`checkVisibility\` with visibility and opacity: a form rendered hidden while it waits does not count).
The moment is the time of the MutationObserver callback (on every shadow root: a classic script in \`<head>\`
wraps \`attachShadow\`) that followed the commit; whether the form is usable is checked in a task after it,
so that computing its style is not counted in the component's own marks; ${readyByLine(r)}

A first visit is a fresh browser context each time (no cache, a new connection): ${r.loads} loads of each of four pages
(widget and floor, each plain and with its height reserved, below), the order rotated every round. A
repeat visit is the third load in one context (widget.js from the HTTP cache, its compiled code cached):
${r.repeatLoads} of each plain page. The table's times come from the plain pages.

${table(
  [
    '',
    'script start → interactive (median)',
    'p90',
    'min',
    "embed:start → script start (the script's request and compile)",
    "including the script's request and compile: embed:start → form usable (median)",
    'p90',
    'since navigation',
    'view event (after embed:start)',
  ],
  renderRows([r.widget, r.floor, r.widgetRepeat, r.floorRepeat]),
)}

Widget ÷ floor, script start → interactive: **${times(r.markRatio)}** first visit, ${times(
    r.widgetRepeat.medianMarkMs / r.floorRepeat.medianMarkMs,
  )} repeat visit. Including the script's request and compile: ${times(r.ratio)} first visit, ${times(r.widgetRepeat.medianRenderMs / r.floorRepeat.medianRenderMs)} repeat visit.
"view event" is when the widget's own \`resman-lead-view\` event, sent right after its interactive mark,
reached the document.${marksMissing(r)}

Where the time between the marks goes on a first visit (medians of each phase, so they need not add up to
the median total; every Lit update of the component is timed by wrapping its class's \`performUpdate\`):

${table(
  ['phase', 'widget', 'floor', 'difference'],
  [
    phase('start mark → customElements.define (the rest of the module)', wm.moduleMs, fm.moduleMs),
    phase('define → attachShadow (upgrade)', wm.upgradeMs, fm.upgradeMs),
    ...(!known(wm.settingsFetchMs)
      ? []
      : [
          ['attachShadow → the settings request starts (the first update starts it)', ms(wm.toSettingsMs), '–', ''],
          ["the settings request, GET /v1/sites/oak-grove/form (loopback, the relay's own answer)", ms(wm.settingsFetchMs), '–', ''],
        ]),
    phase(
      known(wm.settingsFetchMs)
        ? "the settings' last byte (floor: attachShadow) → the update that shows the form starts"
        : 'attachShadow → the update that shows the form starts',
      wm.toUpdateMs,
      fm.toUpdateMs,
    ),
    ...(!known(wm.toJsonMs)
      ? []
      : [["… of which until the widget's res.json() resolves (the body handed to the page, parsed)", ms(wm.toJsonMs), '–', '']]),
    phase('… of which other Lit updates (the form not shown yet)', wm.otherUpdatesMs, fm.otherUpdatesMs),
    phase("the update that shows the form (Lit's render and commit)", wm.updateMs, fm.updateMs),
    phase('its end → interactive mark', wm.toMarkMs, fm.toMarkMs),
    [
      `all Lit updates before the mark (widget ${fixed(wm.updates, 0)}, floor ${fixed(fm.updates, 0)})`,
      ms(wm.updatesMs),
      ms(fm.updatesMs),
      ms(wm.updatesMs - fm.updatesMs),
    ],
    [
      '**start → interactive**',
      `**${ms(r.widget.medianMarkMs)}**`,
      `**${ms(r.floor.medianMarkMs)}**`,
      ms(r.widget.medianMarkMs - r.floor.medianMarkMs),
    ],
    ['the form seen usable (above), after the interactive mark', ms(wm.probeAfterMarkMs, 2), ms(fm.probeAfterMarkMs, 2), ''],
  ],
)}

On a repeat visit: widget ${markPhaseLine(r.widgetRepeat)}; floor ${markPhaseLine(r.floorRepeat)}.${jsonWaitNote(r)}

**Including the script's request and compile**, where a first visit's time goes from embed:start:

${table(
  ['phase', 'widget', 'floor', 'difference'],
  [
    phase("embed:start → the script's request starts", w.queueMs, f.queueMs),
    phase("the script's request (loopback, new connection)", w.fetchMs, f.fetchMs),
    phase('last byte → customElements.define (parse, compile, run the module)', w.evaluateMs, f.evaluateMs),
    phase('define → attachShadow (upgrade)', w.upgradeMs, f.upgradeMs),
    phase('attachShadow → form usable', w.firstRenderMs, f.firstRenderMs),
    ...(!known(w.settingsFetchMs)
      ? []
      : [
          ["… of which the widget's settings request, GET /v1/sites/oak-grove/form", ms(w.settingsFetchMs), '–', ''],
          ['… and from its last byte to the form usable', ms(w.afterSettingsMs), '–', ''],
          ...waterfallRows(r.widget),
        ]),
    phase('embed:start → form usable', r.widget.medianRenderMs, r.floor.medianRenderMs),
  ],
)}

${earlyLine(r.widget)}

The same phases on a repeat visit: widget ${phaseLine(r.widgetRepeat)}; floor ${phaseLine(r.floorRepeat)}.

### Layout shift

Cumulative layout shift is the sum of \`layout-shift\` entries (PerformanceObserver, buffered) 300 ms and two
frames after the form was usable, on two pages:

- **plain**: the page above, nothing reserved;
- **height reserved**: the same page with ${
    reservedGoal
      ? `README.md's advice from its "Embed" section, \`${v.readme}\`,`
      : 'a reservation (README.md\'s "Embed" section gave no rule: `resman-lead-form:not(:defined)`)'
  } in a \`<style>\` in its \`<head>\`, with the min-height set to the component's own laid-out height:
  its host element's height on the plain page once its form was usable (and 300 ms and two frames later),
  **measured once at the start of the run** in a fresh context at the same ${r.viewport.width}×${r.viewport.height} viewport:
  \`${v.widgetRule}\`. The floor gets the same with its own height, \`${v.floorRule}\` (it has no
  ready state; it renders in the task that defines it, so \`:not(:defined)\` ends its reservation at the same point).${
    v.readmePx === undefined
      ? ''
      : Math.abs(v.readmePx - v.widgetPx) < 0.5
        ? ` The README's example height, ${fixed(v.readmePx, 0)} px at the default 16 px root font size, is the widget's measured height here.`
        : ` The README's example height is ${fixed(v.readmePx, 0)} px at the default 16 px root font size, ${fixed(Math.abs(v.readmePx - v.widgetPx), 0)} px ${
            v.readmePx > v.widgetPx ? 'taller' : 'shorter'
          } than the widget's form measured here, so a page copying the example as it is would still move by that much when the form is shown (not measured: the README says to measure one's own form).`
  }

${table(
  [
    'page',
    'component',
    'reserved',
    'layout shift, worst',
    'median',
    'loads with a shift',
    'form before first paint',
    "component's height",
    'script start → interactive',
  ],
  shiftRows(r),
)}

${shiftNotes(r)}${r.problems.length ? `\n\nProblems the pages reported: ${r.problems.map((p) => `\`${p}\``).join('; ')}` : ''}`;
}

/** Whether the wait between the settings' last byte and res.json() resolving had a frame in it. */
function jsonWaitNote(r: RenderResult): string {
  const count = (x: RenderSeries) => {
    const timed = x.samples.filter((s) => s.settingsAt && Number.isFinite(s.settingsAt[2]) && s.frames);
    const framed = timed.filter((s) => s.frames.some((t) => t >= s.settingsAt![1] && t <= s.settingsAt![2]));
    return { timed: timed.length, framed: framed.length };
  };
  const first = count(r.widget);
  const repeat = count(r.widgetRepeat);
  if (first.timed === 0) return '';
  return ` Between the settings' last byte and the widget's \`res.json()\` resolving, a frame (requestAnimationFrame) began on ${first.framed} of ${first.timed} first visits and ${repeat.framed} of ${repeat.timed} repeat visits (the body is handed to the page on its main thread, which also renders the frames).`;
}

function marksMissing(r: RenderResult): string {
  const missing = [r.widget, r.floor, r.widgetReserved, r.floorReserved, r.widgetRepeat, r.floorRepeat].filter(
    (x) => x.loadsWithoutMarks > 0,
  );
  if (missing.length === 0) return '';
  return `\n**Marks missing** on ${missing.map((x) => `${x.loadsWithoutMarks} of ${x.samples.length} loads of ${x.label}`).join(', ')}: those loads are left out of the figure.`;
}

function shiftNotes(r: RenderResult): string {
  const plain = `Without a reservation, the text below the component moves down when the form takes its height after the first paint: the widget shifted on ${r.widget.loadsWithShift} of ${r.widget.samples.length} first visits (worst ${fixed(
    r.widget.maxCls,
    4,
  )}), and the Lit-only floor just the same, on ${r.floor.loadsWithShift} of ${r.floor.samples.length} (worst ${fixed(r.floor.maxCls, 4)}): any element that renders after the page's first paint does this, whatever it is built with. The form was usable before the first paint on ${r.widget.loadsFormBeforeFcp} widget loads and ${r.floor.loadsFormBeforeFcp} floor loads.`;
  const wr = r.widgetReserved;
  const fr = r.floorReserved;
  const reserved =
    wr.maxCls === 0 && fr.maxCls === 0
      ? `With the height reserved, no load of either shifted.`
      : `With the height reserved, the widget shifted on ${wr.loadsWithShift} of ${wr.samples.length} loads (worst ${fixed(wr.maxCls, 4)}) and the floor on ${fr.loadsWithShift} of ${fr.samples.length} (worst ${fixed(fr.maxCls, 4)}).`;
  const heights =
    wr.minHostHeight !== wr.maxHostHeight || Math.abs(wr.maxHostHeight - r.reservation.widgetPx) > 0.01
      ? ` The widget's height varied between loads (${fixed(wr.minHostHeight, 2)}–${fixed(wr.maxHostHeight, 2)} px against ${fixed(r.reservation.widgetPx, 2)} px reserved).`
      : '';
  const what = [r.widget, r.floor, r.widgetReserved, r.floorReserved]
    .map((x) => [x, moves(x)] as const)
    .filter(([, m]) => m !== '')
    .map(([x, m]) => `- ${x.label}: ${m}`);
  return `${plain} ${reserved}${heights}${what.length ? `\n\nWhat moved (layout-shift sources, first visits; times relative to the component's marks):\n\n${what.join('\n')}` : ''}`;
}

/** Each distinct move in a series' layout shifts (node, distance, height change): on how many loads, and when. */
function moves(x: RenderSeries): string {
  const seen = new Map<string, { loads: Set<number>; afterStart: number[]; afterInteractive: number[] }>();
  x.samples.forEach((sample, i) => {
    for (const shift of sample.shifts ?? []) {
      for (const m of shift.moved ?? []) {
        const down = Math.round(m.to[0] - m.from[0]);
        const grew = Math.round(m.to[1] - m.from[1]);
        const key = `\`${m.node.slice(0, 20)}…\` ${Math.abs(down)} px ${down >= 0 ? 'down' : 'up'}${grew ? ` (${grew > 0 ? '+' : ''}${grew} px high)` : ''}`;
        const entry = seen.get(key) ?? { loads: new Set(), afterStart: [], afterInteractive: [] };
        entry.loads.add(i);
        entry.afterStart.push(shift.ms);
        entry.afterInteractive.push(shift.ms - sample.markMs);
        seen.set(key, entry);
      }
    }
  });
  return [...seen]
    .map(([key, e]) => {
      const rel = median(e.afterInteractive);
      return `${key} on ${e.loads.size} of ${x.samples.length} loads, a median ${ms(median(e.afterStart))} after the start mark (${
        rel < 0 ? `${ms(-rel)} before the interactive mark, while the form was not shown yet` : `${ms(rel)} after the interactive mark`
      })`;
    })
    .join('; ');
}

/** When the first render waits for a lazy chunk requested after the settings: the gaps around it. */
function waterfallRows(x: RenderSeries): string[][] {
  const gaps: number[] = [];
  const tails: number[] = [];
  for (const sample of x.samples) {
    // Only chunks the form may have waited for: their last byte came before the update that showed it started.
    const early = (sample.earlyRequests ?? []).filter((e) => e.path.startsWith('/widget/') && e.beforeShownUpdate);
    if (early.length === 0 || !known(sample.phases.afterSettingsMs)) continue;
    const settingsEnd = sample.renderMs - sample.phases.afterSettingsMs;
    const first = Math.min(...early.map((e) => e.startMs));
    if (first < settingsEnd) continue;
    gaps.push(first - settingsEnd);
    tails.push(sample.renderMs - Math.max(...early.map((e) => e.endMs)));
  }
  // Shown only when the form may have waited for such a chunk on most loads; earlyLine says what happened otherwise.
  if (gaps.length * 2 < x.samples.length) return [];
  return [
    [`… of that, from the settings' last byte to the next widget chunk's request (${gaps.length} loads)`, ms(median(gaps)), '–', ''],
    ["… and from that chunk's last byte to the form usable", ms(median(tails)), '–', ''],
  ];
}

function readyByLine(r: RenderResult): string {
  const all = [r.widget, r.floor, r.widgetReserved, r.floorReserved, r.widgetRepeat, r.floorRepeat]
    .filter(Boolean)
    .flatMap((x) => x.samples);
  const counts = new Map<string, number>();
  for (const x of all) counts.set(x.readyBy ?? 'mutation', (counts.get(x.readyBy ?? 'mutation') ?? 0) + 1);
  const other = [...counts].filter(([by]) => by !== 'mutation');
  return other.length === 0
    ? `every load's moment came from a mutation.`
    : `the widget's view event and every frame are checked too; ${other.map(([by, n]) => `${n} of ${all.length} loads were seen by the ${by}`).join(', ')} (the rest by a mutation).`;
}

/** The lazy chunks (or other requests) requested before the form was usable, from a typical first visit: waited for or not. */
function earlyLine(x: RenderSeries): string {
  const withRequests = x.samples.filter((s) => (s.earlyRequests ?? []).length > 0);
  if (withRequests.length === 0) return 'Before its form was ready the widget requested nothing but widget.js and its settings.';
  const waited = x.samples.filter((s) => (s.earlyRequests ?? []).some((e) => e.beforeShownUpdate)).length;
  const typical = withRequests[withRequests.length >> 1]!;
  const list = typical.earlyRequests
    .map(
      (e) =>
        `\`${e.path.replace(/-[\w-]{8}\.js$/, '-….js')}\` (${ms(e.endMs - e.startMs)}, ending ${ms(e.endMs)} after embed:start, ${
          e.endMs <= typical.renderMs
            ? `${ms(typical.renderMs - e.endMs)} before the form was usable`
            : `${ms(e.endMs - typical.renderMs)} after the form was usable`
        })`,
    )
    .join(', ');
  return `Besides widget.js and its settings, the widget requested before its form was usable (on ${withRequests.length} of ${x.samples.length} first visits; one of them): ${list}. On ${waited} of ${
    x.samples.length
  } first visits such a request's last byte came before the Lit update that showed the form started (so the form may have waited for it); on the others it was still loading while that update ran, so the form did not wait for it.`;
}

const phaseLine = (x: RenderSeries) =>
  `fetch ${ms(x.medianPhases.fetchMs)}, evaluate ${ms(x.medianPhases.evaluateMs)}, upgrade ${ms(x.medianPhases.upgradeMs)}, attachShadow → form usable ${ms(x.medianPhases.firstRenderMs)}${
    !known(x.medianPhases.settingsFetchMs) ? '' : ` (settings request ${ms(x.medianPhases.settingsFetchMs)})`
  }, embed:start → form usable ${ms(x.medianRenderMs)}`;

/** The phases between the component's own marks, on one line. */
const markPhaseLine = (x: RenderSeries) => {
  const m = x.medianMarkPhases;
  return `start → interactive ${ms(x.medianMarkMs)}: module ${ms(m.moduleMs)}, upgrade ${ms(m.upgradeMs)}${
    known(m.settingsFetchMs)
      ? `, to the settings request ${ms(m.toSettingsMs)}, settings request ${ms(m.settingsFetchMs)}, from its last byte to the update that shows the form ${ms(m.toUpdateMs)}${
          known(m.toJsonMs) ? ` (${ms(m.toJsonMs)} of it until res.json() resolves)` : ''
        }`
      : `, to the first update ${ms(m.toUpdateMs)}`
  }, that update ${ms(m.updateMs)}`;
};

function inProcessSection(r: InProcessResult): string {
  return `## 3. Relay cost in process

\`app.fetch\` of \`createRelay\` (memory store and limiter, a deliverer woken by every lead but never started,
over an upstream that counts calls: ${r.upstreamCalls} made; logs formatted at info and discarded; SHA-256 and HMAC
on node:crypto, as relay/runtime/node/server.ts passes them), against a bare
Hono app whose route parses the same JSON and answers 200. Each request is a new lead shaped like the widget's
(fields and \`meta\` with a valid form token and attribution; a unique name, email and Idempotency-Key;
Content-Length set), built before the clock starts. ${r.rounds} rounds of ${r.batch} requests per app, alternating,
each batch on a fresh app; the figure per batch is its mean, the result the median over batches. CPU is
\`process.cpuUsage()\` over the batch (every thread of the process, GC helpers included).
Answers not 202 (relay) or 200 (bare): ${r.unexpected}.

${table(
  ['', 'wall µs / request', 'CPU µs / request', 'best batch, wall µs'],
  [
    [
      'Relay (createRelay)',
      `**${fixed(r.relayUsPerRequest, 0)}**`,
      fixed(r.relayCpuUsPerRequest, 0),
      fixed(Math.min(...r.relayBatchUs), 0),
    ],
    ['Bare Hono', fixed(r.bareUsPerRequest, 0), fixed(r.bareCpuUsPerRequest, 0), fixed(Math.min(...r.bareBatchUs), 0)],
    [
      'Relay ÷ bare',
      `**${times(r.ratio)}**`,
      times(r.relayCpuUsPerRequest / r.bareCpuUsPerRequest),
      times(Math.min(...r.relayBatchUs) / Math.min(...r.bareBatchUs)),
    ],
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
relay/runtime/node/server.ts runs it (\`startRelay\`: SQLite outbox in a temporary DATA_DIR with synchronous=FULL, memory
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
measured like test/build/worker-size.test.ts: **${kb(r.bundle.raw)} raw, ${kb(r.bundle.gzip)} gzip** (goal ${WORKER_GZIP_GOAL / 1024} KB gzip).

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
${r.propexoPerMinute} requests a minute (429 past it, responses slowed past 80%), until every lead is confirmed,
on the real clock **scaled ${r.scale}x** (test/support/scaled-time.ts, shared by
relay and sandbox: a minute passes in ${fixed(60 / r.scale, 1)} s; the sandbox's slow-down delay is scaled too; only loopback
round trips stay real, so they count ${r.scale} times over). The relay's pace: UPSTREAM_RATE_PER_MINUTE =
${r.relayPerMinute}${r.relayPerMinuteFromEnv ? ' (from the environment)' : " (the benchmark's setting: 140 of Propexo's 150; the relay's own default is 120, at which the creates alone take 8.3 minutes)"}.
The outbox lives on /dev/shm (SQLite still syncs every commit): a disk's fsync is real time, which the scaled clock would count ${r.scale} times over.

${table(
  ['', 'scaled minutes'],
  [
    ['first submission → last 202 (the burst arriving)', fixed(r.arrivalMinutes, 1)],
    ['last 202 → every lead confirmed', fixed(r.afterLastAcceptMinutes, 1)],
    [
      `**first submission → every lead confirmed** (goal ≤ ceil(2 × ${r.leads}/${r.propexoPerMinute}) + 1 = ${r.goalMinutes})`,
      `**${fixed(r.allConfirmedMinutes, 1)}**${r.timedOut ? ' (stopped: not done)' : ''}`,
    ],
  ],
)}

Real time: ${fixed(r.realSeconds, 1)} s. Outbox at the end: ${Object.entries(r.counts)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ')}. Propexo received ${r.propexo.requests} requests: ${r.propexo.creates} creates, ${r.propexo.statusChecks} write-status
checks, ${r.propexo.other} others (each lead's lookup for a returning prospect, and the confirmation rounds' listings); **${r.propexo.status429} answered 429** (the relay logged ${r.relayRateLimitedEvents} rate-limit events).

Where the time goes: ${fixed(perLead, 2)} Propexo requests per lead at the relay's pace of ${pace} a minute need at least
${fixed(r.propexo.requests / pace, 1)} minutes, whatever else happens; at Propexo's full ${r.propexoPerMinute} a minute they would still
need ${fixed(r.propexo.requests / r.propexoPerMinute, 1)}. The goal of ${r.goalMinutes} minutes leaves room for about two requests per lead (the
lookup and the create) at ${r.propexoPerMinute} a minute; the relay's own pace is below that, so it can miss the goal by the difference.
A site with \`returning: "new_lead"\` makes no lookup and needs about half.`;
}

function goalRows(results: Results): string[][] {
  const rows: string[][] = [];
  const add = (section: string, goals: Goal[] | undefined) => {
    for (const g of goals ?? [])
      rows.push([section, g.name, g.target, g.measured, g.target === 'report' ? (g.met ? 'reported' : '**check**') : yesNo(g.met)]);
  };
  const s = results.sections;
  add('1', s.size?.goals);
  add('2', s.render?.goals);
  add('3', s.inprocess?.goals);
  add('4', s.load?.goals);
  add('5', s.edge?.goals);
  add('6', s.drain?.goals);
  add('7', s.network?.goals);
  for (const [name, error] of Object.entries(results.errors))
    rows.push(['', `${name}: failed to run`, '', `\`${error.split('\n')[0]}\``, '**no**']);
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
    s.network && networkSection(s.network),
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
    [
      'Commit',
      `\`${m.commit}\`${m.uncommitted.length ? ` plus uncommitted changes in ${m.uncommitted.length} files (built and measured as they were)` : ''}`,
    ],
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
npm run bench    # ${results.commands.length ? `${results.commands.join(' && ')} && ` : ''}tsx bench/run.ts
\`\`\`

Sections: bench/size.ts, bench/render.ts, bench/relay-inprocess.ts, bench/relay-load.ts (and its servers,
bench/load-server.ts), bench/edge.ts, bench/drain.ts, bench/network.ts; the floor form is
bench/baseline/lit-form.ts. Raw results of the run: dist/bench/results.json.

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
  if (s.size?.goals.some((g) => !g.met)) {
    lines.push(
      `Size: ${kb(s.size.beforeRender.brotli)} brotli before render, of which ${kb(s.size.floor.brotli)} is the Lit floor; ${kb(s.size.englishSubmission.brotli - s.size.beforeRender.brotli)} more by the end of a submission (validation). See §1 for the files.`,
    );
  }
  const r = s.render;
  if (r && failed(r.goals, 0)) {
    const m = r.widget.medianMarkPhases;
    const fm = r.floor.medianMarkPhases;
    lines.push(
      `Render: from its script's start to an interactive form (its own performance marks) the widget takes ${ms(r.widget.medianMarkMs)} on a first visit, the Lit-only floor ${ms(r.floor.medianMarkMs)} (its first update ${ms(fm.updateMs)}). ` +
        (known(m.settingsFetchMs)
          ? `The widget's time: its settings request ${ms(m.settingsFetchMs)} (starting ${ms(m.moduleMs + m.upgradeMs + m.toSettingsMs)} after its start mark), ${ms(m.toUpdateMs)} from the settings' last byte to the update that shows the form (${ms(
              m.otherUpdatesMs,
            )} of it in other Lit updates), that update ${ms(m.updateMs)}. `
          : `The widget's update that shows the form: ${ms(m.updateMs)}. `) +
        `On a repeat visit (cached, code cache warm): widget ${ms(r.widgetRepeat.medianMarkMs)}, floor ${ms(r.floorRepeat.medianMarkMs)}. ` +
        `Including the script's request and compile (from embed:start): widget ${ms(r.widget.medianRenderMs)}, floor ${ms(r.floor.medianRenderMs)}.`,
    );
  }
  if (r && failed(r.goals, 1)) {
    const x = r.reservation.readme !== undefined ? r.widgetReserved : r.widget;
    lines.push(
      `Layout shift: ${x.loadsWithShift} of ${x.samples.length} first visits shifted (worst ${fixed(x.maxCls, 4)}) ${
        r.reservation.readme !== undefined ? "on the page reserving the form's height as the README advises" : 'with nothing reserved'
      }; with nothing reserved the widget shifted on ${r.widget.loadsWithShift} and the floor on ${r.floor.loadsWithShift} of ${r.widget.samples.length}.`,
    );
  }
  const p = s.inprocess;
  if (p && !p.goals[0]!.met) {
    const kind = (k: string) => p.profile.byKind.find((e) => e.where.startsWith(k))?.share ?? 0;
    lines.push(
      `Relay in process: ${fixed(p.relayUsPerRequest, 0)} µs against ${fixed(p.bareUsPerRequest, 0)} µs. In its profile hashing (the lead's SHA-256 fingerprints and the form token's HMAC) is ${pct(kind('WebCrypto'))}, idle ${pct(kind('idle'))}, ` +
        `undici's Request/Response/Headers ${pct(kind('undici'))}, Hono ${pct(kind('hono'))}, the relay's own code ${pct(kind('relay code'))}, validation ${pct(kind('validation'))}, garbage collection ${pct(kind('garbage'))}.`,
    );
  }
  const l = s.load;
  if (l?.goals.some((g) => !g.met)) {
    const sqlite = l.diagnosis.profile.byKind.find((e) => e.where.startsWith('SQLite'))?.share ?? 0;
    lines.push(
      `Relay under load: ${fixed(l.relay.reqPerSec, 0)} req/s, p99 ${ms(l.relay.p99Ms, 0)}. The SQLite outbox (one fsynced commit per event-loop turn for all the leads that arrived in it, synchronous on the event loop, with WAL checkpoints) is ${pct(sqlite)} of the relay's CPU under load; ` +
        `with the outbox in memory the same relay did ${fixed(l.diagnosis.memoryOutbox.reqPerSec, 0)} req/s, the rest being the per-request cost of §3. Requests queue behind each other on one event loop, hence the p99.`,
    );
  }
  const d = s.drain;
  if (d?.goals.some((g) => !g.met)) {
    lines.push(
      `Drain: ${fixed(d.propexo.requests / d.leads, 2)} Propexo requests per lead (${d.propexo.creates} creates, ${d.propexo.statusChecks} write-status checks) at the relay's ${d.relayPerMinute} a minute is at least ${fixed(d.propexo.requests / d.relayPerMinute, 1)} minutes; ` +
        `the burst itself took ${fixed(d.arrivalMinutes, 1)} scaled minutes to arrive.`,
    );
  }
  if (s.network?.goals.some((g) => !g.met)) lines.push(networkMissed(s.network));
  if (lines.length === 0) return '';
  return `\nMissed goals, in short (details in each section):\n\n${lines.map((x) => `- ${x}`).join('\n')}\n`;
}
