/**
 * 7. A phone's network: Debian's headless Chromium loads a property's page (its own origin, as in §2)
 * under Chromium's network emulation (CDP Network.emulateNetworkConditions: 150 ms round trip, 1.6 Mbps
 * down, 750 kbps up, on every request of the page), each load a first visit in a fresh browser
 * context (empty cache). Three pages: the embed README.md documents (its snippet, read from its
 * "Embed" section, the relay's address put in), the one-script embed older sites still have, and the
 * Lit-only floor form (bench/baseline/lit-form.ts) loaded the same way: one module script, served by
 * the relay's own widget route (the same headers, a brotli copy). The relay is a real Node relay with
 * the embedded Propexo sandbox behind it, and the demo's Oak Grove settings (floor plans, units, consent).
 *
 * Measured: navigation start → the form is interactive. Interactive means, checked on every change in
 * the component's shadow root and at every frame: its shadow root holds a <form> with a control for
 * each of the site's fields (the `fields` of GET /v1/sites/oak-grove/form, and the consent checkbox
 * where it is asked from the start; for the floor, its seven), so a form still showing the defaults
 * does not count; and the first of them (first name) accepts input: enabled, not read-only,
 * tabbable, rendered (no display:none, visibility:hidden or opacity:0 on it or above it), not inert.
 */
import { randomBytes } from 'node:crypto';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { createLogger } from '../relay/lib/log.js';
import { startRelay } from '../relay/runtime/node/server.js';
import { SANDBOX_IDS, startSandbox } from '../sandbox/index.js';
import { launchChromium } from '../test/support/browser.js';
import { writeBrotliCopies } from '../widget/build/precompress.js';
import { freePort } from '../test/support/free-port.js';
import { BASELINE_ENTRY, buildBaseline } from './baseline/build.js';
import { startSite } from './render.js';
import { fixed, median, percentile, progress, ratio, times, type Goal } from './stats.js';

/** Lighthouse's "slow 4G" phone, as Chromium's emulation applies it: per request, no handshakes. */
export const PHONE_NETWORK = { latencyMs: 150, downloadKbps: 1600, uploadKbps: 750 };
export const NETWORK_RATIO_GOAL = 1.15;
const VIEWPORT = { width: 390, height: 844 };
/** What the README's snippets call the relay. */
const DOCS_RELAY = 'https://leads.example-relay.com';
const FLOOR_FIELDS = ['first_name', 'last_name', 'email_1', 'phone_1', 'target_move_in_date', 'desired_num_bedrooms', 'notes'];

/** A request of the page: its start and last byte, ms after navigation start. */
export interface Timed {
  path: string;
  startMs: number;
  endMs: number;
}

export interface NetworkSample {
  /** Navigation start → interactive (see above), ms. */
  readyMs: number;
  /** The page's own document: its last byte. */
  documentEndMs: number;
  /** Every request the page made before it was interactive, the document left out. */
  requests: Timed[];
  /** The component's own marks (<name>:start, when its module starts running; <name>:interactive), ms. */
  marks: [number, number];
  /** How many times the settings (GET …/form) were asked for before the form was interactive. */
  settingsRequests: number;
}

export interface NetworkSeries {
  label: string;
  /** What the page holds where the form goes. */
  embed: string;
  samples: NetworkSample[];
  medianMs: number;
  p90Ms: number;
  minMs: number;
  maxMs: number;
  medianDocumentEndMs: number;
  /** The component's script: its last byte, and from there to interactive (its compile, run, first render). */
  medianScriptEndMs: number;
  medianAfterScriptMs: number;
  /** The load whose time is the median's (the lower middle one), for its waterfall. */
  typical: NetworkSample;
}

export interface NetworkResult {
  loads: number;
  network: typeof PHONE_NETWORK;
  viewport: typeof VIEWPORT;
  chromium: string;
  /** The field names (and consent) the widget's form must show to count as interactive. */
  siteFields: string[];
  documented: NetworkSeries;
  scriptOnly: NetworkSeries;
  floor: NetworkSeries;
  /** documented ÷ floor, and script only ÷ floor: median navigation → interactive. */
  ratio: number;
  scriptOnlyRatio: number;
  problems: string[];
  goals: Goal[];
}

const PROBE = `(() => {
  const want = JSON.parse(document.currentScript.dataset.fields);
  const b = (window.__net = { ready: null });
  const roots = [];
  const accepts = (el) =>
    !!el && !el.disabled && !el.readOnly && el.tabIndex >= 0 && !el.closest('[inert]') &&
    el.checkVisibility({ visibilityProperty: true, opacityProperty: true });
  const check = () => {
    if (b.ready !== null) return;
    for (const root of roots) {
      const form = root.querySelector('form');
      if (form && want.every((name) => form.elements.namedItem(name)) && accepts(form.elements.namedItem(want[0]))) {
        b.ready = performance.now();
        return;
      }
    }
  };
  const attach = Element.prototype.attachShadow;
  Element.prototype.attachShadow = function (init) {
    const root = attach.call(this, init);
    roots.push(root);
    new MutationObserver(check).observe(root, { childList: true, subtree: true, attributes: true });
    return root;
  };
  // What a MutationObserver cannot see (styles adopted, a custom state) is caught at the next frame.
  const frame = () => { check(); if (b.ready === null) requestAnimationFrame(frame); };
  requestAnimationFrame(frame);
})();`;

