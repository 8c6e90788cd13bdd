// WebKitGTK, Safari's engine, from Debian: WebKitWebDriver drives its MiniBrowser on a virtual X
// display (xvfb-run). Shared by web-test-runner (widget tests) and the end-to-end tests: each starts
// its own driver on a free loopback port and stops it, display and browser included, when done.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const WEBKIT_DRIVER_PATH = process.env.WEBKIT_DRIVER_PATH ?? '/usr/bin/WebKitWebDriver';
export const WEBKIT_BROWSER_PATH = process.env.WEBKIT_BROWSER_PATH ?? '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser';

/** The session's capabilities: WebKitWebDriver takes the browser from its own option, not browserName. */
export const WEBKIT_CAPABILITIES = {
  'webkitgtk:browserOptions': { binary: WEBKIT_BROWSER_PATH, args: ['--automation'] },
  // WebDriver classic: webdriverio would otherwise ask for a BiDi socket, which this driver lacks.
  'wdio:enforceWebDriverClassic': true,
};

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Every process the driver started (xvfb-run, Xvfb, the driver, the browser) shares its process group. */
function killGroup(child, signal) {
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

/** Ends the driver alone: xvfb-run then stops its X server and removes its files, as after any command. */
function stopDriver(child) {
  try {
    const children = readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(' ');
    const driver = children.find((pid) => readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'WebKitWebDriver');
    if (driver) return process.kill(Number(driver), 'SIGTERM');
  } catch {
    // not Linux's /proc, or already gone
  }
  killGroup(child, 'SIGTERM');
}

/**
 * Starts WebKitWebDriver under xvfb-run on a free port of 127.0.0.1 and resolves once it answers.
 * `stop()` ends it and all it started; so does this process's exit, should nobody call stop().
 * @returns {Promise<{ hostname: string, port: number, stop: () => Promise<void> }>}
 */
export async function startWebKitDriver() {
  const port = await freePort();
  // MiniBrowser's toolbar keeps its window at least 447 px wide; shrunk to nothing by a GTK style
  // sheet of its own (GTK's widgets, not the page), the window can be as narrow as a phone.
  const config = mkdtempSync(join(tmpdir(), 'resman-webkit-'));
  mkdirSync(join(config, 'gtk-3.0'));
  writeFileSync(
    join(config, 'gtk-3.0', 'gtk.css'),
    '* { min-width: 0; min-height: 0; padding: 0; margin: 0; border-width: 0; font-size: 1px; }\n',
  );
  // A screen larger than any viewport a test asks for.
  const child = spawn('xvfb-run', ['-a', '-s', '-screen 0 1600x1200x24', WEBKIT_DRIVER_PATH, `--port=${port}`, '--host=127.0.0.1'], {
    detached: true, // its own process group, so stop() reaches the display and the browser too
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, XDG_CONFIG_HOME: config },
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const onExit = () => {
    killGroup(child, 'SIGKILL');
    rmSync(config, { recursive: true, force: true });
  };
  process.once('exit', onExit);

  const stop = async () => {
    process.removeListener('exit', onExit);
    if (child.exitCode === null && child.signalCode === null) {
      stopDriver(child);
      const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(config, { recursive: true, force: true });
  };

  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    const ready = await fetch(`http://127.0.0.1:${port}/status`)
      .then((r) => r.json())
      .then((body) => body.value?.ready === true)
      .catch(() => false);
    if (ready) return { hostname: '127.0.0.1', port, stop };
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop();
  throw new Error(`WebKitWebDriver did not start on port ${port}: ${stderr.trim() || 'no output'}`);
}
