import type { FastifyInstance } from "fastify";
import { checkReadiness } from "../readiness.ts";

/**
 * `GET /health` (liveness: the process answers, nothing else is checked, so a Redis outage never
 * gets the HTTP process restarted) and `GET /ready` (readiness: 200 when Redis answers and every
 * consumer group exists, else 503 with the failing checks). Both are unauthenticated, for load
 * balancers and orchestrators, and reveal nothing beyond function names.
 */
export function registerProbeRoutes(app: FastifyInstance): void {
  app.get("/health", async () => ({ status: "ok" }));
  app.get("/ready", async (request, reply) => {
    const { redis, manifest, config } = request.diScope.cradle;
    const readiness = await checkReadiness(redis, manifest, config.keyPrefix);
    return reply.code(readiness.ready ? 200 : 503).send(readiness);
  });
}
