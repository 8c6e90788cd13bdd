import { existsSync } from 'node:fs';
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
    expect(sizes.englishSubmission.brotli).toBeGreaterThan(sizes.beforeRender.brotli); // validation is counted
    expect(sizes.englishSubmission.brotli).toBeLessThanOrEqual(BUDGET_BROTLI.englishSubmission);
    expect(sizes.files.some((f) => /^widget\/es-/.test(f.file))).toBe(true); // Spanish is a chunk of its own
  });
});