const page = (title: string, fields: string[], embed: string) => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<script data-fields='${JSON.stringify(fields)}'>${PROBE}</script>
<style>body{font:16px/1.5 system-ui,sans-serif;margin:1rem}</style>
</head>
<body>
<h1>Oak Grove Apartments</h1>
<p>One, two and three bedroom homes five minutes from downtown. Tell us a little about yourself and a leasing agent will be in touch.</p>
${embed}
<p>Oak Grove Apartments · 1200 Oak Grove Dr · Austin, TX</p>
</body>
</html>`;

/** README.md's embed: the first html block of its "Embed" section. */
async function readmeEmbed(): Promise<string> {
  const text = await readFile(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8');
  const embed = text.split(/^## /m).find((section) => /^Embed\b/.test(section)) ?? '';
  const block = /```html\n([\s\S]*?)```/.exec(embed)?.[1];
  if (!block?.includes(DOCS_RELAY)) throw new Error(`README.md: no html block naming ${DOCS_RELAY} in its "Embed" section`);
  return block.trim();
}

export async function runNetwork(options: { loads?: number } = {}): Promise<NetworkResult> {
  const loads = options.loads ?? Number(process.env.BENCH_NETWORK_LOADS ?? 25);
  const demoSites = JSON.parse(await readFile(fileURLToPath(new URL('../demo/sites.json', import.meta.url)), 'utf8'));
  const token = `sandbox_${randomBytes(16).toString('hex')}`;
  const sandbox = await startSandbox({ token, writeDelayMs: 50, log: () => {} });
  const dataDir = await mkdtemp(join(tmpdir(), 'bench-network-'));
  // The floor is served by the relay's own widget route, as widget.js is (headers, brotli): a copy of
  // the built widget with the floor beside its chunks, and its brotli copy as the build writes them.
  const widgetDir = join(dataDir, 'widget');
  await cp('dist/widget', widgetDir, { recursive: true });
  await cp(join(await buildBaseline(), BASELINE_ENTRY), join(widgetDir, 'widget', BASELINE_ENTRY));
  writeBrotliCopies(join(widgetDir, 'widget'));
  const site = await startSite();
  const relay = await startRelay(
    {
      PROPEXO_API_TOKEN: token,
      PROPEXO_BASE_URL: sandbox.url,
      HOST: '127.0.0.1',
      PORT: String(await freePort()),
      DATA_DIR: dataDir,
      WIDGET_DIR: widgetDir,
      SITES_JSON: JSON.stringify({
        'oak-grove': {
          ...demoSites['oak-grove'],
          ...SANDBOX_IDS,
          allowed_origins: [site.origin],
          limits: {
            per_site: { max: 100_000, window_seconds: 60 },
            per_ip: { max: 100_000, window_seconds: 60 },
            per_ip_lookups: { max: 100_000, window_seconds: 60 },
          },
        },
      }),
    },
    { logger: createLogger({ level: 'warn', sink: () => {} }) },
  );
  const browser = await launchChromium();
  const problems: string[] = [];
  try {
    // The site's fields as its settings give them (this also fills the relay's floor-plan cache).
    const settings = (await (await fetch(`${relay.url}/v1/sites/oak-grove/form`, { headers: { origin: site.origin } })).json()) as {
      fields: string[];
      consent: { ask: string } | null;
    };
    // A consent box asked only with a phone number is not there until one is typed.
    const siteFields = [...settings.fields, ...(settings.consent?.ask === 'always' ? ['consent'] : [])];
    const documented = (await readmeEmbed()).replaceAll(DOCS_RELAY, relay.url);
    const scriptOnly = `<script type="module" src="${relay.url}/widget.js"></script>\n<resman-lead-form site="oak-grove"></resman-lead-form>`;
    const floor = `<script type="module" src="${relay.url}/widget/${BASELINE_ENTRY}"></script>\n<lit-form action="${relay.url}/v1/sites/oak-grove/leads"></lit-form>`;
    const pages: [string, string, string[], string][] = [
      ['documented', 'widget, the embed README.md documents', siteFields, documented],
      ['script-only', 'widget, one script tag (older embeds)', siteFields, scriptOnly],
      ['floor', 'Lit-only form (floor)', FLOOR_FIELDS, floor],
    ];
    site.setPages(Object.fromEntries(pages.map(([name, title, fields, embed]) => [`/${name}.html`, page(title, fields, embed)])));

    const samples = new Map(pages.map(([name]) => [name, [] as NetworkSample[]]));
    await loadOnce(browser, `${site.origin}/documented.html`, problems); // warm-up: the relay's own caches, Chromium's first start
    // Rotating the order every round, so drift (a busy core) hits every page alike.
    for (let i = 0; i < loads; i++) {
      for (let j = 0; j < pages.length; j++) {
        const [name] = pages[(i + j) % pages.length]!;
        samples.get(name)!.push(await loadOnce(browser, `${site.origin}/${name}.html`, problems));
      }
      if ((i + 1) % 5 === 0 || i + 1 === loads) progress(`network: ${i + 1}/${loads} first visits each`);
    }
    const series = (name: string): NetworkSeries => {
      const [, label, , embed] = pages.find(([n]) => n === name)!;
      const s = samples.get(name)!;
      const times = s.map((x) => x.readyMs);
      const sorted = [...s].sort((a, b) => a.readyMs - b.readyMs);
      const scriptEnd = (x: NetworkSample) => x.requests.find((q) => /\/(widget|lit-form)\.js$/.test(q.path))?.endMs ?? Number.NaN;
      return {
        label,
        embed,
        samples: s,
        medianMs: median(times),
        p90Ms: percentile(times, 90),
        minMs: Math.min(...times),
        maxMs: Math.max(...times),
        medianDocumentEndMs: median(s.map((x) => x.documentEndMs)),
        medianScriptEndMs: median(s.map(scriptEnd)),
        medianAfterScriptMs: median(s.map((x) => x.readyMs - scriptEnd(x))),
        typical: sorted[(sorted.length - 1) >> 1]!,
      };
    };
    const d = series('documented');
    const o = series('script-only');
    const f = series('floor');
    for (const x of d.samples)
      if (x.settingsRequests !== 1) problems.push(`documented embed: ${x.settingsRequests} settings requests in one load (expected 1)`);
    const r = ratio(d.medianMs, f.medianMs);
    return {
      loads,
      network: PHONE_NETWORK,
      viewport: VIEWPORT,
      chromium: browser.version(),
      siteFields,
      documented: d,
      scriptOnly: o,
      floor: f,
      ratio: r,
      scriptOnlyRatio: ratio(o.medianMs, f.medianMs),
      problems: [...new Set(problems)],
      goals: [
        {
          name: `Phone network (${PHONE_NETWORK.latencyMs} ms round trip, ${fixed(PHONE_NETWORK.downloadKbps / 1000)} Mbps): navigation to interactive form, first visit, vs the Lit-only floor`,
          target: `<= ${NETWORK_RATIO_GOAL}x`,
          measured: `${fixed(d.medianMs, 0)} ms vs ${fixed(f.medianMs, 0)} ms (${times(r)}); one script tag ${fixed(o.medianMs, 0)} ms (${times(ratio(o.medianMs, f.medianMs))})`,
          met: r <= NETWORK_RATIO_GOAL,
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

/** One first visit: a fresh context (no HTTP cache, no code cache, new connections), the phone's network. */
async function loadOnce(browser: Browser, url: string, problems: string[]): Promise<NetworkSample> {
  const context = await browser.newContext({ viewport: VIEWPORT });
  try {
    const tab = await context.newPage();
    tab.on('pageerror', (e) => problems.push(`${url}: ${e.message}`));
    tab.on('console', (m) => m.type() === 'error' && problems.push(`${url}: console: ${m.text()}`));
    tab.on('response', (r) => r.status() >= 400 && problems.push(`${url}: ${r.status()} ${new URL(r.url()).pathname}`));
    const cdp = await context.newCDPSession(tab);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: PHONE_NETWORK.latencyMs,
      downloadThroughput: (PHONE_NETWORK.downloadKbps * 1000) / 8,
      uploadThroughput: (PHONE_NETWORK.uploadKbps * 1000) / 8,
    });
    await tab.goto(url, { waitUntil: 'commit' });
    await tab.waitForFunction(() => (window as unknown as { __net: { ready: number | null } }).__net.ready !== null, undefined, {
      timeout: 30_000,
      polling: 50,
    });
    return await tab.evaluate(() => {
      const ready = (window as unknown as { __net: { ready: number } }).__net.ready;
      const entries = performance.getEntriesByType('resource') as PerformanceResourceTiming[];
      const requests = entries
        .filter((e) => e.startTime < ready)
        .map((e) => ({ path: new URL(e.name).pathname, startMs: e.startTime, endMs: e.responseEnd }));
      const navigation = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
      const component = document.querySelector('lit-form') ? 'lit-form' : 'resman-lead-form';
      const marks = ['start', 'interactive'].map(
        (m) => performance.getEntriesByName(`${component}:${m}`, 'mark')[0]?.startTime ?? Number.NaN,
      );
      return {
        readyMs: ready,
        marks: marks as [number, number],
        documentEndMs: navigation.responseEnd,
        requests,
        settingsRequests: requests.filter((x) => /^\/v1\/sites\/[^/]+\/form$/.test(x.path)).length,
      };
    });
  } finally {
    await context.close();
  }
}
