// Debian's Chromium and the flags that keep it headless, quiet and on loopback: shared by
// web-test-runner (widget tests) and playwright-core (end-to-end tests). Never a downloaded browser.
export const CHROMIUM_PATH = process.env.CHROME_PATH ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];
