import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { WORKER_GZIP_GOAL, buildEdgeAssets, bundleWorker, type WorkerBundle } from '../../relay/runtime/worker/build.js';

// The Worker as `wrangler deploy` bundles it: its size is deterministic, so the goal is a test.
describe('worker bundle', () => {
  let bundle: WorkerBundle;
  // wrangler reads the assets directory of wrangler.toml: the widget npm test has just built.
  beforeAll(async () => {
    await buildEdgeAssets(join(import.meta.dirname, '../../dist/edge'), { widget: false, quiet: true });
    bundle = bundleWorker();
  }, 60_000);

  it(`stays within ${WORKER_GZIP_GOAL / 1024} KB gzip`, () => {
    expect(bundle.raw).toBeGreaterThan(20_000); // hono, zod and the relay are in it: a sanity floor
    expect(bundle.gzip).toBeLessThanOrEqual(WORKER_GZIP_GOAL);
  });

  it('holds the relay and what it imports, and nothing of the demo, the sandbox, the widget, the console, tests or benchmarks', () => {
    // The metafile really lists the sources: the entry, the app it composes, the contract, hono.
    expect(bundle.inputs).toEqual(expect.arrayContaining(['relay/runtime/worker/worker.ts', 'relay/app.ts', 'contract/errors.ts']));
    expect(bundle.inputs.some((input) => input.startsWith('node_modules/hono/'))).toBe(true);
    expect(bundle.inputs.filter((input) => /^(demo|sandbox|widget|console|test|bench)\//.test(input))).toEqual([]);
    // Node-only parts of the relay stay out too.
    expect(bundle.inputs.filter((input) => input.startsWith('relay/runtime/node/') || input.includes('better-sqlite3'))).toEqual([]);
    // Alerts are in it (the webhook), e-mail is not: nodemailer and the e-mail keys' parser are Node's.
    expect(bundle.inputs).toEqual(expect.arrayContaining(['relay/alerts/alerts.ts', 'relay/alerts/webhook.ts']));
    expect(bundle.inputs.filter((input) => input.includes('nodemailer') || input === 'relay/config/alert-email-env.ts')).toEqual([]);
  });
});
