/**
 * 2. Render: Debian's headless Chromium loads a page served on loopback that embeds the built widget
 * with a module script, as a property site would, and the same page with the Lit-only form instead.
 * The widget is served by a real Node relay (startRelay, the embedded Propexo sandbox behind it), so
 * anything the widget asks its relay for before it renders is answered for real. The page itself comes
 * from another origin (a small node:http server), as a property's website would, so the widget's
 * requests are cross-origin with the Origin header the relay checks.
 *
 * Measured per page load, in a fresh browser context (nothing cached; for repeat visits, the third
 * load in one context):
 * - from `performance.mark('embed:start')`, set by the page's module script just before it imports
 *   the component, to the moment the shadow root holds a <form> with a focusable control (not
 *   disabled, tabbable, visible: no display:none, visibility:hidden or opacity:0 on it or above it,
 *   not inert). A classic script in <head> wraps attachShadow and watches every shadow root with a
 *   MutationObserver, so the moment is taken in the microtask after Lit commits the DOM, not rounded
 *   to a frame (the widget's view event and each frame are checked too, for changes a
 *   MutationObserver cannot see);
 * - cumulative layout shift (PerformanceObserver 'layout-shift', buffered), read 300 ms and two
 *   frames after the form was ready; the page has text above and below the component, so a form that
 *   appears after the first paint and pushes the footer down is counted.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { createLogger } from '../relay/log.js';
import { startRelay } from '../relay/node.js';
import { SANDBOX_IDS, startSandbox } from '../relay/sandbox/index.js';
import { launchChromium } from '../test/support/browser.js';
import { freePort } from '../test/support/free-port.js';
import { BASELINE_ENTRY, buildBaseline } from './baseline/build.js';
import { fixed, median, percentile, progress, ratio, times, type Goal } from './stats.js';

export const RENDER_GOAL_MS = 16;

export interface LoadSample {
  /** embed:start → form with a focusable control in the shadow root, ms. */
  renderMs: number;
  /** Navigation start → the same moment, ms. */
  sinceNavigationMs: number;
  /** The component script's own fetch (resource timing: startTime → responseEnd), ms. */
  scriptFetchMs: number;
  /** First contentful paint, ms after navigation start (undefined if none was reported). */
  fcpMs: number | undefined;
  formBeforeFcp: boolean;
  /** What saw the form ready: a mutation in the shadow root (exact), the widget's view event, or a frame. */
  readyBy: string;
  /** embed:start → the widget's own resman-lead-view event, when it fires one. */
  viewEventMs: number | undefined;
  cls: number;
  controls: number;
  /** Other requests made before the form was ready (lazy chunks the first render waited for). */
  earlyRequests: EarlyRequest[];
  /** Where the time goes: embed:start → the script's fetch starts → its last byte → customElements.define → attachShadow → form ready. */
  phases: Phases;
}

export interface Phases {
  queueMs: number;
  fetchMs: number;
  evaluateMs: number;
  upgradeMs: number;
  firstRenderMs: number;
  /** The widget's GET /v1/sites/:site/form (its settings), if it made one: request start → last byte. */
  settingsFetchMs: number;
  /** The settings' last byte → form ready. */
  afterSettingsMs: number;
}

/** A request the page made before the form was ready, besides the page, the script and the settings. */
export interface EarlyRequest {
  path: string;
  /** Its start and its last byte, ms after embed:start. */
  startMs: number;
  endMs: number;
}

export interface RenderSeries {
  label: string;
  samples: LoadSample[];
  medianRenderMs: number;
  p90RenderMs: number;
  minRenderMs: number;
  medianSinceNavigationMs: number;
  medianScriptFetchMs: number;
  medianPhases: Phases;
  medianViewEventMs: number | undefined;
  loadsFormBeforeFcp: number;
  maxCls: number;
  loadsWithShift: number;
  controls: number;
}

export interface RenderResult {
  loads: number;
  repeatLoads: number;
  widgetRepeat: RenderSeries;
  floorRepeat: RenderSeries;
  chromium: string;
  widget: RenderSeries;
  floor: RenderSeries;
  ratio: number;
  problems: string[];
  goals: Goal[];
}

