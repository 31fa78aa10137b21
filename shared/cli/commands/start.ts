import { redactUrl, type Config } from "../../config.ts";
import { startWorkers, type WorkerRuntime } from "../../composition/worker-runtime.ts";
import { startEmbeddedRedis, type EmbeddedRedis } from "../../embedded/embedded-redis.ts";
import { createLogger, flushLogger } from "../../logging/logger.ts";
import { ensureBuilt } from "../project.ts";

/** Options of the `start` and `worker` commands. */
export interface StartOptions {
  only?: string[];
}

/**
 * Runs the workers until SIGTERM/SIGINT: builds stale bundles, starts the embedded Redis when no
 * REDIS_URL is set, starts the listener, prints where everything is, and on
 * a signal stops reading, lets in-flight jobs finish within the grace period and exits 0.
 */
export async function runStart(config: Config, options: StartOptions): Promise<void> {
  const logger = createLogger({ level: config.logLevel, file: config.logFile, name: "backend-workers" });
  const manifest = await ensureBuilt(config);
  let embedded: EmbeddedRedis | undefined;
  let redisUrl = config.redisUrl;
  if (!redisUrl) {
    embedded = await startEmbeddedRedis(config.varDir);
    redisUrl = embedded.url;
  }
  const runtime: WorkerRuntime = await startWorkers({ config, logger, manifest, redisUrl, only: options.only });

  const where = embedded ? `embedded (${embedded.owned ? "started" : "reused"}, pid ${embedded.pid}, data in ${config.varDir}/redis)` : "REDIS_URL";
  print(`backend-workers: Redis ${redactUrl(redisUrl)} — ${where}`);
  for (const fn of runtime.listener.functions) {
    print(`backend-workers: ${fn.type}: ${fn.workers ?? config.workers} worker(s), ${fn.invoker} invoker, batch ${fn.batchSize}`);
  }
  print(`backend-workers: log ${config.logFile} (level ${config.logLevel})`);
  print("backend-workers: ready; Ctrl-C stops");
  logger.info({ functions: manifest.functions.map((fn) => fn.type), redis: redactUrl(redisUrl) }, "workers started");

  await new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      print(`backend-workers: ${signal}: finishing in-flight jobs (up to ${config.shutdownGraceMs} ms)`);
      logger.info({ signal }, "stopping");
      resolve();
    };
    process.once("SIGTERM", onSignal);
    process.once("SIGINT", onSignal);
  });
  await runtime.stop(config.shutdownGraceMs);
  if (embedded?.owned) await embedded.stop();
  logger.info("stopped");
  await flushLogger(logger);
  print("backend-workers: stopped");
}

function print(line: string): void {
  process.stdout.write(line + "\n");
}
