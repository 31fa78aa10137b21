import { isIP } from "node:net";
import type { FastifyInstance } from "fastify";
import { BackendWorkersError } from "../errors.ts";

/** Options of {@link listenHttp}. */
export interface ListenOptions {
  host: string;
  /** 0 picks a free port (the URL tells which). */
  port: number;
  apiToken: string | undefined;
  metricsPassword: string | undefined;
}

/** True for names and addresses that only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, "$1").toLowerCase();
  if (bare === "localhost" || bare === "::1") return true;
  if (isIP(bare) === 4) return bare.startsWith("127.");
  return bare.startsWith("::ffff:127.");
}

/**
 * Starts listening with an app built by `buildApp` and resolves with its base URL. It refuses a
 * non-loopback address unless both secrets are set: without API_TOKEN anyone reaching the port
 * could publish jobs, and without METRICS_PASSWORD read the metrics and status. Closing is the
 * app's `close()`, called by whoever built it.
 */
export async function listenHttp(app: FastifyInstance, options: ListenOptions): Promise<string> {
  if (!isLoopbackHost(options.host)) {
    const missing = [options.apiToken === undefined && "API_TOKEN", options.metricsPassword === undefined && "METRICS_PASSWORD"].filter(Boolean);
    if (missing.length > 0) {
      throw new BackendWorkersError(
        "INSECURE_HTTP",
        `refusing to listen on ${options.host}: ${missing.join(" and ")} not set; set ${missing.join(" and ")} (at least 16 characters) or HTTP_HOST=127.0.0.1`,
        { retryable: false },
      );
    }
  }
  await app.listen({ host: options.host, port: options.port });
  const address = app.server.address();
  const port = typeof address === "object" && address ? address.port : options.port;
  const host = isIP(options.host) === 6 ? `[${options.host}]` : options.host;
  return `http://${host}:${port}`;
}
