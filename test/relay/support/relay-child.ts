/**
 * The Node relay in its own process, for the crash and concurrency tests: `startRelay(process.env)`
 * exactly as relay/node.ts runs it (SQLite outbox in DATA_DIR, the Redis limiter when REDIS_URL is
 * set, logs on stdout), plus a delivery policy from RELAY_TEST_POLICY (JSON, a
 * Partial<DeliveryPolicy>), since the default one waits ten minutes before sending again a lead
 * whose POST may have reached Propexo. Started by spawn-relay.ts.
 *
 * Prints `RELAY_READY <url>` on stdout once listening; exits on SIGTERM or SIGINT. The crash test
 * kills it with SIGKILL instead, which runs none of this.
 * Run: node --import tsx test/relay/support/relay-child.ts
 */
import type { DeliveryPolicy } from '../../../relay/delivery/policy.js';
import { startRelay } from '../../../relay/node.js';

let policy: Partial<DeliveryPolicy> = {};
if (process.env.RELAY_TEST_POLICY) {
  const parsed: unknown = JSON.parse(process.env.RELAY_TEST_POLICY);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    process.stderr.write('relay-child: RELAY_TEST_POLICY must be a JSON object\n');
    process.exit(2);
  }
  policy = parsed as Partial<DeliveryPolicy>;
}

const relay = await startRelay(process.env, { policy });
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
