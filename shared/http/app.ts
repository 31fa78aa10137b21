import { fastifyAwilixPlugin } from "@fastify/awilix";
import { asFunction, asValue, createContainer, InjectionMode, type AwilixContainer } from "awilix";
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from "fastify";
import { Registry } from "prom-client";
import type { Config } from "../config.ts";
import type { FunctionManifest } from "../functions/manifest.ts";
import type { Logger } from "../logging/logger.ts";
import { MetricsRecorder } from "../metrics/metrics-recorder.ts";
import { PrometheusExporter } from "../metrics/prometheus-exporter.ts";
import { Publisher } from "../publisher/publisher.ts";
import { createRedisConnection } from "../redis/connection.ts";
import { useErrorHandlers } from "./error-handler.ts";
import type { HttpCradle } from "./http-cradle.ts";
import { useJsonBodyParser } from "./json-body-parser.ts";
import { registerJobsRoute } from "./routes/jobs-route.ts";
import { registerMonitoringRoutes } from "./routes/monitoring-routes.ts";
import { registerProbeRoutes } from "./routes/probe-routes.ts";

/** Options of {@link buildApp}. */
export interface HttpAppOptions {
  config: Config;
  logger: Logger;
  manifest: FunctionManifest;
  /** The Redis to publish to and read metrics from; the app opens (and closes) its own connection. */
  redisUrl: string;
  /**
   * A recorder owned by the caller (`start` shares the workers' one, so the process flushes once a
   * second, not twice). Without it the app creates one and closes it when the app closes.
   */
  metricsRecorder?: MetricsRecorder;
  /** Replacements for single registrations (tests pass fakes here). */
  overrides?: Partial<HttpCradle>;
}

/** Slowest a client may be to send a whole request (slow-loris bodies). */
const REQUEST_TIMEOUT_MS = 30_000;

/**
 * Builds the HTTP app, the composition root of the HTTP side: one strict awilix container holds
 * the app's Redis connection, metrics recorder, publisher and Prometheus registry; each request
 * gets a child scope (created by @fastify/awilix) with its own logger. Nothing listens here:
 * tests call `inject()`, server.ts calls `listen()`. `app.close()` flushes an app-owned recorder
 * first, then the container disposes what it created (the Redis connection).
 */
export async function buildApp(options: HttpAppOptions): Promise<FastifyInstance> {
  const { config, logger } = options;
  const container = createHttpContainer(options);
  const app = Fastify({
    // Typed as Fastify's base logger so the instance has the default type the route modules take.
    loggerInstance: logger as FastifyBaseLogger,
    // Access lines would flood the worker_log; requests are logged by the routes where it matters.
    logController: new LogController({ disableRequestLogging: true }),
    requestTimeout: REQUEST_TIMEOUT_MS,
    return503OnClosing: true,
  });
  await app.register(fastifyAwilixPlugin, { container, disposeOnClose: true, disposeOnResponse: true, asyncInit: false, asyncDispose: false, eagerInject: false });
  app.addHook("onRequest", async (request, reply) => {
    request.diScope.register({ requestLogger: asValue(request.log) });
    reply.header("request-id", request.id);
  });
  if (!options.metricsRecorder && !options.overrides?.metricsRecorder) {
    // onClose hooks run last-registered first: this flush runs before the container closes Redis.
    app.addHook("onClose", async () => {
      await container.cradle.metricsRecorder.close();
    });
  }
  useJsonBodyParser(app);
  useErrorHandlers(app);
  registerProbeRoutes(app);
  registerJobsRoute(app);
  registerMonitoringRoutes(app);
  logger.debug({ functions: options.manifest.functions.map((fn) => fn.type), auth: { jobs: config.apiToken !== undefined, metrics: config.metricsPassword !== undefined } }, "http app built");
  return app;
}

function createHttpContainer(options: HttpAppOptions): AwilixContainer<HttpCradle> {
  const container = createContainer<HttpCradle>({ injectionMode: InjectionMode.PROXY, strict: true });
  container.register({
    config: asValue(options.config),
    logger: asValue(options.logger),
    manifest: asValue(options.manifest),
    redis: asFunction(({ logger }: HttpCradle) => createRedisConnection(options.redisUrl, { role: "client", logger, name: "bw:http" }))
      .singleton()
      .disposer((redis) => redis.quit().then(() => undefined, () => redis.disconnect())),
    metricsRecorder: options.metricsRecorder
      ? asValue(options.metricsRecorder)
      : asFunction(({ redis, config, logger }: HttpCradle) => new MetricsRecorder({ redis, keyPrefix: config.keyPrefix, logger })).singleton(),
    publisher: asFunction(
      ({ redis, manifest, config, metricsRecorder }: HttpCradle) =>
        new Publisher({ redis, manifest, config, onPublished: (type, count) => metricsRecorder.recordEnqueued(type, count) }),
    ).singleton(),
    metricsRegistry: asFunction(() => new Registry()).singleton(),
    prometheusExporter: asFunction(
      ({ metricsRegistry, redis, manifest, config }: HttpCradle) => new PrometheusExporter({ registry: metricsRegistry, redis, manifest, keyPrefix: config.keyPrefix }),
    ).singleton(),
  });
  for (const [name, value] of Object.entries(options.overrides ?? {})) container.register(name, asValue(value));
  return container;
}
