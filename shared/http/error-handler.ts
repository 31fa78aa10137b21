import { STATUS_CODES } from "node:http";
import type { FastifyError, FastifyInstance, FastifyReply } from "fastify";

/** The JSON body of every error response. */
export interface ErrorBody {
  statusCode: number;
  /** Stable machine-readable code (ours, or Fastify's `FST_ERR_*`). */
  code: string;
  error: string;
  message: string;
  requestId?: string;
  [detail: string]: unknown;
}

/** Sends an error response in the shape every route uses. */
export function sendError(reply: FastifyReply, statusCode: number, code: string, message: string, details: Record<string, unknown> = {}): FastifyReply {
  const body: ErrorBody = { statusCode, code, error: STATUS_CODES[statusCode] ?? "Error", message, ...details };
  return reply.code(statusCode).send(body);
}

/**
 * Installs the app's error and not-found handlers. A 4xx error is about the request (bad JSON,
 * too large, failed header schema), so its message is returned as is. Anything else is a bug or
 * an outage: it is logged with the request id and answered with a generic 500 that names only the
 * request id, never the internal message (stack traces, Redis addresses, file paths).
 */
export function useErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      return sendError(reply, status, error.code ?? "BAD_REQUEST", error.message);
    }
    request.log.error({ err: error }, "request failed");
    return sendError(reply, 500, "INTERNAL_ERROR", `internal error; the server log has the details under request id ${request.id}`, { requestId: request.id });
  });
  app.setNotFoundHandler((request, reply) => sendError(reply, 404, "NOT_FOUND", `no route ${request.method} ${(request.url.split("?")[0] ?? "").slice(0, 200)}`));
}
