import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PINNED } from '../../widget/build/report-sizes.js';

// The built widget's lazy chunks can be fetched again from a new URL after a failed download
// (widget/lead-form/lazy.ts, widget/build/chunk-urls.ts). `npm test` builds first; on its own, run
// `npm run build` before this file. test/e2e/demo.test.ts shows a retry working in a browser.
describe('lazy chunks, as built', () => {
  const dir = 'dist/widget';
  const read = (file: string) => readFileSync(`${dir}/${file}`, 'utf8');
  const chunks = () => readdirSync(`${dir}/widget`).filter((f) => f.endsWith('.js') && !PINNED.test(`widget/${f}`));

  it('has a build to look at', () => {
    expect(existsSync(`${dir}/widget.js`), 'dist/widget/widget.js: run npm run build').toBe(true);
  });

  it('are the send chunk, Spanish, the consent box, the floor-plan and Turnstile controllers, and tour mode', () => {
    expect(
      chunks()
        .map((f) => f.replace(/-[\w-]{8}\.js$/, ''))
        .sort(),
    ).toEqual(['consent', 'es', 'floor-plans', 'send-lead', 'tours', 'turnstile']);
  });

  it('are each named twice in widget.js: in the bundler import(), and as the URL a retry asks for', () => {
    const entry = read('widget.js');
    expect(entry).toContain('?attempt=');
    for (const file of chunks()) {
      const url = `./widget/${file}`;
      expect(entry.split(url).length - 1, url).toBe(2);
      expect(entry, url).toContain(`import(\`${url}\`)`);
    }
    // The pinned copy lives beside the chunks and asks for them there.
    const pinned = readdirSync(`${dir}/widget`).find((f) => PINNED.test(`widget/${f}`))!;
    for (const file of chunks()) expect(read(`widget/${pinned}`).split(`./${file}`).length - 1, file).toBe(2);
  });

  it('import nothing but widget.js, so a retry needs no other file that could have failed too', () => {
    for (const file of chunks()) {
      const code = read(`widget/${file}`);
      const imports = [...code.matchAll(/(?:^|[;\s}])import\s*(?:[^'"();]*?from\s*)?["']([^"']+)["']/g)].map((m) => m[1]);
      expect(
        imports.every((spec) => spec === '../widget.js'),
        `${file}: ${imports.join(', ')}`,
      ).toBe(true);
    }
  });
});
