import type { FastifyBaseLogger } from "fastify";
import type { Redis } from "ioredis";
import type { Registry } from "prom-client";
import type { Config } from "../config.ts";
import type { FunctionManifest } from "../functions/manifest.ts";
import type { Logger } from "../logging/logger.ts";
import type { MetricsRecorder } from "../metrics/metrics-recorder.ts";
import type { PrometheusExporter } from "../metrics/prometheus-exporter.ts";
import type { Publisher } from "../publisher/publisher.ts";

/**
 * What the HTTP process's container holds (app lifetime). `redis` is the app's own connection
 * with the `client` role, so a Redis outage turns into a 503 after a bounded wait instead of a
 * request that hangs.
 */
export interface HttpCradle {
  config: Config;
  logger: Logger;
  manifest: FunctionManifest;
  redis: Redis;
  metricsRecorder: MetricsRecorder;
  publisher: Publisher;
  metricsRegistry: Registry;
  prometheusExporter: PrometheusExporter;
}

/** What each request's scope adds: its own logger, carrying the request id. */
export interface HttpRequestCradle {
  requestLogger: FastifyBaseLogger;
}

declare module "@fastify/awilix" {
  // Types `app.diContainer` and `request.diScope`; a type declaration only, no shared container.
  interface Cradle extends HttpCradle {}
  interface RequestCradle extends HttpRequestCradle {}
}
