import { fork, type ChildProcess } from "node:child_process";
import { createWriteStream, mkdirSync, type WriteStream } from "node:fs";
import { dirname, join } from "node:path";
import { BackendWorkersError } from "../errors.ts";
import type { BuiltFunction } from "../functions/manifest.ts";
import type { BatchResponse, StreamEvent } from "../handler/stream-event.ts";
import type { Logger } from "../logging/logger.ts";
import { PROJECT_ROOT } from "../project-root.ts";
import type { Invoker } from "./invoker.ts";

/** Options of {@link createIsolatedInvoker}. */
export interface IsolatedInvokerOptions {
  logger: Logger;
  /** Environment of the children: the bundle wires its ports from it (REDIS_URL must be resolved). */
  env: NodeJS.ProcessEnv;
  /** The children's stdout (their pino lines) is appended here. */
  logFile: string;
  /** A child is replaced after this many invocations, so leaks cannot pile up (Tuleap: 1000). */
  maxInvocationsPerChild?: number;
  /** Extra time past the jobs' own timeouts before the parent kills a child. */
  killMarginMs?: number;
}

const CHILD_SCRIPT = join(PROJECT_ROOT, "shared", "invokers", "isolated-child.cjs");

interface Child {
  process: ChildProcess;
  ready: Promise<void>;
  invocations: number;
  busy: boolean;
}

/**
 * Runs each function in child processes: heap capped by `memorySize` (`--max-old-space-size`),
 * killed when a batch outlives its timeout (a handler that ignores its AbortSignal or blocks the
 * event loop cannot hang the worker), replaced after a timeout, a crash or N invocations. A pool
 * per function grows to as many children as batches run at once (the function's worker count).
 */
export function createIsolatedInvoker(options: IsolatedInvokerOptions): Invoker {
  const pools = new Map<string, Child[]>();
  const maxInvocations = options.maxInvocationsPerChild ?? 1000;
  const killMargin = options.killMarginMs ?? 1000;
  let sequence = 0;
  let closed = false;
  let log: WriteStream | undefined;
  const logStream = (): WriteStream => {
    if (!log) {
      mkdirSync(dirname(options.logFile), { recursive: true });
      log = createWriteStream(options.logFile, { flags: "a" });
    }
    return log;
  };

  const spawnChild = (fn: BuiltFunction): Child => {
    const child = fork(CHILD_SCRIPT, [fn.bundle], {
      execArgv: [`--max-old-space-size=${fn.memorySize}`],
      env: options.env,
      stdio: ["ignore", "pipe", "pipe", "ipc"],
      // JSON (the default) rather than structured clone: records carry their md5 through toJSON.
    });
    child.stdout?.pipe(logStream(), { end: false });
    child.stderr?.pipe(logStream(), { end: false });
    const ready = new Promise<void>((resolve, reject) => {
      child.once("message", (message: { type: string; message?: string }) => {
        if (message.type === "ready") resolve();
        else reject(new BackendWorkersError("BAD_BUNDLE", `isolated child for ${fn.name}: ${message.message ?? "failed to start"}`));
      });
      child.once("exit", (code, signal) => reject(new BackendWorkersError("CHILD_CRASHED", `isolated child for ${fn.name} exited (${signal ?? code}) before it was ready`)));
    });
    ready.catch(() => undefined);
    return { process: child, ready, invocations: 0, busy: false };
  };

  const acquire = (fn: BuiltFunction): Child => {
    let pool = pools.get(fn.name);
    if (!pool) pools.set(fn.name, (pool = []));
    const alive = pool.filter((child) => child.process.exitCode === null && child.process.signalCode === null);
    pools.set(fn.name, alive);
    let child = alive.find((candidate) => !candidate.busy);
    if (!child) {
      child = spawnChild(fn);
      alive.push(child);
    }
    child.busy = true;
    return child;
  };

  const retire = (fn: BuiltFunction, child: Child): void => {
    child.process.kill("SIGKILL");
    pools.set(fn.name, (pools.get(fn.name) ?? []).filter((candidate) => candidate !== child));
  };

  return {
    kind: "isolated",
    async invoke(fn: BuiltFunction, event: StreamEvent): Promise<BatchResponse> {
      if (closed) throw new BackendWorkersError("INVOKER_CLOSED", "the isolated invoker is closed");
      const child = acquire(fn);
      try {
        await child.ready;
        const id = String(++sequence);
        const limitMs = fn.timeoutMs * Math.max(1, event.Records.length) + killMargin;
        const response = await new Promise<BatchResponse>((resolve, reject) => {
          const timer = setTimeout(() => {
            cleanup();
            child.process.kill("SIGKILL");
            reject(new BackendWorkersError("TIMEOUT", `${fn.name} did not finish within ${limitMs} ms: child process killed`));
          }, limitMs);
          const onMessage = (message: { type: string; id?: string; result?: BatchResponse; code?: string; message?: string }) => {
            if (message.id !== id) return;
            cleanup();
            if (message.type === "result" && message.result) resolve(message.result);
            else reject(new BackendWorkersError(message.code ?? "HANDLER_ERROR", message.message ?? "the function threw"));
          };
          const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
            cleanup();
            const oom = code === 134 || signal === "SIGABRT";
            reject(new BackendWorkersError(oom ? "OUT_OF_MEMORY" : "CHILD_CRASHED", `${fn.name} child process exited (${signal ?? code})${oom ? `: over memorySize ${fn.memorySize} MB?` : ""}`));
          };
          const cleanup = () => {
            clearTimeout(timer);
            child.process.off("message", onMessage);
            child.process.off("exit", onExit);
          };
          child.process.on("message", onMessage);
          child.process.on("exit", onExit);
          child.process.send({ type: "invoke", id, event, timeoutMs: fn.timeoutMs, functionName: fn.name });
        });
        child.invocations++;
        // A timed-out body may still run in the child (it ignored its signal): never reuse that child.
        const timedOut = response.batchItemFailures?.some((failure) => failure.code === "TIMEOUT");
        if (timedOut || child.invocations >= maxInvocations) retire(fn, child);
        return response;
      } catch (error) {
        retire(fn, child);
        options.logger.warn({ fn: fn.name, err: (error as Error).message }, "isolated invocation failed");
        throw error;
      } finally {
        child.busy = false;
      }
    },
    async close() {
      closed = true;
      const all = [...pools.values()].flat();
      pools.clear();
      await Promise.all(
        all.map(
          (child) =>
            new Promise<void>((resolve) => {
              if (child.process.exitCode !== null || child.process.signalCode !== null) return resolve();
              child.process.once("exit", () => resolve());
              child.process.kill("SIGKILL");
            }),
        ),
      );
      log?.end();
    },
  };
}
