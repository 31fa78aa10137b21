/**
 * A small key-value port (in the spirit of Powertools' CacheClient) that functions use for
 * markers such as "this email was already sent". The listener backs it with Redis, scoped to the
 * function's hash slot; tests use a plain in-memory fake.
 */
export interface KeyValueStore {
  get(key: string): Promise<string | null>;
  /** Sets `key`; with `ifAbsent` only when missing. Resolves true when the value was written. */
  set(key: string, value: string, options?: { ttlMs?: number; ifAbsent?: boolean }): Promise<boolean>;
  del(key: string): Promise<void>;
  incr(key: string): Promise<number>;
}
