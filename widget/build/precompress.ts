/**
 * Writes a brotli copy (`<file>.br`) beside every script of the built widget, compressed once at
 * brotli's best: the relay sends it to every browser that takes brotli (relay/routes/widget.ts), so a
 * phone downloads 10 KB instead of 29 KB before the form renders, and no request pays for compressing.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants } from 'node:zlib';

export function writeBrotliCopies(dir: string): void {
  for (const file of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
    if (!file.endsWith('.js')) continue;
    const bytes = readFileSync(join(dir, file));
    const params = { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length };
    writeFileSync(join(dir, `${file}.br`), brotliCompressSync(bytes, { params }));
  }
}
