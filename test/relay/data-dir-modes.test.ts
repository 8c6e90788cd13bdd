/**
 * The outbox holds personal data: DATA_DIR is 0700 and the outbox's files (the database, its -wal
 * and -shm) 0600, whatever the umask; an existing DATA_DIR left open by an older relay is tightened,
 * and the log says so. A directory that holds more than the outbox (DATA_DIR=/tmp by mistake) is
 * never changed, only named in a warning. Run under umask 022, the common default, which gave
 * 0755 and 0644 before; a new DATA_DIR also under umask 000 (SQLite's own 0644) and 277 (the owner
 * could not write, had the mode been left to the umask).
 */
import { chmodSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../relay/lib/log.js';
import { OUTBOX_FILE, openSqliteLeadStore } from '../../relay/outbox/store/sqlite.js';
import { startRelay, type RunningRelay } from '../../relay/runtime/node/server.js';
import { freePort } from '../support/free-port.js';
import { checkedSink } from '../support/hygiene.js';
import { ORIGIN, TOKEN, VALID_LEAD, fakeUpstream, testEnv } from './fixtures.js';

let root: string;
let umask: number;
const running: RunningRelay[] = [];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'relay-modes-'));
  // vitest runs each file in a process of its own (the forks pool): the umask is this file's alone.
  umask = process.umask(0o022);
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.close()));
});
afterAll(async () => {
  process.umask(umask);
  await rm(root, { recursive: true, force: true });
});

const modeOf = (path: string) => statSync(path).mode & 0o777;

async function relayOn(dataDir: string) {
  const lines: string[] = [];
  const relay = await startRelay(
    { ...testEnv(), PORT: String(await freePort()), HOST: '127.0.0.1', DATA_DIR: dataDir, WIDGET_DIR: dataDir },
    {
      fetch: fakeUpstream().fetch,
      logger: createLogger({ level: 'info', secrets: [TOKEN], sink: checkedSink(lines) }),
      getClientIp: () => '203.0.113.9',
    },
  );
  running.push(relay);
  const logged = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  return { relay, logged };
}

/** A lead stored, so the WAL has been written to. */
async function storeOneLead(relay: RunningRelay): Promise<void> {
  const res = await fetch(`${relay.url}/v1/sites/oak-grove/leads`, {
    method: 'POST',
    headers: { origin: ORIGIN, 'content-type': 'application/json' },
    body: JSON.stringify(VALID_LEAD),
  });
  expect(res.status).toBe(202);
}

const OUTBOX_FILES = [OUTBOX_FILE, `${OUTBOX_FILE}-wal`, `${OUTBOX_FILE}-shm`];

describe('DATA_DIR and the outbox files under umask 022', () => {
  it.each(['022', '000', '277'])('a new DATA_DIR is 0700 and every outbox file 0600 (umask %s)', async (umaskOctal) => {
    const mask = Number.parseInt(umaskOctal, 8);
    // Nested under 022: the parents are made too. (Under 277 they would be 0500, closed to their owner.)
    const dataDir = mask === 0o022 ? join(root, 'new', 'data') : join(root, `new-${umaskOctal}`);
    process.umask(mask);
    const { relay, logged } = await relayOn(dataDir).finally(() => process.umask(0o022));
    await storeOneLead(relay);
    expect(modeOf(dataDir).toString(8)).toBe('700');
    for (const name of OUTBOX_FILES) expect(modeOf(join(dataDir, name)).toString(8), name).toBe('600');
    expect(logged().filter((l) => String(l.event).startsWith('data_dir.'))).toEqual([]);
  });

  it('an open DATA_DIR and outbox of an older relay are tightened, and the log says so', async () => {
    const dataDir = join(root, 'old');
    mkdirSync(dataDir, { mode: 0o755 });
    // What an older relay left: a store opened under umask 022, its WAL and shared memory still there.
    const old = openSqliteLeadStore(join(dataDir, OUTBOX_FILE));
    for (const name of OUTBOX_FILES) chmodSync(join(dataDir, name), 0o644);
    const { relay, logged } = await relayOn(dataDir);
    await old.close();
    await storeOneLead(relay);
    expect(modeOf(dataDir).toString(8)).toBe('700');
    for (const name of OUTBOX_FILES) expect(modeOf(join(dataDir, name)).toString(8), name).toBe('600');
    const tightened = logged().filter((l) => l.event === 'data_dir.permissions_tightened');
    expect(tightened.map((l) => [l.path, l.was, l.now])).toEqual([
      [dataDir, '755', '700'],
      ...OUTBOX_FILES.map((name) => [join(dataDir, name), '644', '600']),
    ]);
    expect(tightened.every((l) => l.level === 'warn')).toBe(true);
  });

  it('a directory holding more than the outbox keeps its mode, with a warning; the outbox files are 0600', async () => {
    const shared = join(root, 'shared');
    mkdirSync(shared, { mode: 0o755 });
    writeFileSync(join(shared, 'someone-elses.txt'), 'not ours');
    const { logged } = await relayOn(shared);
    expect(modeOf(shared).toString(8)).toBe('755');
    expect(modeOf(join(shared, OUTBOX_FILE)).toString(8)).toBe('600');
    expect(logged().filter((l) => l.event === 'data_dir.permissions_open')).toMatchObject([{ level: 'warn', path: shared, mode: '755' }]);
  });
});
