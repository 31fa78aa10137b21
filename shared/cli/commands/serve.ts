import type { FastifyInstance } from "fastify";
import { redactUrl, type Config } from "../../config.ts";
import { resolveRedisUrl } from "../../embedded/resolve-redis-url.ts";
import { buildApp } from "../../http/app.ts";
import { listenHttp } from "../../http/server.ts";
import { createLogger, flushLogger } from "../../logging/logger.ts";
import { ensureBuilt } from "../project.ts";
import { waitForStopSignal } from "./start.ts";

/**
 * `serve`: the HTTP API alone (publish, health, readiness, metrics, status), for web front ends
 * that publish jobs while the workers run elsewhere. It talks to REDIS_URL or to the embedded
 * Redis a `start` runs under the var directory. SIGTERM/SIGINT: stops accepting connections,
 * answers the requests in flight, flushes the enqueued counts and exits 0.
 */
export async function runServe(config: Config): Promise<void> {
  const logger = createLogger({ level: config.logLevel, file: config.logFile, name: "backend-workers-http" });
  const manifest = await ensureBuilt(config);
  const redisUrl = await resolveRedisUrl(config);
  let app: FastifyInstance | undefined;
  try {
    app = await buildApp({ config, logger, manifest, redisUrl });
    const url = await listenHttp(app, { host: config.httpHost, port: config.httpPort, apiToken: config.apiToken, metricsPassword: config.metricsPassword });
    print(`backend-workers: Redis ${redactUrl(redisUrl)}`);
    print(`backend-workers: HTTP ${url}`);
    print("backend-workers: ready; Ctrl-C stops");
    logger.info({ url, redis: redactUrl(redisUrl) }, "http listening");
    const signal = await waitForStopSignal();
    print(`backend-workers: ${signal}: closing HTTP`);
    logger.info({ signal }, "stopping");
  } finally {
    await app?.close();
    await flushLogger(logger);
  }
  print("backend-workers: stopped");
}

function print(line: string): void {
  process.stdout.write(line + "\n");
}
