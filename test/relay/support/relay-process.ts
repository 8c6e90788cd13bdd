/**
 * A relay in its own process for tests: the Node entry's `startRelay(process.env)` with the Redis
 * limiter built here from REDIS_URL (and RATE_LIMIT_PREFIX, to keep a test's keys apart), so the
 * test does not depend on how relay/node.ts wires REDIS_URL.
 *
 * Prints `RELAY_READY <url>` on stdout once listening; exits on SIGTERM or SIGINT.
 * Run: node --import tsx test/relay/support/relay-process.ts
 */
import { createRedisLimiter } from '../../../relay/limits/redis.js';
import { createLogger } from '../../../relay/log.js';
import { startRelay } from '../../../relay/node.js';

const url = process.env.REDIS_URL;
if (!url) {
  process.stderr.write('relay-process: REDIS_URL is required\n');
  process.exit(2);
}

const limiter = createRedisLimiter({
  url,
  ...(process.env.RATE_LIMIT_PREFIX ? { prefix: process.env.RATE_LIMIT_PREFIX } : {}),
  logger: createLogger({ level: 'warn' }),
});
if (!(await limiter.ready(5_000))) {
  process.stderr.write('relay-process: Redis not ready within 5 s\n');
  process.exit(3);
}

const relay = await startRelay(process.env, { limiter });
process.stdout.write(`RELAY_READY ${relay.url}\n`);

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  setTimeout(() => process.exit(1), 3_000).unref();
  void Promise.allSettled([relay.close(), limiter.close()]).then(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
