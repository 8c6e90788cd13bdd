// Debian's Firefox ESR, driven over WebDriver BiDi by puppeteer-core: shared by web-test-runner
// (widget tests) and the end-to-end tests. Never a downloaded browser.
export const FIREFOX_PATH = process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr';
