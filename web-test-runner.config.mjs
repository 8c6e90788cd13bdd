// Widget tests in Debian's Chromium (never a downloaded browser), TypeScript through esbuild,
// and a stub relay on the test server's own origin, so the submit flow crosses real HTTP; chunk
// downloads can be lost on purpose (lost-chunks.mjs).
import { esbuildPlugin } from '@web/dev-server-esbuild';
import { a11ySnapshotPlugin } from '@web/test-runner-commands/plugins';
import { chromeLauncher } from '@web/test-runner-chrome';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './test/support/chromium.mjs';
import { forcedColorsPlugin } from './test/widget/forced-colors-plugin.mjs';
import { lostChunks } from './test/widget/lost-chunks.mjs';
import { stubRelay } from './test/widget/stub-relay.mjs';

const cacheOff = new WeakMap();

export default {
  files: ['test/widget/**/*.test.ts'],
  nodeResolve: true,
  concurrency: 1,
  // a11ySnapshot: Chromium's accessibility tree, for the names and descriptions screen readers get.
  plugins: [esbuildPlugin({ ts: true, tsconfig: './tsconfig.json', target: 'es2022' }), a11ySnapshotPlugin(), forcedColorsPlugin()],
  middleware: [stubRelay(), lostChunks()],
  browsers: [
    chromeLauncher({
      launchOptions: { executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS },
      // Each test file's page asks the server for every module, as DevTools' "Disable cache" does:
      // Chromium keeps what one page loaded (or failed to load) in memory for the next page of the
      // same tab, and a file that loses chunk downloads on purpose must leave nothing behind.
      async createPage({ context }) {
        const page = await context.newPage();
        const devtools = await page.createCDPSession();
        await devtools.send('Network.enable');
        await devtools.send('Network.setCacheDisabled', { cacheDisabled: true });
        cacheOff.set(page, devtools); // kept attached: the setting ends with its session
        return page;
      },
    }),
  ],
  testFramework: { config: { timeout: 10000 } },
};
