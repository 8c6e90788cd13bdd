// Widget tests in Chromium, Firefox ESR and WebKitGTK, Debian's all three (launchers.mjs), TypeScript
// through esbuild, and a stub relay on the test server's own origin, so the submit flow crosses real
// HTTP; chunk downloads can be lost on purpose (lost-chunks.mjs).
// RESMAN_ENGINES=firefox,webkit picks some of them.
import { esbuildPlugin } from '@web/dev-server-esbuild';
import { a11ySnapshotPlugin } from '@web/test-runner-commands/plugins';
import { engineCommandsPlugin } from './test/widget/engine-commands.mjs';
import { forcedColorsPlugin } from './test/widget/forced-colors-plugin.mjs';
import { chromium, firefox, webkit } from './test/widget/launchers.mjs';
import { lostChunks } from './test/widget/lost-chunks.mjs';
import { stubRelay } from './test/widget/stub-relay.mjs';

const engines = { chromium, firefox, webkit };
const picked = process.env.RESMAN_ENGINES?.split(',') ?? Object.keys(engines);

// Nothing of the widget's that one test file's page loaded (or failed to load) is reused by the next
// page of the same tab: a file that loses chunk downloads on purpose must find them not yet loaded,
// in every engine. The widget's modules say no-store, even where web-test-runner's own middleware
// (which runs after this one returns) would mark them cacheable for a year; libraries stay cached.
async function widgetNoStore(ctx, next) {
  if (!ctx.path.startsWith('/widget/')) return next();
  const set = ctx.response.set.bind(ctx.response);
  ctx.response.set = (field, value) => set(field, String(field).toLowerCase() === 'cache-control' ? 'no-store' : value);
  await next();
  ctx.set('Cache-Control', 'no-store');
}

export default {
  files: ['test/widget/**/*.test.ts'],
  nodeResolve: true,
  concurrency: 1,
  // a11ySnapshot: Chromium's accessibility tree, for the names and descriptions screen readers get.
  plugins: [
    esbuildPlugin({ ts: true, tsconfig: './tsconfig.json', target: 'es2022' }),
    a11ySnapshotPlugin(),
    forcedColorsPlugin(),
    engineCommandsPlugin(),
  ],
  middleware: [widgetNoStore, stubRelay(), lostChunks()],
  browsers: picked.map((name) => engines[name]()),
  testFramework: { config: { timeout: 10000 } },
};
