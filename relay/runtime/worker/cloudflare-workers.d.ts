/**
 * The little of the Workers runtime this project uses, for tsc (there is no @cloudflare/workers-types
 * here: its globals would clash with the DOM types the widget needs). `cloudflare:workers` exists
 * only inside workerd; bundles keep `cloudflare:*` imports external.
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
    get<T = unknown>(key: string): Promise<T | undefined>;
    put(key: string, value: unknown): Promise<void>;
    delete(key: string): Promise<boolean>;
    deleteAll(): Promise<void>;
    getAlarm(): Promise<number | null>;
    setAlarm(scheduledTime: number): Promise<void>;
  }

  /** The state a Durable Object is constructed with (only the members used here). */
  export interface DurableObjectState {
    readonly storage: DurableObjectStorage;
    blockConcurrencyWhile<T>(fn: () => Promise<T>): Promise<T>;
    waitUntil(promise: Promise<unknown>): void;
  }

  /** The base class of Durable Objects: its public methods are callable over RPC. */
  export abstract class DurableObject<Env = unknown> {
    protected ctx: DurableObjectState;
    protected env: Env;
    constructor(ctx: DurableObjectState, env: Env);
  }

  export interface DurableObjectId {
    toString(): string;
  }

  /** A namespace binding; `T` is the object class, whose public methods its stubs expose. */
  export interface DurableObjectNamespace<T = unknown> {
    idFromName(name: string): DurableObjectId;
    get(id: DurableObjectId): DurableObjectStub<T>;
  }

  /** RPC to a Durable Object: every method returns a promise of what the object's method returns. */
  export type DurableObjectStub<T> = {
    [K in keyof T]: T[K] extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : never;
  };

  /** A service binding such as ASSETS. */
  export interface Fetcher {
    fetch(input: Request | string, init?: RequestInit): Promise<Response>;
  }

  export interface ExecutionContext {
    waitUntil(promise: Promise<unknown>): void;
  }

  export interface KVNamespace {
    get(key: string): Promise<string | null>;
  }
}
