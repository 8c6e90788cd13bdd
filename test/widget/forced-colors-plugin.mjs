// A web-test-runner command the built-in emulateMedia lacks under the Chrome launcher: forced colours
// (Windows High Contrast), set through the DevTools protocol on the test's own page.
//   await executeServerCommand('emulate-forced-colors', { active: true })
export function forcedColorsPlugin() {
  // One DevTools session per page, kept open: emulation set by a session ends when it detaches.
  const sessions = new WeakMap();
  return {
    name: 'resman-forced-colors',
    async executeCommand({ command, payload, session }) {
      if (command !== 'emulate-forced-colors') return undefined;
      const page = session.browser.getPage(session.id);
      if (!sessions.has(page)) sessions.set(page, await page.createCDPSession());
      await sessions.get(page).send('Emulation.setEmulatedMedia', {
        features: [{ name: 'forced-colors', value: payload?.active ? 'active' : 'none' }],
      });
      return true;
    },
  };
}
