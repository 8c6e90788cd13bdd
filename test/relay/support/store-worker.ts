/**
 * A test worker for workerd (bundled by support/workerd.ts, never imported by Node): one SQLite-backed
 * Durable Object class holding a lead store, so the lead store's behaviour suite runs against
 * relay/outbox/store/durable.ts in the real runtime.
 *
 * POST /<name> with an encoded WireCall (support/store-fixtures.ts) runs it on the store of the
 * object named <name> (a fresh name is a fresh, empty storage) and answers an encoded WireResult.
 * The store is created at the first LeadStore call, so a test can prepare the storage first.
 * Besides the LeadStore methods, test-only commands:
 *   $sql [query, ...bindings]  runs SQL on the object's storage as it is, returning the rows;
 *   $kvPut [key, value]        writes through the key-value API (which keeps its own _cf_ table);
 *   $reopen []                 creates the store again on the same storage (migrations run again).
 */
import { DurableObject } from 'cloudflare:workers';
import { createDurableLeadStore } from '../../../relay/outbox/store/durable.js';
import type { LeadStore } from '../../../relay/outbox/store/types.js';
import { LEAD_STORE_METHODS, decodeWire, encodeWire, type WireCall, type WireResult } from './store-fixtures.js';

interface DurableObjectNamespace {
  idFromName(name: string): unknown;
  get(id: unknown): { fetch(request: Request): Promise<Response> };
}
interface Env {
  STORE: DurableObjectNamespace;
}

export class StoreObject extends DurableObject<Env> {
  private store: LeadStore | undefined;

  private open(): LeadStore {
    this.store = undefined;
    return (this.store = createDurableLeadStore(this.ctx.storage));
  }

  private async run({ method, args }: WireCall): Promise<unknown> {
    const { sql } = this.ctx.storage;
    if (method === '$sql') {
      const [query, ...bindings] = args as [string, ...unknown[]];
      return sql.exec(query, ...bindings).toArray();
    }
    if (method === '$kvPut') {
      const [key, value] = args as [string, unknown];
      await this.ctx.storage.put(key, value);
      return null;
    }
    if (method === '$reopen') {
      this.open();
      return null;
    }
    if (!(LEAD_STORE_METHODS as readonly string[]).includes(method)) throw new Error(`no such method: ${method}`);
    const store = this.store ?? this.open();
    const fn = store[method as keyof LeadStore] as (...a: unknown[]) => Promise<unknown>;
    return fn.apply(store, args);
  }

  async fetch(request: Request): Promise<Response> {
    let result: WireResult;
    try {
      result = { ok: true, value: await this.run(decodeWire(await request.text()) as WireCall) };
    } catch (error) {
      const { name, message } = error as Error;
      result = { ok: false, error: { name: String(name), message: String(message) } };
    }
    return new Response(encodeWire(result), { headers: { 'content-type': 'application/json' } });
  }
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const name = decodeURIComponent(new URL(request.url).pathname.slice(1));
    if (request.method !== 'POST' || !name) return new Response('POST /<object name>', { status: 404 });
    return env.STORE.get(env.STORE.idFromName(name)).fetch(request);
  },
};
