/**
 * The Node relay in its own process, for the crash and concurrency tests: `startRelay(process.env)`
 * exactly as relay/runtime/node/server.ts runs it (SQLite outbox in DATA_DIR, the Redis limiter when REDIS_URL is
 * set, DELIVERY_POLICY for tests that need minutes to pass in milliseconds, logs on stdout).
 * Started by spawn-relay.ts.
 *
 * Prints `RELAY_READY <url>` on stdout once listening; exits on SIGTERM or SIGINT. The crash test
 * kills it with SIGKILL instead, which runs none of this.
 * Run: node --import tsx test/relay/support/relay-child.ts
 */
import { startRelay } from '../../../relay/runtime/node/server.js';

const relay = await startRelay(process.env);
process.stdout.write(`RELAY_READY ${relay.url}\n`);

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
