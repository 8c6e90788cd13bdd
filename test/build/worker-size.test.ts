import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { WORKER_GZIP_GOAL, buildEdgeAssets, bundleWorker } from '../../relay/runtime/worker/build.js';

// The Worker as `wrangler deploy` bundles it: its size is deterministic, so the goal is a test.
describe('worker bundle', () => {
  // wrangler reads the assets directory of wrangler.toml: the widget npm test has just built.
  beforeAll(() => buildEdgeAssets(join(import.meta.dirname, '../../dist/edge'), { widget: false, quiet: true }));

  it(`stays within ${WORKER_GZIP_GOAL / 1024} KB gzip`, () => {
    const size = bundleWorker();
    expect(size.raw).toBeGreaterThan(20_000); // hono, zod and the relay are in it: a sanity floor
    expect(size.gzip).toBeLessThanOrEqual(WORKER_GZIP_GOAL);
  }, 60_000);
});
