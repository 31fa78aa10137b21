import { loadConfig, redactUrl, type Config } from "../shared/config.ts";
import { startWorkers, type WorkerRuntime } from "../shared/composition/worker-runtime.ts";
import { findEmbeddedRedis, startEmbeddedRedis, type EmbeddedRedis } from "../shared/embedded/embedded-redis.ts";
import { loadManifest } from "../shared/functions/manifest.ts";
import { createLambdaInvoker } from "../shared/invokers/lambda-invoker.ts";
import type { BatchOutcome } from "../shared/listener/batch-runner.ts";
import { createLogger, flushLogger, type Logger } from "../shared/logging/logger.ts";

/** Where serverless-offline serves the Lambda Invoke API and how it names the functions. */
export interface OfflineLambda {
  /** e.g. `http://localhost:3002`. */
  endpoint: string;
  region: string;
  /** serverless.yml function key -> the name serverless-offline exposes (`<service>-<stage>-<key>`). */
  functionNames: Record<string, string>;
}

/**
 * The Redis-stream listener that the serverless plugin runs beside `serverless offline start`:
 * the same listener as `backend-workers start`, reading the settings of serverless.yml from the
 * manifest the plugin's build wrote, but calling every function through serverless-offline's
 * Lambda endpoint with the `lambda` invoker, whatever invoker serverless.yml picks for
 * production. Redis is REDIS_URL, or else the embedded default (started if needed, stopped with
 * the listener if this process started it), as with `backend-workers start`.
 */
export class OfflineListener {
  readonly config: Config;
  readonly redisUrl: string;
  readonly #embedded: EmbeddedRedis | undefined;
  readonly #logger: Logger;
  #runtime: WorkerRuntime | undefined;
  #stopping: Promise<void> | undefined;

  private constructor(config: Config, redisUrl: string, embedded: EmbeddedRedis | undefined) {
    this.config = config;
    this.redisUrl = redisUrl;
    this.#embedded = embedded;
    this.#logger = createLogger({ level: config.logLevel, file: config.logFile, name: "backend-workers" });
  }

  /** Reads the configuration and finds (or starts) Redis, before serverless-offline creates the functions. */
  static async prepare(): Promise<OfflineListener> {
    const config = loadConfig();
    if (config.redisUrl) return new OfflineListener(config, config.redisUrl, undefined);
    const embedded = (await findEmbeddedRedis(config.varDir)) ?? (await startEmbeddedRedis(config.varDir));
    return new OfflineListener(config, embedded.url, embedded);
  }

  /**
   * What the functions inside serverless-offline must see so they share this listener's Redis,
   * key prefix and var directory (outbox, imports, the embedded secrets key): serverless-offline
   * hands a function only the service's `environment`, not this process's.
   */
  functionEnvironment(): Record<string, string> {
    return { REDIS_URL: this.redisUrl, REDIS_KEY_PREFIX: this.config.keyPrefix, VAR_DIR: this.config.varDir };
  }

  /** Starts the workers; `notice` gets one line per settled batch and the start-up summary. */
  async start(distDir: string, lambda: OfflineLambda, notice: (line: string) => void): Promise<void> {
    const manifest = await loadManifest(distDir);
    const viaLambda = { ...manifest, functions: manifest.functions.map((fn) => ({ ...fn, invoker: "lambda" as const })) };
    const invoker = createLambdaInvoker({
      logger: this.#logger,
      region: lambda.region,
      endpoint: lambda.endpoint,
      functionName: (fn) => lambda.functionNames[fn.name] ?? fn.name,
      // serverless-offline does not check signatures; the SDK only needs something to sign with.
      credentials: { accessKeyId: "serverless-offline", secretAccessKey: "serverless-offline" },
    });
    this.#runtime = await startWorkers({
      config: this.config,
      logger: this.#logger,
      manifest: viaLambda,
      redisUrl: this.redisUrl,
      invokers: { lambda: invoker },
      onBatch: (outcome) => notice(describeBatch(outcome)),
    });
    const where = this.#embedded ? "embedded Redis" : "REDIS_URL";
    notice(`redisStream: listening on ${redactUrl(this.redisUrl)} (${where}), prefix ${this.config.keyPrefix}, invoking ${lambda.endpoint}`);
    for (const fn of this.#runtime.listener.functions) notice(`redisStream: ${fn.type} -> ${lambda.functionNames[fn.name] ?? fn.name} (${fn.workers ?? this.config.workers} worker(s), batch ${fn.batchSize})`);
    notice(`redisStream: worker log ${this.config.logFile}`);
  }

  /** Stops reading, lets in-flight batches finish within the grace period, closes everything. Idempotent. */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      await this.#runtime?.stop(this.config.shutdownGraceMs);
      if (this.#embedded?.owned) await this.#embedded.stop();
      await flushLogger(this.#logger);
    })();
    return this.#stopping;
  }
}

function describeBatch(outcome: BatchOutcome): string {
  const parts = [`${outcome.done} done`];
  if (outcome.retried) parts.push(`${outcome.retried} to retry`);
  if (outcome.dead) parts.push(`${outcome.dead} dead-lettered`);
  return `redisStream: ${outcome.type}: ${parts.join(", ")} in ${Math.round(outcome.durationMs)} ms`;
}
