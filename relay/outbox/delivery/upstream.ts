/**
 * The one way to Propexo for every delivery step: each request takes its turn, then its share of
 * the upstream budget, and its answer feeds the budget and the health back.
 */
import type { UpstreamFailure, UpstreamRateInfo } from '../../propexo/client.js';
import type { UpstreamBudget } from './budget.js';
import type { UpstreamHealth } from './health.js';
import type { UpstreamStats } from './upstream-stats.js';

/** Any answer of the Propexo client. */
export type UpstreamAnswer = ({ ok: true } & UpstreamRateInfo) | UpstreamFailure;

/** Resolves when `previous` does, or rejects as soon as `signal` aborts. */
function turn(previous: Promise<void>, signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return previous;
  signal.throwIfAborted();
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    void previous.then(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    });
  });
}

export class UpstreamLine {
  /** The turn of the last caller: each waits for the one before. */
  private gate: Promise<void> = Promise.resolve();

  constructor(
    private readonly budget: UpstreamBudget,
    private readonly health: UpstreamHealth,
    /** Aborts a wait for the budget when the deliverer stops. */
    private readonly signal: () => AbortSignal | undefined,
    private readonly stats?: UpstreamStats,
  ) {}

  /**
   * One Propexo request out of the shared budget. `ready`, when given, runs once the budget is
   * granted and may call the request off (null): a lead is marked in doubt only when its POST
   * really goes. Callers in flight at once take turns, first come first served, from the budget to
   * the request leaving: requests go out in the order the deliverer handed out their leads.
   */
  async request<T extends UpstreamAnswer>(call: () => Promise<T>, ready?: () => Promise<boolean>): Promise<T | null> {
    const signal = this.signal();
    const previous = this.gate;
    let done!: () => void;
    const mine = new Promise<void>((resolve) => (done = resolve));
    this.gate = previous.then(() => mine);
    let pending: Promise<T>;
    try {
      await turn(previous, signal);
      await this.budget.take(signal);
      if (ready && !(await ready())) return null;
      pending = call();
    } finally {
      done();
    }
    const answer = await pending;
    this.budget.observe(answer);
    this.health.observe(answer);
    this.stats?.record(answer);
    return answer;
  }
}
