/**
 * The delivery lease keeper (relay/outbox/delivery/lease.ts) over the memory store, on real time with
 * short leases: one holder at a time, renewals, a takeover seen at once by a fenced write (verify),
 * a lapse while the store fails, and release on a clean stop. Processes and files: node.test.ts and
 * store-sqlite.test.ts; the store side of leases: store.test.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { realSleep } from '../../relay/outbox/delivery/budget.js';
import { DeliveryLease } from '../../relay/outbox/delivery/lease.js';
import { createLogger } from '../../relay/lib/log.js';
import { createMemoryLeadStore } from '../../relay/outbox/store/memory.js';
import type { OutboxLeases } from '../../relay/outbox/store/types.js';
import { createOutboxLock } from '../../relay/runtime/node/outbox-lock.js';

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function keeper(store: OutboxLeases, lines: string[], owner: string) {
  const logger = createLogger({ level: 'debug', sink: (line) => lines.push(line) });
  return new DeliveryLease({ store, clock: Date, sleep: realSleep, logger, ttlMs: 300, renewEveryMs: 50, pollMs: 50, owner });
}

function run(lease: DeliveryLease) {
  const stop = new AbortController();
  const events: string[] = [];
  const done = lease.keep(stop.signal, { onAcquired: () => events.push('acquired'), onLost: () => void events.push('lost') });
  return {
    events,
    async stop() {
      stop.abort();
      await done;
      await lease.release();
    },
  };
}

describe('DeliveryLease', () => {
  it('one of two keepers holds the lease, renewing it past its TTL; the other takes over once it is released', async () => {
    const store = createMemoryLeadStore();
    const lines: string[] = [];
    const a = keeper(store, lines, 'owner-a');
    const b = keeper(store, lines, 'owner-b');
    const ra = run(a);
    await expect.poll(() => a.held()).toBe(true);
    const rb = run(b);
    await wait(700); // more than two TTLs: only renewals keep it
    expect(a.held()).toBe(true);
    expect(b.held()).toBe(false);
    expect(ra.events).toEqual(['acquired']);
    expect(rb.events).toEqual([]);
    expect(lines.filter((l) => l.includes('"outbox.locked"'))).toHaveLength(1);
    await ra.stop();
    expect(await store.leaseHolder('deliverer')).toBeNull();
    await expect.poll(() => b.held()).toBe(true);
    expect(rb.events).toEqual(['acquired']);
    await rb.stop();
  });

  it('a takeover is seen at once by verify() after a fenced write failed, and by the keeper at its next renewal', async () => {
    const store = createMemoryLeadStore();
    const lines: string[] = [];
    const a = keeper(store, lines, 'owner-a');
    const ra = run(a);
    await expect.poll(() => a.held()).toBe(true);
    // Another process took it (as if this one had stalled past its expiry).
    await store.releaseLease('deliverer', 'owner-a');
    expect((await store.acquireLease('deliverer', 'usurper', Date.now(), 60_000)).held).toBe(true);
    await a.verify();
    expect(a.held()).toBe(false);
    await expect.poll(() => ra.events).toEqual(['acquired', 'lost']);
    expect(lines.some((l) => l.includes('"outbox.lease_lost"') && l.includes('taken_over'))).toBe(true);
    await ra.stop();
  });

  it('while the store fails, the lease counts as held until it lapses, then is lost', async () => {
    const store = createMemoryLeadStore();
    let failing = false;
    const flaky: OutboxLeases = {
      acquireLease: (...args) => (failing ? Promise.reject(new Error('connection refused')) : store.acquireLease(...args)),
      releaseLease: (...args) => store.releaseLease(...args),
      leaseHolder: (...args) => store.leaseHolder(...args),
    };
    const lines: string[] = [];
    const a = keeper(flaky, lines, 'owner-a');
    const ra = run(a);
    await expect.poll(() => a.held()).toBe(true);
    failing = true;
    const since = Date.now();
    await expect.poll(() => ra.events, { timeout: 2_000 }).toEqual(['acquired', 'lost']);
    expect(Date.now() - since).toBeGreaterThanOrEqual(200); // not before the lease could lapse
    expect(a.held()).toBe(false);
    expect(lines.some((l) => l.includes('"outbox.lease_error"'))).toBe(true);
    failing = false;
    await expect.poll(() => ra.events).toEqual(['acquired', 'lost', 'acquired']);
    await ra.stop();
  });
});

describe('DeliveryLease with an OS lock beside the SQLite outbox (a same-PID restart)', () => {
  it('a dead holder’s lease is taken at once by the process that gets the lock; a live holder’s never', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'outbox-lock-'));
    try {
      const store = createMemoryLeadStore();
      const lines: string[] = [];
      const logger = createLogger({ level: 'debug', sink: (line) => lines.push(line) });
      const withLock = (owner: string) =>
        new DeliveryLease({
          store,
          clock: Date,
          sleep: realSleep,
          logger,
          ttlMs: 60_000,
          renewEveryMs: 50,
          pollMs: 50,
          owner,
          sole: createOutboxLock(join(dir, 'outbox.sqlite-deliverer')),
        });
      // A holder that died: its lease row runs for another minute, and nobody holds the lock.
      await store.acquireLease('deliverer', 'dead-owner', Date.now(), 60_000);
      const a = withLock('owner-a');
      const ra = run(a);
      await expect.poll(() => a.held(), { timeout: 2_000 }).toBe(true);
      expect(lines.find((l) => l.includes('"outbox.lease_taken_over"'))).toContain('"from":"dead-owner"');
      // A second live process on the same outbox cannot get the lock, so never takes the lease.
      const b = withLock('owner-b');
      const rb = run(b);
      await wait(300);
      expect(b.held()).toBe(false);
      expect((await store.leaseHolder('deliverer'))!.owner).toBe('owner-a');
      // Once a stops (and its lock goes with it), b gets both.
      await ra.stop();
      await expect.poll(() => b.held(), { timeout: 2_000 }).toBe(true);
      await rb.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
