import { createRequire } from "node:module";
import { join } from "node:path";
import type { z } from "zod";
import { BackendWorkersError } from "../errors.ts";
import { PROJECT_ROOT } from "../project-root.ts";
import type { HandlerContext } from "../handler/define-job-handler.ts";
import type { BatchResponse, StreamEvent } from "../handler/stream-event.ts";
import type { Config } from "../config.ts";
import type { KeyValueStore } from "../ports/key-value-store.ts";

/** What a publish hook may use: it runs in the publisher's process, before the job is stored. */
export interface PublishHookContext {
  jobId: string;
  config: Config;
  kv: KeyValueStore;
}

/**
 * A function's optional publish hook, exported from its schema.ts as `beforePublish`: it gets the
 * validated payload and returns the payload to store (e.g. with credentials swapped for a reference).
 */
export type PublishHook = (payload: unknown, ctx: PublishHookContext) => Promise<unknown> | unknown;

/** What a schema bundle exports. */
export interface SchemaModule {
  schema: z.ZodType;
  beforePublish?: PublishHook;
}

/** What a function bundle exports. */
export interface HandlerModule {
  handler: (event: StreamEvent, context?: HandlerContext) => Promise<BatchResponse>;
}

const requireBundle = createRequire(import.meta.url);
// Plain CommonJS shared with the isolated invoker's child; loaded at run time, not bundled into the CLI.
const { loadBundle } = requireBundle(join(PROJECT_ROOT, "shared", "functions", "load-bundle.cjs")) as { loadBundle(file: string): unknown };

/** Loads a schema bundle (CommonJS, cached by Node's require). */
export function loadSchemaModule(path: string): SchemaModule {
  const mod = requireBundle(path) as Partial<SchemaModule>;
  if (!mod.schema || typeof (mod.schema as { safeParse?: unknown }).safeParse !== "function") {
    throw new BackendWorkersError("BAD_BUNDLE", `${path} does not export a zod "schema"`, { retryable: false });
  }
  return mod as SchemaModule;
}

/** Loads a function bundle (CommonJS, once per process, with V8's code cache: see load-bundle.cjs). */
export function loadHandlerModule(path: string): HandlerModule {
  const mod = loadBundle(path) as Partial<HandlerModule>;
  if (typeof mod.handler !== "function") {
    throw new BackendWorkersError("BAD_BUNDLE", `${path} does not export a "handler" function`, { retryable: false });
  }
  return mod as HandlerModule;
}
