import type { BuiltFunction } from "../functions/manifest.ts";
import { loadHandlerModule, type HandlerModule } from "../functions/function-module.ts";
import type { InvocationHost } from "../handler/define-job-handler.ts";
import type { BatchResponse, StreamEvent } from "../handler/stream-event.ts";
import type { Logger } from "../logging/logger.ts";
import type { FunctionDeps } from "../ports/function-deps.ts";
import type { Invoker } from "./invoker.ts";

/** Options of {@link createInlineInvoker}. */
export interface InlineInvokerOptions {
  logger: Logger;
  /** The ports of a function, shared by all its invocations in this process. */
  depsFor(fn: BuiltFunction): FunctionDeps;
}

/**
 * The fastest invoker: requires the function's CommonJS bundle in this process (once) and calls
 * its handler directly, handing it this process's ports through the context. A timeout fails the
 * record, but a body that ignores its AbortSignal keeps running here: use `isolated` for
 * functions that may hang.
 */
export function createInlineInvoker(options: InlineInvokerOptions): Invoker {
  const modules = new Map<string, HandlerModule>();
  const hosts = new Map<string, InvocationHost>();
  const load = (fn: BuiltFunction): { module: HandlerModule; host: InvocationHost } => {
    let module = modules.get(fn.name);
    if (!module) {
      module = loadHandlerModule(fn.bundle);
      modules.set(fn.name, module);
    }
    let host = hosts.get(fn.name);
    if (!host) {
      host = { deps: options.depsFor(fn), logger: options.logger.child({ fn: fn.name }), timeoutMs: fn.timeoutMs };
      hosts.set(fn.name, host);
    }
    return { module, host };
  };
  return {
    kind: "inline",
    async prepare(fn: BuiltFunction): Promise<void> {
      load(fn);
    },
    needsDigest(fn: BuiltFunction): boolean {
      // A defineJobHandler handler carries its jobType and never reads md5OfBody; any other
      // (a plain SQS-style handler) gets it.
      return typeof (load(fn).module.handler as { jobType?: unknown }).jobType !== "string";
    },
    async invoke(fn: BuiltFunction, event: StreamEvent): Promise<BatchResponse> {
      const { module, host } = load(fn);
      const deadline = Date.now() + fn.timeoutMs * Math.max(1, event.Records.length);
      return module.handler(event, {
        backendWorkers: host,
        functionName: fn.name,
        getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
      });
    },
    async close() {
      modules.clear();
      hosts.clear();
    },
  };
}
