/**
 * stop() ends the deliverer's loop at once, whenever it comes: also while the loop is between a
 * pass and its rest (asking the store when the next lead is due). The loop then used to start its
 * rest on the already aborted signal and sleep the whole of it (idleMs, 30 s by default), so a
 * relay told to stop just then (SIGTERM) took up to 30 s, past the 10 s it is given.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../relay/config/env.js';
import { createMemoryLimiter } from '../../relay/limits/memory.js';
import { createLogger } from '../../relay/lib/log.js';
import { createDeliverer } from '../../relay/outbox/delivery/deliverer.js';
import { createMemoryLeadStore } from '../../relay/outbox/store/memory.js';
import { createPropexoClient } from '../../relay/propexo/client.js';
import { checkedSink } from '../support/hygiene.js';
import { TEST_POLICY, TOKEN, fakeUpstream, testEnv } from './fixtures.js';

describe('deliverer.stop()', () => {
  it('ends the loop at once when it comes while the loop asks when the next lead is due', async () => {
    const store = createMemoryLeadStore();
    let asked: () => void = () => {};
    const asking = new Promise<void>((resolve) => {
      asked = resolve;
    });
    let answer: () => void = () => {};
    const nextDueAt = store.nextDueAt.bind(store);
    store.nextDueAt = () => {
      asked();
      return new Promise((resolve) => {
        answer = () => void nextDueAt().then(resolve);
      });
    };
    const config = parseConfig(testEnv());
    const deliverer = createDeliverer({
      store,
      client: createPropexoClient({ baseUrl: config.propexo.baseUrl, token: TOKEN, fetch: fakeUpstream().fetch, timeoutMs: 200 }),
      limiter: createMemoryLimiter({ clock: Date }),
      sites: config.sites,
      clock: Date,
      logger: createLogger({ sink: checkedSink() }),
      policy: TEST_POLICY,
      // A rest ends only when it is cut short: one that is never cut short never ends.
      sleep: (_ms, signal) => new Promise((_resolve, reject) => signal?.addEventListener('abort', () => reject(signal.reason))),
    });
    deliverer.start();
    await asking;
    const stopped = deliverer.stop().then(() => 'stopped');
    answer();
    const stuck = new Promise((resolve) => setTimeout(() => resolve('still resting'), 2_000));
    expect(await Promise.race([stopped, stuck])).toBe('stopped');
  });
});
