/**
 * The Node relay in its own process, for the crash and concurrency tests: `startRelay(process.env)`
 * exactly as relay/runtime/node/server.ts runs it (the outbox at DATABASE_URL, else SQLite in
 * DATA_DIR, the Redis limiter when REDIS_URL is set, DELIVERY_POLICY for tests that need minutes to
 * pass in milliseconds, logs on stdout). Started by spawn-relay.ts.
 *
 * RELAY_CHILD_LEASE (tests only, JSON `{ ttlMs, renewEveryMs, pollMs }`) sets the delivery lease's
 * timing, as startRelay's `lease` override: a crash test need not wait out the production TTL after
 * each kill.
 *
 * Prints `RELAY_READY <url> <pid>` on stdout once listening; exits on SIGTERM or SIGINT. The crash
 * test kills it with SIGKILL instead, which runs none of this.
 * Run: node --import tsx test/relay/support/relay-child.ts
 */
import { startRelay } from '../../../relay/runtime/node/server.js';

const lease = process.env.RELAY_CHILD_LEASE ? JSON.parse(process.env.RELAY_CHILD_LEASE) : undefined;
const relay = await startRelay(process.env, lease ? { lease } : {});
process.stdout.write(`RELAY_READY ${relay.url} ${process.pid}\n`);

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  setTimeout(() => process.exit(1), 3_000).unref();
  void relay.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
