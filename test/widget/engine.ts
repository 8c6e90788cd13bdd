// Which of the three engines a test file runs in (launchers.mjs), and tests that some cannot run:
// those are skipped there with a title that says what the engine, or its driver, lacks.
const agent = navigator.userAgent;

export type Engine = 'chromium' | 'firefox' | 'webkit';

export const ENGINE: Engine = /Firefox\//.test(agent) ? 'firefox' : /Chrom(e|ium)\//.test(agent) ? 'chromium' : 'webkit';

const NAMES: Record<Engine, string> = { chromium: 'Chromium', firefox: 'Firefox', webkit: 'WebKitGTK' };

export const ENGINE_NAME = NAMES[ENGINE];

/**
 * `it` and `describe` that run only in `engines`; elsewhere the test is skipped, its title saying
 * `(skipped in Firefox: <lacking>)`.
 */
export function onlyIn(engines: Engine[], lacking: string): { it: Mocha.TestFunction; describe: Mocha.SuiteFunction } {
  if (engines.includes(ENGINE)) return { it, describe };
  const why = (title: string) => `${title} (skipped in ${ENGINE_NAME}: ${lacking})`;
  return {
    it: ((title: string, fn?: Mocha.Func) => it.skip(why(title), fn)) as Mocha.TestFunction,
    describe: ((title: string, fn: (this: Mocha.Suite) => void) => describe.skip(why(title), fn)) as Mocha.SuiteFunction,
  };
}
