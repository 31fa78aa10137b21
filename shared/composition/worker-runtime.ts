import type { Redis } from "ioredis";
import { childProcessEnv, type Config } from "../config.ts";
import { createFunctionDeps, type FunctionDepsScope } from "./function-deps.ts";
import type { BuiltFunction, FunctionManifest } from "../functions/manifest.ts";
import { createInlineInvoker } from "../invokers/inline-invoker.ts";
import { createIsolatedInvoker } from "../invokers/isolated-invoker.ts";
import type { Invoker } from "../invokers/invoker.ts";
import { createLambdaInvoker } from "../invokers/lambda-invoker.ts";
import type { BatchOutcome } from "../listener/batch-runner.ts";
import { Listener } from "../listener/listener.ts";
import type { Logger } from "../logging/logger.ts";
import type { FunctionDeps } from "../ports/function-deps.ts";
import { createRedisConnection } from "../redis/connection.ts";

/** Options of {@link startWorkers}. */
export interface WorkerRuntimeOptions {
  config: Config;
  logger: Logger;
  manifest: FunctionManifest;
  redisUrl: string;
  only?: readonly string[];
  /** Per-port replacements handed to every function (tests). */
  depsOverrides?: Partial<FunctionDeps>;
  /** Invokers that replace the ones this runtime makes, by kind (tests, embedding). */
  invokers?: Partial<Record<BuiltFunction["invoker"], Invoker>>;
  onBatch?(outcome: BatchOutcome): void;
}

/** A running set of workers and how to stop it. */
export interface WorkerRuntime {
  listener: Listener;
  redis: Redis;
  stop(graceMs?: number): Promise<void>;
}

/**
 * The composition root of a worker process: one command connection, the ports of each function
 * (created lazily, once per function), the invokers and the listener. Whoever creates a resource
 * here also disposes of it in `stop`.
 */
export async function startWorkers(options: WorkerRuntimeOptions): Promise<WorkerRuntime> {
  const { config, logger } = options;
  const redis = createRedisConnection(options.redisUrl, { role: "worker", logger, name: "bw:worker" });
  const scopes = new Map<string, FunctionDepsScope>();
  const depsFor = (fn: BuiltFunction): FunctionDeps => {
    let scope = scopes.get(fn.type);
    if (!scope) {
      scope = createFunctionDeps({ config, logger: logger.child({ fn: fn.name }), type: fn.type, redis, overrides: options.depsOverrides });
      scopes.set(fn.type, scope);
    }
    return scope.deps;
  };
  const inline = createInlineInvoker({ logger, depsFor });
  let isolated: Invoker | undefined;
  let lambda: Invoker | undefined;
  // One invoker of each kind, made on first use; `options.invokers` replaces any of them (tests).
  const invokerFor = (fn: BuiltFunction): Invoker => {
    const kind = config.functionInvoker ?? fn.invoker;
    const given = options.invokers?.[kind];
    if (given) return given;
    if (kind === "isolated") {
      return (isolated ??= createIsolatedInvoker({
        logger,
        logFile: config.logFile,
        // The children wire their own ports from the environment: hand them the resolved Redis.
        env: childProcessEnv({ REDIS_URL: options.redisUrl, REDIS_KEY_PREFIX: config.keyPrefix, VAR_DIR: config.varDir, LOG_LEVEL: config.logLevel }),
      }));
    }
    if (kind === "lambda") {
      return (lambda ??= createLambdaInvoker({ logger, region: config.awsRegion, endpoint: config.lambdaEndpoint, functionPrefix: config.lambdaFunctionPrefix }));
    }
    return inline;
  };
  const listener = new Listener({
    manifest: options.manifest,
    redisUrl: options.redisUrl,
    keyPrefix: config.keyPrefix,
    redis,
    logger,
    workers: config.workers,
    invokerFor,
    only: options.only,
    onBatch: options.onBatch,
  });
  await listener.start();
  let stopping: Promise<void> | undefined;
  return {
    listener,
    redis,
    stop(graceMs = config.shutdownGraceMs) {
      stopping ??= (async () => {
        await listener.stop(graceMs);
        await inline.close();
        await isolated?.close();
        await lambda?.close();
        for (const invoker of Object.values(options.invokers ?? {})) await invoker?.close().catch(() => undefined);
        for (const scope of scopes.values()) await scope.dispose().catch(() => undefined);
        await redis.quit().catch(() => redis.disconnect());
      })();
      return stopping;
    },
  };
}
