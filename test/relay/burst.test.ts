/**
 * A burst of a thousand leads against the sandbox's real 150-a-minute limit drains in the order the
 * leads arrived, with no 429 from Propexo. Time runs 300 times faster for both sides (a minute is
 * 0.2 s), so the run takes seconds while every pause and window keeps its proportions.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../relay/log.js';
import { startRelay, type RunningRelay } from '../../relay/node.js';
import { SANDBOX_IDS, startSandbox, type RunningSandbox } from '../../relay/sandbox/index.js';
import { freePort } from '../support/free-port.js';
import { checkedSink } from '../support/hygiene.js';
import { scaledTime } from '../support/scaled-time.js';
import { TOKEN, VALID_LEAD } from './fixtures.js';

const LEADS = 1000;
const time = scaledTime(300);

describe('a burst of a thousand leads', () => {
  let sandbox: RunningSandbox;
  let relay: RunningRelay;
  let dataDir: string;
  const lines: string[] = [];

  beforeAll(async () => {
    // Propexo as documented: 150 a minute, responses delayed past 80%, 429 past 100%.
    sandbox = await startSandbox({ token: TOKEN, clock: time.clock, writeDelayMs: 1_500, slowDownMs: 2_000, log: checkedSink() });
    dataDir = await mkdtemp(join(tmpdir(), 'relay-burst-'));
    const port = await freePort();
    relay = await startRelay(
      {
        PROPEXO_API_TOKEN: TOKEN,
        PROPEXO_BASE_URL: sandbox.url,
        PORT: String(port),
        HOST: '127.0.0.1',
        DATA_DIR: dataDir,
        SITES_JSON: JSON.stringify({
          'oak-grove': {
            name: 'Oak Grove',
            ...SANDBOX_IDS,
            allowed_origins: ['http://localhost:{PORT}'],
            limits: { per_site: { max: 5000, window_seconds: 60 }, per_ip: { max: 5000, window_seconds: 60 } },
          },
        }),
      },
      { clock: time.clock, sleep: time.sleep, logger: createLogger({ secrets: [TOKEN], sink: checkedSink(lines) }) },
    );
  });

  afterAll(async () => {
    await relay?.close();
    await sandbox?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('drains in order with no 429, every lead confirmed once', async () => {
    const origin = new URL(relay.url).origin.replace('127.0.0.1', 'localhost');
    const started = time.clock.now();
    // One after another, so the order of acceptance is the order of the names.
    for (let n = 0; n < LEADS; n++) {
      const answer = await fetch(`${relay.url}/v1/sites/oak-grove/leads`, {
        method: 'POST',
        headers: { origin, 'content-type': 'application/json' },
        body: JSON.stringify({ ...VALID_LEAD, first_name: `Lead${String(n).padStart(4, '0')}`, email_1: `lead${n}@gmail.com` }),
      });
      expect(answer.status).toBe(202);
    }

    const deadline = Date.now() + 60_000;
    while ((await relay.store.counts()).confirmed < LEADS && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const counts = await relay.store.counts();
    expect(counts).toEqual({ queued: 0, sent: 0, confirmed: LEADS, failed: 0, held: 0 });

    // Propexo received them in the order they were accepted, each once.
    const received = sandbox.leads().map((l) => l.body.first_name as string);
    expect(received).toHaveLength(LEADS);
    expect(received).toEqual([...received].sort());
    const events = lines.map((l) => JSON.parse(l) as { event: string });
    expect(events.filter((e) => e.event === 'propexo.rate_limited')).toHaveLength(0);
    const minutes = (time.clock.now() - started) / 60_000;
    console.log(`burst: ${LEADS} leads confirmed in ${minutes.toFixed(1)} scaled minutes, no 429`);
  });
});
