/**
 * The little of `cloudflare:workers` this project uses, for tsc (there is no @cloudflare/workers-types
 * here). The module exists only inside workerd; bundles keep `cloudflare:*` imports external.
 * Extend this file rather than declaring the module a second time (a class declared twice is an error).
 */
declare module 'cloudflare:workers' {
  /** A cursor from `ctx.storage.sql.exec` (only the members used here). */
  export interface SqlStorageCursor {
    toArray(): Record<string, unknown>[];
    one(): Record<string, unknown>;
    readonly rowsWritten: number;
    readonly rowsRead: number;
  }

  /** A SQLite-backed Durable Object's storage (only the members used here). */
  export interface DurableObjectStorage {
    readonly sql: { exec(query: string, ...bindings: unknown[]): SqlStorageCursor };
    transactionSync<T>(fn: () => T): T;
    put(key: string, value: unknown): Promise<void>;
  }

  /** The state a Durable Object is constructed with (only the members used here). */
  export interface DurableObjectState {
    readonly storage: DurableObjectStorage;
    blockConcurrencyWhile<T>(fn: () => Promise<T>): Promise<T>;
  }

  /** The base class of Durable Objects: its public methods are callable over RPC. */
  export abstract class DurableObject<Env = unknown> {
    protected ctx: DurableObjectState;
    protected env: Env;
    constructor(ctx: DurableObjectState, env: Env);
  }
}
