/**
 * An exact limit that holds across Cloudflare's whole network: one Durable Object per limit key
 * (`idFromName(key)`), so every decision for that key is made by one single-threaded object, in
 * order, wherever the request came in. The window lives in memory and is written to storage, so an
 * object that is evicted mid-window comes back with its count.
 *
 * Why not Workers' rate-limit binding: it is per location and eventually consistent ("approximate"
 * in Cloudflare's own words), with periods of only 10 or 60 s. A site's limit of 5 leads per 10
 * minutes per IP, or Propexo's one budget, must not multiply with the number of locations.
 */
import { DurableObject, type DurableObjectNamespace } from 'cloudflare:workers';
import type { LimitDecision, RateLimiter } from '../limits/types.js';

interface Window {
  start: number;
  count: number;
  windowMs: number;
}

export class LimiterObject extends DurableObject {
  private window: Window | undefined;
  private loaded = false;

  /** One decision: counts the request when it is allowed; a denied request changes nothing. */
  async limit(max: number, windowMs: number): Promise<LimitDecision> {
    if (!this.loaded) {
      this.window ??= await this.ctx.storage.get<Window>('window');
      this.loaded = true;
    }
    const now = Date.now();
    let w = this.window;
    if (!w || now - w.start >= w.windowMs || w.windowMs !== windowMs) w = { start: now, count: 0, windowMs };
    const success = w.count < max;
    if (success) w = { ...w, count: w.count + 1 };
    this.window = w;
    // Not awaited: the output gate holds the answer until the write is durable.
    void this.ctx.storage.put('window', w);
    return { success, limit: max, remaining: Math.max(0, max - w.count), resetMs: Math.max(0, w.start + w.windowMs - now) };
  }
}

/** The relay's RateLimiter over LimiterObject: one object per key. */
export function durableObjectLimiter(namespace: DurableObjectNamespace<LimiterObject>): RateLimiter {
  return {
    limit: ({ key, max, windowMs }) => namespace.get(namespace.idFromName(key)).limit(max, windowMs),
  };
}