const PROBE = `(() => {
  const b = (window.__bench = { cls: 0, ready: null, by: null, controls: 0, defined: null, shadow: null, view: null });
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) if (!e.hadRecentInput) b.cls += e.value;
  }).observe({ type: 'layout-shift', buffered: true });
  // Seen and usable: not disabled, tabbable, rendered (no display:none, visibility:hidden or opacity:0
  // on it or above it in the flat tree), not inert.
  const focusable = (el) =>
    !el.disabled && el.tabIndex >= 0 && el.type !== 'hidden' && !el.closest('[inert]') &&
    el.checkVisibility({ visibilityProperty: true, opacityProperty: true, contentVisibilityAuto: true });
  const roots = [];
  const check = (by) => {
    if (b.ready !== null) return;
    for (const root of roots) {
      const form = root.querySelector('form');
      if (!form) continue;
      const controls = [...form.querySelectorAll('input,select,textarea')];
      if (!controls.some(focusable)) continue;
      b.ready = performance.now();
      b.by = by;
      b.controls = controls.length;
      return;
    }
  };
  document.addEventListener('resman-lead-view', () => { b.view ??= performance.now(); check('view event'); }, true);
  const define = customElements.define;
  customElements.define = function (...args) {
    b.defined ??= performance.now();
    return define.apply(this, args);
  };
  // A change the MutationObserver cannot see (a host attribute, a custom state) is caught at the next frame.
  const frame = () => { check('frame'); if (b.ready === null) requestAnimationFrame(frame); };
  const attach = Element.prototype.attachShadow;
  Element.prototype.attachShadow = function (init) {
    if (b.shadow === null) { b.shadow = performance.now(); requestAnimationFrame(frame); }
    const root = attach.call(this, init);
    roots.push(root);
    new MutationObserver(() => check('mutation')).observe(root, { childList: true, subtree: true, attributes: true });
    return root;
  };
})();`;

