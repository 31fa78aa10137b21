import type { FastifyInstance } from "fastify";
import { redactUrl, type Config } from "../../config.ts";
import { startWorkers, type WorkerRuntime } from "../../composition/worker-runtime.ts";
import { startEmbeddedRedis, type EmbeddedRedis } from "../../embedded/embedded-redis.ts";
import { errorMessage } from "../../errors.ts";
import { createLogger, flushLogger } from "../../logging/logger.ts";
import { MetricsRecorder } from "../../metrics/metrics-recorder.ts";
import { createRedisConnection } from "../../redis/connection.ts";
import { ensureBuilt } from "../project.ts";

/** Options of the `start` and `worker` commands. */
export interface StartOptions {
  only?: string[];
  /** Also serve HTTP (`start`); `worker` runs the workers alone. Default true. */
  http?: boolean;
}

/**
 * Runs the workers (and, for `start`, the HTTP API) until SIGTERM/SIGINT: builds stale bundles,
 * starts the embedded Redis when no REDIS_URL is set, starts the listener with a metrics recorder
 * fed by every settled batch, then the HTTP server, and prints where everything is. On a signal
 * it closes HTTP first (no new jobs accepted, in-flight requests answered), then stops reading,
 * lets in-flight jobs finish within the grace period, flushes the metrics and exits 0.
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
  // The recorder's own connection, with the client role: a flush during an outage fails after a
  // bounded wait and keeps its counts for the next one instead of queueing forever.
  const metricsRedis = createRedisConnection(redisUrl, { role: "client", logger, name: "bw:metrics" });
  const metrics = new MetricsRecorder({ redis: metricsRedis, keyPrefix: config.keyPrefix, logger });
  let runtime: WorkerRuntime | undefined;
  let app: FastifyInstance | undefined;
  const stopAll = async () => {
    const steps = [() => app?.close(), () => runtime?.stop(config.shutdownGraceMs), () => metrics.close(), () => metricsRedis.quit(), () => (embedded?.owned ? embedded.stop() : undefined)];
    for (const step of steps) {
      try {
        await step();
      } catch (error) {
        logger.warn({ err: errorMessage(error) }, "a stop step failed");
      }
    }
  };

  try {
    runtime = await startWorkers({ config, logger, manifest, redisUrl, only: options.only, onBatch: (outcome) => metrics.recordBatch(outcome) });
    const where = embedded ? `embedded (${embedded.owned ? "started" : "reused"}, pid ${embedded.pid}, data in ${config.varDir}/redis)` : "REDIS_URL";
    print(`backend-workers: Redis ${redactUrl(redisUrl)} — ${where}`);
    for (const fn of runtime.listener.functions) {
      print(`backend-workers: ${fn.type}: ${fn.workers ?? config.workers} worker(s), ${config.functionInvoker ?? fn.invoker} invoker, batch ${fn.batchSize}`);
    }
    if (options.http !== false) {
      // Loaded only here: a `worker` process never holds the HTTP stack.
      const [{ buildApp }, { listenHttp }] = await Promise.all([import("../../http/app.ts"), import("../../http/server.ts")]);
      app = await buildApp({ config, logger, manifest, redisUrl, metricsRecorder: metrics });
      const url = await listenHttp(app, { host: config.httpHost, port: config.httpPort, apiToken: config.apiToken, metricsPassword: config.metricsPassword });
      print(`backend-workers: HTTP ${url}`);
      logger.info({ url }, "http listening");
    }
  } catch (error) {
    await stopAll();
    await flushLogger(logger);
    throw error;
  }
  print(`backend-workers: log ${config.logFile} (level ${config.logLevel})`);
  print("backend-workers: ready; Ctrl-C stops");
  logger.info({ functions: manifest.functions.map((fn) => fn.type), redis: redactUrl(redisUrl) }, "workers started");

  const signal = await waitForStopSignal();
  print(`backend-workers: ${signal}: finishing in-flight jobs (up to ${config.shutdownGraceMs} ms)`);
  logger.info({ signal }, "stopping");
  await stopAll();
  logger.info("stopped");
  await flushLogger(logger);
  print("backend-workers: stopped");
}

/**
 * Resolves with the first SIGTERM or SIGINT, which then no longer kills the process, so it can
 * shut down in order. The handlers are removed at once: a second signal during a slow shutdown
 * kills the process (the usual "Ctrl-C again to force").
 */
export function waitForStopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      process.off("SIGTERM", onSignal).off("SIGINT", onSignal);
      resolve(signal);
    };
    process.on("SIGTERM", onSignal).on("SIGINT", onSignal);
  });
}

function print(line: string): void {
  process.stdout.write(line + "\n");
}
