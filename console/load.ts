/**
 * What every page of the console does with its data: load on a change of what it shows or of the
 * outbox's version, tell the console when the session has ended, and keep the last good answer
 * (with the problem beside it) when a reload fails.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { SignedOut } from './api.js';
import { reportSignedOut } from './events.js';

export class Loader<T> implements ReactiveController {
  value: T | undefined;
  problem = '';
  #key: string | undefined;
  #seq = 0;

  constructor(
    private readonly host: ReactiveControllerHost & HTMLElement,
    private readonly load: () => Promise<T>,
    /** What the data depends on, as a string: a change reloads. */
    private readonly keyOf: () => string,
  ) {
    host.addController(this);
  }

  hostUpdate(): void {
    const key = this.keyOf();
    if (key !== this.#key) {
      this.#key = key;
      void this.reload();
    }
  }

  /** Forgets what was shown (another lead is asked for): the page says "Loading…" until it comes. */
  clear(): void {
    this.value = undefined;
    this.problem = '';
  }

  /** Loads now; an answer to an older call that arrives late is dropped. */
  async reload(): Promise<void> {
    const seq = ++this.#seq;
    try {
      const value = await this.load();
      if (seq !== this.#seq) return;
      this.value = value;
      this.problem = '';
    } catch (error) {
      if (seq !== this.#seq) return;
      if (error instanceof SignedOut) return reportSignedOut(this.host);
      this.problem = (error as Error).message;
    }
    this.host.requestUpdate();
  }
}
