import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BUDGET_BROTLI, widgetSizes } from '../../widget/build/report-sizes.js';

// Sizes are deterministic for a given build, so the budget is a test, not a timing.
// `npm test` builds first; on its own, run `npm run build` before this file.
describe('widget size budget (English)', () => {
  const dir = 'dist/widget';

  it('has a build to measure', () => {
    expect(existsSync(`${dir}/widget.js`), 'dist/widget/widget.js: run npm run build').toBe(true);
  });

  it(`loads at most ${BUDGET_BROTLI.beforeRender} bytes brotli before the form renders`, () => {
    const sizes = widgetSizes(dir);
    expect(sizes.beforeRender.brotli).toBeGreaterThan(4000); // lit alone is over 5 KB: a sanity floor
    expect(sizes.beforeRender.brotli).toBeLessThanOrEqual(BUDGET_BROTLI.beforeRender);
  });

  it(`loads at most ${BUDGET_BROTLI.englishSubmission} bytes brotli by the end of a submission`, () => {
    const sizes = widgetSizes(dir);
    expect(sizes.englishSubmission.brotli).toBeGreaterThan(sizes.beforeRender.brotli); // the send chunk is counted
    expect(sizes.englishSubmission.brotli).toBeLessThanOrEqual(BUDGET_BROTLI.englishSubmission);
    expect(sizes.files.some((f) => /^widget\/es-/.test(f.file))).toBe(true); // Spanish is a chunk of its own
  });

  it(`loads tour mode in a chunk of at most ${BUDGET_BROTLI.tours} bytes brotli`, () => {
    const sizes = widgetSizes(dir);
    expect(sizes.tours, 'the tour chunk').toBeDefined();
    expect(sizes.tours!.brotli).toBeLessThanOrEqual(BUDGET_BROTLI.tours);
  });

  it('keeps Spanish and the optional features out of what every English visitor loads', () => {
    const sizes = widgetSizes(dir);
    const chunk = (name: string) => sizes.files.find((f) => new RegExp(`^widget/${name}-[\\w-]+\\.js$`).test(f.file))?.file;
    const english = [readFileSync(`${dir}/widget.js`, 'utf8'), readFileSync(`${dir}/${chunk('send-lead')}`, 'utf8')].join('\n');
    for (const optional of ['es', 'floor-plans', 'turnstile', 'consent', 'tours']) {
      const file = chunk(optional);
      expect(file, `${optional} chunk`).toBeDefined();
      // Reached only through import(), never a static import of the entry or of the send chunk.
      expect(english).not.toMatch(new RegExp(`import[^()]*from\\s*["'][./\\w-]*${file!.slice('widget/'.length)}["']`));
    }
    // Spanish words, Turnstile's script, the floor-plan wording, the consent box and tour mode's words
    // and calendar file are not in the English files.
    for (const word of ['Apellido', 'challenges.cloudflare.com', 'sq ft', 'consent-error', 'Add to calendar', 'BEGIN:VCALENDAR'])
      expect(english, word).not.toContain(word);
    expect(readFileSync(`${dir}/${chunk('es')}`, 'utf8')).toContain('Apellido');
  });
});
