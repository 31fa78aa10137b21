import type { FastifyInstance, onRequestHookHandler } from "fastify";
import { errorMessage } from "../../errors.ts";
import { collectStatus } from "../../status/collect-status.ts";
import { basicMatches } from "../credentials.ts";
import { sendError } from "../error-handler.ts";

/** The Basic auth user of `/metrics` and `/status`, as in Tuleap. */
export const METRICS_USER = "metrics";

/**
 * `GET /metrics` (Prometheus text format) and `GET /status` (the `status --json` document), both
 * behind HTTP Basic auth with user `metrics` and METRICS_PASSWORD, as Tuleap does. Without a
 * METRICS_PASSWORD they are open, which server.ts only allows on loopback. When Redis cannot be
 * read the answer is a 503, so Prometheus records a failed scrape instead of zeros.
 */
export function registerMonitoringRoutes(app: FastifyInstance): void {
  const password = app.diContainer.cradle.config.metricsPassword;
  const requireMetricsAuth: onRequestHookHandler = async (request, reply) => {
    if (password !== undefined && !basicMatches(request.headers.authorization, METRICS_USER, password)) {
      reply.header("www-authenticate", 'Basic realm="backend-workers metrics", charset="UTF-8"');
      return sendError(reply, 401, "UNAUTHORIZED", "missing or wrong metrics credentials");
    }
  };

  app.get("/metrics", { onRequest: requireMetricsAuth }, async (request, reply) => {
    const { prometheusExporter, requestLogger } = request.diScope.cradle;
    let text: string;
    try {
      text = await prometheusExporter.scrape();
    } catch (error) {
      requestLogger.warn({ err: errorMessage(error) }, "metrics scrape failed: Redis unavailable");
      return sendError(reply.header("retry-after", "5"), 503, "REDIS_UNAVAILABLE", "metrics unavailable: Redis cannot be read");
    }
    return reply.type(prometheusExporter.contentType).send(text);
  });

  app.get("/status", { onRequest: requireMetricsAuth }, async (request, reply) => {
    const { redis, manifest, config, requestLogger } = request.diScope.cradle;
    try {
      return await collectStatus(redis, manifest, config.keyPrefix);
    } catch (error) {
      requestLogger.warn({ err: errorMessage(error) }, "status failed: Redis unavailable");
      return sendError(reply.header("retry-after", "5"), 503, "REDIS_UNAVAILABLE", "status unavailable: Redis cannot be read");
    }
  });
}
