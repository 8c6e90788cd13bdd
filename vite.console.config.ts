import { defineConfig } from 'vite';

/**
 * The operator's console (console/), a build of its own into dist/console: one module, console.js,
 * that the relay serves at /admin/console.js. The widget never loads it, and it shares no chunk with
 * the widget, so neither build's bytes move when the other changes.
 */
export default defineConfig({
  // Nothing to copy: the relay writes the console's one HTML page itself (relay/routes/console-pages.ts).
  publicDir: false,
  build: {
    outDir: 'dist/console',
    emptyOutDir: true,
    target: 'es2022',
    lib: {
      entry: 'console/rlf-console.ts',
      formats: ['es'],
      fileName: () => 'console.js',
    },
    rolldownOptions: {
      output: { minify: true, comments: false, codeSplitting: false },
    },
  },
});
