import type { FastifyInstance } from "fastify";
import type { Config } from "../../shared/config.ts";
import { buildApp, type HttpAppOptions } from "../../shared/http/app.ts";
import { testManifest } from "../helpers/test-functions.ts";
import { testConfig, testLogger } from "../helpers/test-env.ts";

/** Secrets the HTTP tests configure (each at least 16 characters, as config.ts requires). */
export const API_TOKEN = "test-api-token-0123456789";
export const METRICS_PASSWORD = "test-metrics-password-0123";

/** An app on `redisUrl` with a unique key prefix, plus its config; the caller closes the app. */
export async function testApp(redisUrl: string, env: Record<string, string> = {}, extra: Partial<HttpAppOptions> = {}): Promise<{ app: FastifyInstance; config: Config }> {
  const config = testConfig(redisUrl, env);
  const app = await buildApp({ config, logger: testLogger(config), manifest: await testManifest(), redisUrl, ...extra });
  return { app, config };
}

/** The Authorization header of the metrics user. */
export function metricsAuth(password = METRICS_PASSWORD, user = "metrics"): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
}
