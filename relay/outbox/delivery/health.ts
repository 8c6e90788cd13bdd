/**
 * What the deliverer knows of Propexo from its answers: whether requests may overlap, and whether
 * delivery is paused because Propexo refused the token. Every answer passes through observe().
 */
import type { Logger } from '../../lib/log.js';
import type { DeliveryPolicy } from './policy.js';

/** The parts of an answer that tell how Propexo is doing. */
export interface AnswerHealth {
  ok: boolean;
  kind?: string;
  status?: number;
}

export class UpstreamHealth {
  /** No request to Propexo before this (after a refused token). */
  pausedUntil = 0;
  /** One alert per outage, not one per lead: the operator has one thing to fix. */
  private alerted = false;
  /** Until Propexo answers, and after any failure, one request at a time. */
  private healthy = false;

  constructor(
    private readonly clock: { now(): number },
    private readonly logger: Logger,
    private readonly policy: Pick<DeliveryPolicy, 'authPauseMs' | 'concurrency'>,
  ) {}

  observe(answer: AnswerHealth): void {
    // A refused request (400, 404) says nothing about Propexo's health; anything else failing does.
    this.healthy = answer.ok || answer.kind === 'rejected';
    if (answer.ok) this.authorized();
    else if (answer.kind === 'unauthorized') this.unauthorized(answer.status);
  }

  /** Propexo refuses the token: from a refusal until it accepts a request again (the alert's span). */
  get tokenRefused(): boolean {
    return this.alerted;
  }

  paused(): boolean {
    return this.clock.now() < this.pausedUntil;
  }

  /** Requests in flight at once: the policy's while Propexo answers, one after a failure. */
  concurrency(): number {
    return this.healthy ? Math.max(1, this.policy.concurrency) : 1;
  }

  private authorized(): void {
    if (this.alerted) this.logger.info('propexo.authorized_again', {});
    this.alerted = false;
  }

  private unauthorized(status: number | undefined): void {
    this.pausedUntil = this.clock.now() + this.policy.authPauseMs;
    if (this.alerted) return;
    this.alerted = true;
    this.logger.alert('propexo.unauthorized', {
      status,
      paused_ms: this.policy.authPauseMs,
      hint: 'Propexo refused the token: check PROPEXO_API_TOKEN and its access to the integrations. Delivery is paused for every site; leads stay queued.',
    });
  }
}
