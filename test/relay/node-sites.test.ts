/**
 * The Node relay's sites (relay/runtime/node/sites.ts): SITES_FILE re-read on demand (SIGHUP) and on
 * its interval, a bad file keeping the last good sites; SITES_JSON fixed. And SIGHUP itself, sent to a
 * relay process of its own.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../relay/config/config-error.js';
import { parseConfig } from '../../relay/config/env.js';
import { createLogger } from '../../relay/lib/log.js';
import { nodeSites } from '../../relay/runtime/node/sites.js';
import { freePort } from '../support/free-port.js';
import { checkedSink } from '../support/hygiene.js';
import { SITE_IDS, TOKEN, manualClock } from './fixtures.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'node-sites-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const site = (slug: string) => ({ [slug]: { name: slug, ...SITE_IDS, allowed_origins: ['https://a.example'] } });

describe('the Node relay’s sites', () => {
  it('re-reads SITES_FILE when asked: changes apply in place, a bad file keeps the last good sites', async () => {
    const file = join(dir, 'sites.json');
    await writeFile(file, JSON.stringify(site('oak')));
    const env = { PROPEXO_API_TOKEN: TOKEN, SITES_FILE: file };
    const lines: string[] = [];
    const sites = nodeSites(env, parseConfig(env, { readFile: () => JSON.stringify(site('oak')) }), {
      clock: manualClock(),
      logger: createLogger({ sink: checkedSink(lines) }),
    });
    const live = sites.live;
    await writeFile(file, JSON.stringify({ ...site('pine'), $schema: './sites.schema.json' }));
    await sites.reload();
    expect([...live.keys()]).toEqual(['pine']);
    expect(sites.get('pine')?.slug).toBe('pine');
    expect(sites.live).toBe(live); // the same map, changed in place

    await writeFile(file, '{"pine": ');
    await sites.reload();
    expect([...live.keys()]).toEqual(['pine']);
    expect(lines.map((l) => JSON.parse(l).event)).toEqual(['sites.updated', 'sites.refresh_failed']);
  });

  it('with SITES_JSON the sites are fixed; a bad SITES_REFRESH_SECONDS is a configuration error', async () => {
    const env = { PROPEXO_API_TOKEN: TOKEN, SITES_JSON: JSON.stringify(site('oak')) };
    const deps = { clock: manualClock(), logger: createLogger({ sink: checkedSink() }) };
    const sites = nodeSites(env, parseConfig(env), deps);
    await sites.reload();
    expect([...sites.live.keys()]).toEqual(['oak']);
    expect(() => nodeSites({ ...env, SITES_REFRESH_SECONDS: '0' }, parseConfig(env), deps)).toThrow(ConfigError);
  });

  it('SIGHUP makes a running relay re-read SITES_FILE at once', async () => {
    const file = join(dir, 'hup.json');
    await writeFile(file, JSON.stringify(site('oak')));
    const port = await freePort();
    const relay = spawn(process.execPath, ['--import', 'tsx', 'relay/runtime/node/server.ts'], {
      cwd: join(import.meta.dirname, '../..'),
      env: {
        PATH: process.env.PATH,
        PROPEXO_API_TOKEN: TOKEN,
        PROPEXO_BASE_URL: 'http://127.0.0.1:9',
        SITES_FILE: file,
        SITES_REFRESH_SECONDS: '3600',
        PORT: String(port),
        HOST: '127.0.0.1',
        DATA_DIR: join(dir, 'data'),
        LOG_LEVEL: 'warn',
      },
      stdio: 'ignore',
    });
    try {
      const form = (slug: string) =>
        fetch(`http://127.0.0.1:${port}/v1/sites/${slug}/form`, { headers: { origin: 'https://a.example' } })
          .then((r) => r.status)
          .catch(() => 0);
      await expect.poll(() => form('oak'), { timeout: 15_000, interval: 100 }).toBe(200);
      await writeFile(file, JSON.stringify({ ...site('oak'), ...site('pine') }));
      expect(await form('pine')).toBe(404);
      relay.kill('SIGHUP');
      await expect.poll(() => form('pine'), { timeout: 5_000, interval: 50 }).toBe(200);
    } finally {
      relay.kill('SIGTERM');
      await new Promise((resolve) => relay.once('exit', resolve));
    }
  }, 30_000);
});
