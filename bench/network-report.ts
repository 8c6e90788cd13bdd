/** BENCHMARKS.md's section 7 (bench/network.ts): the widget on a phone's network, beside the floor. */
import type { NetworkResult, NetworkSample, NetworkSeries } from './network.js';
import { fixed, times } from './stats.js';

const ms = (x: number) => `${fixed(x, 0)} ms`;

/** The requests of one load before it was interactive, in order: `path start → last byte`. */
function waterfall(x: NetworkSample): string {
  const requests = [...x.requests].sort((a, b) => a.startMs - b.startMs);
  return [
    `document ${ms(x.documentEndMs)}`,
    ...requests.map((q) => `\`${q.path}\` ${fixed(q.startMs, 0)} → ${ms(q.endMs)}`),
    `**interactive ${ms(x.readyMs)}**`,
  ].join(' · ');
}

export function networkSection(r: NetworkResult): string {
  const n = r.network;
  const row = (x: NetworkSeries, ratio: string) => [
    x.label,
    `**${ms(x.medianMs)}**`,
    ms(x.p90Ms),
    ms(x.minMs),
    ms(x.maxMs),
    ratio,
    ms(x.medianScriptEndMs),
    ms(x.medianAfterScriptMs),
  ];
  const fields = r.siteFields.filter((f) => f !== 'consent');
  const embed = (x: NetworkSeries) => `\`\`\`html\n${x.embed.replaceAll(/http:\/\/127\.0\.0\.1:\d+/g, 'RELAY')}\n\`\`\``;
  return `## 7. A phone's network

Headless Chromium ${r.chromium}, viewport ${r.viewport.width}×${r.viewport.height}, under Chromium's own network emulation
(CDP \`Network.emulateNetworkConditions\`, on every request of the page): **${n.latencyMs} ms round trip,
${fixed(n.downloadKbps / 1000)} Mbps down**, ${n.uploadKbps} kbps up. The emulation delays each request by the round trip and
shares the bandwidth between the requests in flight; it adds no handshakes. The pages come from the
property's own origin and the component from the relay's (a real Node relay with the embedded sandbox, as
in §2), with the demo's Oak Grove settings: ${fields.length} fields${fields.length < r.siteFields.length ? ' and consent' : ''}, floor plans from the sandbox.
Each load is a first visit: a fresh browser context (empty cache, new connections). ${r.loads} loads of
each page, the order rotated every round.

**The figure: navigation start → interactive.** Interactive: the component's shadow root holds a
\`<form>\` with a control for every one of the site's fields (\`${r.siteFields.join(' ')}\`; for the floor,
its seven), so a form still showing the defaults does not count, and its first field accepts input
(enabled, not read-only, tabbable, rendered, not inert). Checked at every change of the shadow root
and at every frame.

The pages, where the form goes (RELAY is the relay's address):

- **${r.documented.label}**, read from its "Embed" section:

${embed(r.documented)}

- **${r.scriptOnly.label}**:

${embed(r.scriptOnly)}

- **${r.floor.label}**: bench/baseline/lit-form.ts, built as the widget is, served by the relay's own
  widget route beside the widget's chunks (the same headers, its brotli copy written as the build writes
  the widget's):

${embed(r.floor)}

${[
  "| | navigation → interactive (median) | p90 | min | max | ÷ floor | the script's last byte | from there to interactive |",
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...[row(r.documented, `**${times(r.ratio)}**`), row(r.scriptOnly, times(r.scriptOnlyRatio)), row(r.floor, '')].map(
    (cells) => `| ${cells.join(' | ')} |`,
  ),
].join('\n')}

The last two columns are medians of their own: when the component's script had arrived, and the time
from there to the form being interactive (compiling and running the script, the settings when they are
not in yet, the first render).

Each page's median load, its requests (start → last byte, ms after navigation start):

- documented embed: ${waterfall(r.documented.typical)}
- one script tag: ${waterfall(r.scriptOnly.typical)}
- floor: ${waterfall(r.floor.typical)}

With the preload, the settings travel beside the script and the form is interactive after the script's
own request; with the script alone they start only once the script has run, one more round trip.${
    r.problems.length ? `\n\nProblems seen during the run:\n\n${r.problems.map((p) => `- ${p}`).join('\n')}` : ''
  }`;
}

/** For the summary when the goal is missed: where the documented embed's time goes, beside the floor's. */
export function networkMissed(r: NetworkResult): string {
  const d = r.documented;
  const f = r.floor;
  return (
    `Phone network: the documented embed is interactive ${ms(d.medianMs)} after navigation, the floor ${ms(f.medianMs)} (${times(r.ratio)}). ` +
    `The component's script had arrived at ${ms(d.medianScriptEndMs)} and ${ms(f.medianScriptEndMs)} (medians), and the form was interactive ${ms(
      d.medianAfterScriptMs,
    )} and ${ms(f.medianAfterScriptMs)} after it.`
  );
}
