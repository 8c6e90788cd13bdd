// web-test-runner commands that work alike in all three engines, where the built-in ones do not:
// under WebDriver classic (WebKitGTK) setViewport is refused and sendKeys has no held Shift.
//   await executeServerCommand('resman-viewport', { width: 375, height: 740 })
//   await executeServerCommand('resman-shift-tab')
// (helpers.ts wraps both.)

/**
 * Sizes the window so that its viewport is `width` × `height` CSS px, and waits until the page sees it.
 * The window stays centred on the screen: with no window manager, X gives the keyboard focus to the
 * window under the pointer, which sits in the screen's centre, and a page without it matches no :focus.
 */
export async function setWebDriverViewport(driver, { width, height }) {
  const measure = () => driver.execute(() => [window.innerWidth, window.innerHeight, screen.width, screen.height]);
  const [[innerWidth, innerHeight, screenWidth, screenHeight], rect] = await Promise.all([measure(), driver.getWindowRect()]);
  // The window's own toolbar takes the difference.
  const outer = { width: width + rect.width - innerWidth, height: height + rect.height - innerHeight };
  const x = Math.round((screenWidth - outer.width) / 2);
  const y = Math.round((screenHeight - outer.height) / 2);
  await driver.setWindowRect(x, y, outer.width, outer.height);
  for (let i = 0; i < 100; i++) {
    const [w, h] = await measure();
    if (w === width && h === height) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`the viewport did not become ${width}×${height}`);
}

export function engineCommandsPlugin() {
  return {
    name: 'resman-engine-commands',
    async executeCommand({ command, payload, session }) {
      if (command !== 'resman-viewport' && command !== 'resman-shift-tab') return undefined;
      const { browser } = session;
      if (browser.type === 'puppeteer') {
        const page = browser.getPage(session.id);
        if (command === 'resman-viewport') await page.setViewport(payload);
        else {
          await page.keyboard.down('Shift');
          await page.keyboard.press('Tab');
          await page.keyboard.up('Shift');
        }
        return true;
      }
      if (browser.type === 'webdriver') {
        if (command === 'resman-viewport') await setWebDriverViewport(browser.driver, payload);
        else {
          const keys = ['\uE008', '\uE004']; // Shift, Tab (WebDriver's key codes)
          await browser.driver.performActions([
            {
              type: 'key',
              id: 'keyboard',
              actions: [...keys.map((value) => ({ type: 'keyDown', value })), ...keys.reverse().map((value) => ({ type: 'keyUp', value }))],
            },
          ]);
        }
        return true;
      }
      throw new Error(`${command} is not supported for browser type ${browser.type}`);
    },
  };
}
