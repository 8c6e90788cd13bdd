import { defineConfig, type Plugin } from 'vite';
import { chunkUrls } from './widget/build/chunk-urls.js';
import { writeBrotliCopies } from './widget/build/precompress.js';
import { collapseHtmlTemplates } from './widget/build/collapse-html.js';
import { formatSizes, widgetSizes, writePinnedCopy } from './widget/build/report-sizes.js';

const outDir = 'dist/widget';

/**
 * Prints raw, gzip and brotli sizes after every build, so a change that adds weight is seen; writes the
 * pinned copy of widget.js, then a brotli copy of every script for the relay to serve.
 */
const reportSizes = (): Plugin => ({
  name: 'resman-report-sizes',
  apply: 'build',
  closeBundle() {
    const pinned = writePinnedCopy(outDir);
    writeBrotliCopies(outDir);
    console.log(`\n${formatSizes(widgetSizes(outDir))}\n\npinned copy (immutable): /${pinned}\n`);
  },
});

/**
 * Collapses the whitespace of Lit's css`` templates, which the JS minifier leaves alone. Safe for
 * our styles: no declaration depends on a run of spaces.
 */
const minifyCssTemplates = (): Plugin => ({
  name: 'resman-minify-css-templates',
  apply: 'build',
  transform(code, id) {
    if (!id.includes('/widget/') || !code.includes('css`')) return null;
    return code.replace(/css`([^`]*)`/g, (_, body: string) => {
      const tight = body
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/\s+/g, ' ')
        .replace(/\s*([{};,>])\s*/g, '$1')
        .replace(/:\s+/g, ':')
        .replace(/;}/g, '}')
        .replace(/([ :(,])0\./g, '$1.')
        .replace(/\[([\w-]+)='([\w-]+)'\]/g, '[$1=$2]')
        .replace(/ !important/g, '!important')
        .trim();
      return `css\`${tight}\``;
    });
  },
});

/**
 * Drops the line breaks and indentation of Lit's html`` templates (whitespace between tags, which
 * the form's layout never depends on), leaving every `${…}` expression as it is.
 */
const minifyHtmlTemplates = (): Plugin => ({
  name: 'resman-minify-html-templates',
  apply: 'build',
  transform(code, id) {
    if (!id.includes('/widget/') || !code.includes('html`')) return null;
    return collapseHtmlTemplates(code);
  },
});

export default defineConfig({
  build: {
    outDir,
    emptyOutDir: true,
    target: 'es2022',
    lib: {
      entry: 'widget/resman-lead-form.ts',
      formats: ['es'],
      fileName: () => 'widget.js',
    },
    rolldownOptions: {
      // Lets shared code live in widget.js instead of a third file every visitor fetches before render.
      preserveEntrySignatures: 'allow-extension',
      output: {
        minify: true,
        // Pure annotations help a bundler downstream, not a browser: 68 of them are bytes every visitor pays.
        comments: false,
        // Beside widget.js under widget/, which the relay serves as immutable: the names carry content hashes.
        chunkFileNames: 'widget/[name]-[hash].js',
      },
    },
  },
  plugins: [minifyCssTemplates(), minifyHtmlTemplates(), chunkUrls(), reportSizes()],
});
