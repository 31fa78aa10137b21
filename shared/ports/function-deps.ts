import type { Config } from "../config.ts";
import type { Clock } from "./clock.ts";
import type { KeyValueStore } from "./key-value-store.ts";
import type { Mailer } from "./mailer.ts";

/**
 * The side-effect ports a function may use through `ctx.deps`. They are resolved lazily, so a
 * function that never sends mail never opens an SMTP pool.
 */
export interface FunctionDeps {
  config: Config;
  kv: KeyValueStore;
  mailer: Mailer;
  fetch: typeof fetch;
  clock: Clock;
}
