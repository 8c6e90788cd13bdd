/**
 * Builds bench/baseline/lit-form.ts into a temporary directory with the widget's build settings
 * (vite.config.ts: library mode, ES format, es2022, rolldown minify, no comments), without loading
 * vite.config.ts itself (whose plugins write into dist/widget). Once per process.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BASELINE_ENTRY = 'lit-form.js';

let built: Promise<string> | undefined;

/** The directory holding lit-form.js (and any chunk): removed by `removeBaseline()`. */
export function buildBaseline(): Promise<string> {
  return (built ??= (async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'bench-lit-form-'));
    await build({
      root: ROOT,
      configFile: false,
      logLevel: 'silent',
      build: {
        outDir,
        emptyOutDir: true,
        target: 'es2022',
        lib: { entry: join(ROOT, 'bench/baseline/lit-form.ts'), formats: ['es'], fileName: () => BASELINE_ENTRY },
        rolldownOptions: { output: { minify: true, comments: false } },
      },
    });
    return outDir;
  })());
}

export async function removeBaseline(): Promise<void> {
  if (!built) return;
  const dir = await built.catch(() => undefined);
  built = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
}
