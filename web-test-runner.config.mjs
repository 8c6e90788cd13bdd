// Widget tests in Debian's Chromium (never a downloaded browser), TypeScript through esbuild,
// and a stub relay on the test server's own origin, so the submit flow crosses real HTTP.
import { esbuildPlugin } from '@web/dev-server-esbuild';
import { a11ySnapshotPlugin } from '@web/test-runner-commands/plugins';
import { chromeLauncher } from '@web/test-runner-chrome';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './test/support/chromium.mjs';
import { forcedColorsPlugin } from './test/widget/forced-colors-plugin.mjs';
import { stubRelay } from './test/widget/stub-relay.mjs';

export default {
  files: ['test/widget/**/*.test.ts'],
  nodeResolve: true,
  concurrency: 1,
  // a11ySnapshot: Chromium's accessibility tree, for the names and descriptions screen readers get.
  plugins: [esbuildPlugin({ ts: true, tsconfig: './tsconfig.json', target: 'es2022' }), a11ySnapshotPlugin(), forcedColorsPlugin()],
  middleware: [stubRelay()],
  browsers: [
    chromeLauncher({
      launchOptions: { executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS },
    }),
  ],
  testFramework: { config: { timeout: 10000 } },
};