const page = (title: string, element: string, script: string) => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<script>${PROBE}</script>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}</style>
</head>
<body>
<h1>Oak Grove Apartments</h1>
<p>One, two and three bedroom homes five minutes from downtown. Tell us a little about yourself and a leasing agent will be in touch.</p>
${element}
<p>Oak Grove Apartments · 1200 Oak Grove Dr · Austin, TX</p>
<script type="module">performance.mark('embed:start'); import('${script}');</script>
</body>
</html>`;

function pages(relayUrl: string): Record<string, string> {
  return {
    '/widget.html': page('widget', '<resman-lead-form site="oak-grove"></resman-lead-form>', `${relayUrl}/widget.js`),
    '/floor.html': page('Lit-only form', `<lit-form action="${relayUrl}/v1/sites/oak-grove/leads"></lit-form>`, `${relayUrl}/bench/${BASELINE_ENTRY}`),
  };
}

/** The property's website: another origin than the relay's, as on a real site. */
async function startSite(): Promise<{ origin: string; setPages(p: Record<string, string>): void; close(): Promise<void> }> {
  let current: Record<string, string> = {};
  const server = createServer((req, res) => {
    const html = current[new URL(req.url ?? '/', 'http://x').pathname];
    if (!html) return res.writeHead(req.url === '/favicon.ico' ? 204 : 404).end();
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(html);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    setPages: (p) => (current = p),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * One page load in a fresh browser context (a first visit: no HTTP cache, no V8 code cache, a new
 * connection). With `views` > 1 the page is loaded that many times in the same context and the last
 * load is measured: a repeat visit, with widget.js from the HTTP cache and its compiled code cached.
 */
async function loadOnce(browser: Browser, url: string, problems: string[], views = 1): Promise<LoadSample> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  try {
    const tab = await context.newPage();
    tab.on('pageerror', (e) => problems.push(`${url}: ${e.message}`));
    tab.on('console', (m) => m.type() === 'error' && problems.push(`${url}: console: ${m.text()}`));
    tab.on('response', (r) => r.status() >= 400 && problems.push(`${url}: ${r.status()} ${new URL(r.url()).pathname}`));
    for (let view = 1; view <= views; view++) {
      await tab.goto(url, { waitUntil: 'load' });
      await tab.waitForFunction(() => (window as unknown as { __bench: { ready: number | null } }).__bench.ready !== null, undefined, { timeout: 15_000, polling: 50 });
    }
    // Late shifts (the widget re-renders when its relay's form settings arrive) are counted too.
    await tab.waitForTimeout(300);
    return await tab.evaluate(async (): Promise<LoadSample> => {
      await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
      const b = (window as unknown as { __bench: { ready: number; cls: number; controls: number; defined: number; shadow: number; view: number | null; by: string } }).__bench;
      const start = performance.getEntriesByName('embed:start')[0]!.startTime;
      const script = performance
        .getEntriesByType('resource')
        .find((e) => /\/(widget|lit-form)\.js$/.test(new URL(e.name).pathname)) as PerformanceResourceTiming | undefined;
      const fcp = performance.getEntriesByName('first-contentful-paint')[0]?.startTime;
      const settings = performance
        .getEntriesByType('resource')
        .find((e) => /^\/v1\/sites\/[^/]+\/form$/.test(new URL(e.name).pathname)) as PerformanceResourceTiming | undefined;
      return {
        renderMs: b.ready - start,
        sinceNavigationMs: b.ready,
        scriptFetchMs: script ? script.responseEnd - script.startTime : Number.NaN,
        fcpMs: fcp,
        formBeforeFcp: fcp === undefined ? false : b.ready <= fcp,
        viewEventMs: b.view === null ? undefined : b.view - start,
        readyBy: b.by,
        cls: b.cls,
        controls: b.controls,
        earlyRequests: (performance.getEntriesByType('resource') as PerformanceResourceTiming[])
          .filter((e) => e !== script && e !== settings && e.startTime < b.ready && new URL(e.name).pathname !== '/favicon.ico')
          .map((e) => ({ path: new URL(e.name).pathname, startMs: e.startTime - start, endMs: e.responseEnd - start })),
        phases: {
          queueMs: (script?.startTime ?? Number.NaN) - start,
          fetchMs: script ? script.responseEnd - script.startTime : Number.NaN,
          evaluateMs: b.defined - (script?.responseEnd ?? Number.NaN),
          upgradeMs: b.shadow - b.defined,
          firstRenderMs: b.ready - b.shadow,
          settingsFetchMs: settings ? settings.responseEnd - settings.startTime : Number.NaN,
          afterSettingsMs: settings ? b.ready - settings.responseEnd : Number.NaN,
        },
      };
    });
  } finally {
    await context.close();
  }
}

function series(label: string, samples: LoadSample[]): RenderSeries {
  const render = samples.map((s) => s.renderMs);
  return {
    label,
    samples,
    medianRenderMs: median(render),
    p90RenderMs: percentile(render, 90),
    minRenderMs: Math.min(...render),
    medianSinceNavigationMs: median(samples.map((s) => s.sinceNavigationMs)),
    medianScriptFetchMs: median(samples.map((s) => s.scriptFetchMs)),
    medianPhases: {
      queueMs: median(samples.map((s) => s.phases.queueMs)),
      fetchMs: median(samples.map((s) => s.phases.fetchMs)),
      evaluateMs: median(samples.map((s) => s.phases.evaluateMs)),
      upgradeMs: median(samples.map((s) => s.phases.upgradeMs)),
      firstRenderMs: median(samples.map((s) => s.phases.firstRenderMs)),
      settingsFetchMs: median(samples.map((s) => s.phases.settingsFetchMs)),
      afterSettingsMs: median(samples.map((s) => s.phases.afterSettingsMs)),
    },
    medianViewEventMs: samples.every((s) => s.viewEventMs !== undefined) ? median(samples.map((s) => s.viewEventMs!)) : undefined,
    loadsFormBeforeFcp: samples.filter((s) => s.formBeforeFcp).length,
    maxCls: Math.max(...samples.map((s) => s.cls)),
    loadsWithShift: samples.filter((s) => s.cls > 0).length,
    controls: samples[0]?.controls ?? 0,
  };
}

export async function runRender(options: { loads?: number; warmup?: number; repeatLoads?: number } = {}): Promise<RenderResult> {
  const loads = options.loads ?? Number(process.env.BENCH_RENDER_LOADS ?? 25);
  const warmup = options.warmup ?? 2;
  const repeatLoads = options.repeatLoads ?? Number(process.env.BENCH_RENDER_REPEAT_LOADS ?? 6);
  const floorDir = await buildBaseline();
  const floorJs = await readFile(join(floorDir, BASELINE_ENTRY));
  const token = `sandbox_${randomBytes(16).toString('hex')}`;
  const sandbox = await startSandbox({ token, writeDelayMs: 50, log: () => {} });
  const dataDir = await mkdtemp(join(tmpdir(), 'bench-render-'));
  const site = await startSite();
  const relay = await startRelay(
    {
      PROPEXO_API_TOKEN: token,
      PROPEXO_BASE_URL: sandbox.url,
      HOST: '127.0.0.1',
      PORT: String(await freePort()),
      DATA_DIR: dataDir,
      WIDGET_DIR: 'dist/widget',
      SITES_JSON: JSON.stringify({
        'oak-grove': {
          name: 'Oak Grove Apartments',
          ...SANDBOX_IDS,
          allowed_origins: [site.origin],
          limits: { per_site: { max: 100_000, window_seconds: 60 }, per_ip: { max: 100_000, window_seconds: 60 }, per_ip_lookups: { max: 100_000, window_seconds: 60 } },
        },
      }),
    },
    { logger: createLogger({ level: 'warn', sink: () => {} }) },
    {
      wrap: (relayApp) => ({
        fetch(request, env) {
          const path = new URL(request.url).pathname;
          if (path === `/bench/${BASELINE_ENTRY}`) {
            // The same caching and CORS headers the relay gives widget.js.
            return new Response(floorJs, {
              headers: { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'public, max-age=300', 'access-control-allow-origin': '*' },
            });
          }
          return relayApp.fetch(request, env);
        },
      }),
    },
  );
  site.setPages(pages(relay.url));
  const browser = await launchChromium();
  const problems: string[] = [];
  try {
    const widgetUrl = `${site.origin}/widget.html`;
    const floorUrl = `${site.origin}/floor.html`;
    for (let i = 0; i < warmup; i++) {
      await loadOnce(browser, widgetUrl, problems);
      await loadOnce(browser, floorUrl, problems);
    }
    const widget: LoadSample[] = [];
    const floor: LoadSample[] = [];
    // Alternating, with the order flipped every round, so drift (a warming JIT, a busy core) hits both.
    const alternate = async (rounds: number, views: number, into: [LoadSample[], LoadSample[]], what: string) => {
      for (let i = 0; i < rounds; i++) {
        const pair = i % 2 === 0 ? ([[widgetUrl, into[0]], [floorUrl, into[1]]] as const) : ([[floorUrl, into[1]], [widgetUrl, into[0]]] as const);
        for (const [url, samples] of pair) samples.push(await loadOnce(browser, url, problems, views));
        if ((i + 1) % 10 === 0 || i + 1 === rounds) progress(`render: ${what} ${i + 1}/${rounds} each`);
      }
    };
    await alternate(loads, 1, [widget, floor], 'first visits');
    const widgetRepeat: LoadSample[] = [];
    const floorRepeat: LoadSample[] = [];
    await alternate(repeatLoads, 3, [widgetRepeat, floorRepeat], 'repeat visits (3rd view)');
    const w = series('widget (resman-lead-form)', widget);
    const f = series('Lit-only form (floor)', floor);
    const r = ratio(w.medianRenderMs, f.medianRenderMs);
    return {
      loads,
      repeatLoads,
      chromium: browser.version(),
      widget: w,
      floor: f,
      ratio: r,
      widgetRepeat: series('widget, repeat visit', widgetRepeat),
      floorRepeat: series('Lit-only form, repeat visit', floorRepeat),
      problems: [...new Set(problems)],
      goals: [
        {
          name: 'Render: script start to interactive form (median)',
          target: `<= ${RENDER_GOAL_MS} ms`,
          measured: `${fixed(w.medianRenderMs)} ms (floor ${fixed(f.medianRenderMs)} ms, ${times(r)})`,
          met: w.medianRenderMs <= RENDER_GOAL_MS,
        },
        {
          name: 'Render: cumulative layout shift (worst load)',
          target: '0',
          measured: `${fixed(w.maxCls, 4)} (${w.loadsWithShift}/${loads} loads with any shift)`,
          met: w.maxCls === 0,
        },
      ],
    };
  } finally {
    await browser.close();
    await relay.close();
    await sandbox.close();
    await site.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

