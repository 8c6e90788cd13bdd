/**
 * A child process for the "open at the same moment" test in store-sqlite.test.ts (not a test
 * itself): says "ready", reads "at <epoch ms>" on stdin, spins until then, opens the lead store at
 * argv[2] and closes it, and prints "opened" or the error's message.
 *
 * Usage: node --import tsx test/relay/store-sqlite-open-child.ts <db>
 */
import { createInterface } from 'node:readline';
import { openSqliteLeadStore } from '../../relay/outbox/store/sqlite.js';

const path = process.argv[2];
if (!path) throw new Error('usage: store-sqlite-open-child.ts <db>');
const lines = createInterface({ input: process.stdin });
process.stdout.write('ready\n');
let at = 0;
for await (const line of lines) {
  const m = /^at (\d+)$/.exec(line.trim());
  if (m) {
    at = Number(m[1]);
    break;
  }
}
lines.close();
while (Date.now() < at) {
  // spin: both children open within the same millisecond or so
}
try {
  const store = openSqliteLeadStore(path);
  await store.close();
  process.stdout.write('opened\n');
} catch (error) {
  process.stdout.write(`${(error as Error).message}\n`);
}
