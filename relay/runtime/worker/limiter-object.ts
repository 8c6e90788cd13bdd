/**
 * An exact limit that holds across Cloudflare's whole network: one Durable Object per limit key
 * (`idFromName(key)`), so every decision for that key is made by one single-threaded object, in
 * order, wherever the request came in. The window lives in memory and is written to storage when
 * it counts a request, so an object evicted mid-window comes back with its count; an alarm at the
 * window's end deletes it, so the objects of one-off visitors do not pile up.
 *
 * Why not Workers' rate-limit binding: it is per location and eventually consistent ("approximate"
 * in Cloudflare's own words), with periods of only 10 or 60 s. A site's limit of 5 leads per 10
 * minutes per IP, or Propexo's one budget, must not multiply with the number of locations.
 */
import { DurableObject, type DurableObjectNamespace } from 'cloudflare:workers';
import type { LimitDecision, RateLimiter } from '../../limits/types.js';
import type { LimiterRpc } from './env.js';

interface Window {
  start: number;
  count: number;
  windowMs: number;
}

export class LimiterObject extends DurableObject implements LimiterRpc {
  private window: Window | undefined;
  private loaded = false;

  /** One decision: counts the request when it is allowed; a denied request writes nothing. */
  async limit(max: number, windowMs: number): Promise<LimitDecision> {
    if (!this.loaded) {
      this.window ??= await this.ctx.storage.get<Window>('window');
      this.loaded = true;
    }
    const now = Date.now();
    let w = this.window;
    const fresh = !w || now - w.start >= w.windowMs;
    if (fresh) w = { start: now, count: 0, windowMs };
    const success = w!.count < max;
    if (success) {
      w = { ...w!, count: w!.count + 1 };
      // Not awaited: the output gate holds the answer until the write is durable.
      void this.ctx.storage.put('window', w);
      if (fresh) void this.ctx.storage.setAlarm(w.start + w.windowMs);
    }
    this.window = w;
    return { success, limit: max, remaining: Math.max(0, max - w!.count), resetMs: Math.max(0, w!.start + w!.windowMs - now) };
  }

  /** The window is over: forget it (storage and all), unless a new one has begun since. */
  async alarm(): Promise<void> {
    const w = this.window ?? (await this.ctx.storage.get<Window>('window'));
    if (w && Date.now() - w.start < w.windowMs) return void (await this.ctx.storage.setAlarm(w.start + w.windowMs));
    this.window = undefined;
    await this.ctx.storage.deleteAll();
  }
}

/** The relay's RateLimiter over LimiterObject: one object per key. */
export function durableObjectLimiter(namespace: DurableObjectNamespace<LimiterRpc>): RateLimiter {
  return {
    limit: ({ key, max, windowMs }) => namespace.get(namespace.idFromName(key)).limit(max, windowMs),
  };
}
