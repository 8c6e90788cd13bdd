/** What every delivery step works with: built once by the deliverer, shared by all its steps. */
import type { Logger } from '../../lib/log.js';
import type { PropexoClient } from '../../propexo/client.js';
import type { SiteGate } from '../../sites/types.js';
import type { LeadStore } from '../store/types.js';
import type { LeadWrites } from './lead-writes.js';
import type { DeliveryPolicy } from './policy.js';
import type { UpstreamLine } from './upstream.js';

export interface StepContext {
  store: LeadStore;
  client: PropexoClient;
  clock: { now(): number };
  logger: Logger;
  policy: DeliveryPolicy;
  /** The jitter of every backoff. */
  random: () => number;
  /** Every Propexo request goes through it. */
  line: UpstreamLine;
  writes: LeadWrites;
  /** The site check's word (relay/sites/): a lead sent with an id it found wrong waits (site-wait.ts). */
  gate?: SiteGate;
}
