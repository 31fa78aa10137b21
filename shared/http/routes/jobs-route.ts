import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { errorCode, errorMessage } from "../../errors.ts";
import { MAX_PAYLOAD_BYTES, type PublishOptions } from "../../publisher/publisher.ts";
import { bearerMatches } from "../credentials.ts";
import { sendError } from "../error-handler.ts";

/** Longest delay a job may be published with (a week); longer waits belong in a scheduler. */
export const MAX_DELAY_MS = 7 * 24 * 3600_000;

/**
 * Largest request body. The publisher's limit applies to the compact JSON it stores; the body may
 * carry some whitespace on top, and anything between the two is refused by the publisher (also 413).
 */
export const JOB_BODY_LIMIT = MAX_PAYLOAD_BYTES + 64 * 1024;

/** Publisher error code -> HTTP status. Anything else is a 500 (or a 503 when Redis is down). */
const STATUS_BY_CODE: Record<string, number> = {
  UNKNOWN_JOB_TYPE: 404,
  INVALID_PAYLOAD: 400,
  PAYLOAD_TOO_LARGE: 413,
  STORE_FAILED: 503,
};

interface JobRequest {
  Params: { type: string };
  Headers: { "idempotency-key"?: string; "job-delay-ms"?: number; traceparent?: string };
  Body: unknown;
}

/**
 * `POST /jobs/:type`: the body is the payload. `Authorization: Bearer <API_TOKEN>` is checked in
 * `onRequest`, before a byte of the body is read; without an API_TOKEN the server only ever
 * listens on loopback (see server.ts), so the route is open there. Optional headers:
 * `Idempotency-Key` (at most one job per key for 24 h; a repeat gets the first job's id),
 * `Job-Delay-Ms` (run no earlier than this many ms from now), `traceparent` (W3C, kept on the job).
 * 202 `{ jobId, duplicate }` means Redis has stored the job; when it could not, the answer is a
 * 503 with Retry-After, never a 202.
 */
export function registerJobsRoute(app: FastifyInstance): void {
  const { config } = app.diContainer.cradle;
  const token = config.apiToken;
  app.post<JobRequest>(
    "/jobs/:type",
    {
      bodyLimit: JOB_BODY_LIMIT,
      schema: {
        headers: {
          type: "object",
          properties: {
            "idempotency-key": { type: "string", minLength: 1, maxLength: 200, pattern: "^[\\x21-\\x7e]+$" },
            "job-delay-ms": { type: "integer", minimum: 0, maximum: MAX_DELAY_MS },
            traceparent: { type: "string", pattern: "^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$" },
          },
        },
      },
      onRequest: async (request, reply) => {
        if (token !== undefined && !bearerMatches(request.headers.authorization, token)) {
          reply.header("www-authenticate", 'Bearer realm="backend-workers"');
          return sendError(reply, 401, "UNAUTHORIZED", "missing or wrong bearer token");
        }
      },
    },
    (request, reply) => publishJob(request, reply),
  );
}

async function publishJob(request: FastifyRequest<JobRequest>, reply: FastifyReply): Promise<FastifyReply> {
  const { publisher, redis, requestLogger } = request.diScope.cradle;
  const { type } = request.params;
  const options: PublishOptions = {};
  if (request.headers["idempotency-key"] !== undefined) options.idempotencyKey = request.headers["idempotency-key"];
  if (request.headers["job-delay-ms"] !== undefined) options.delayMs = request.headers["job-delay-ms"];
  if (request.headers.traceparent !== undefined) options.traceparent = request.headers.traceparent;
  try {
    const { jobId, duplicate } = await publisher.publish(type, request.body, options);
    requestLogger.debug({ type, jobId, duplicate }, "job published over HTTP");
    return reply.code(202).send({ jobId, duplicate });
  } catch (error) {
    const code = errorCode(error);
    let status = STATUS_BY_CODE[code];
    // A publish hook that touched Redis fails with the raw client error: if Redis does not answer
    // now, that was the cause, and the caller should retry rather than see a 500.
    if (status === undefined && !(await redis.ping().then(() => true, () => false))) status = 503;
    if (status === undefined) throw error;
    if (status === 503) {
      requestLogger.warn({ type, err: errorMessage(error) }, "job not stored: Redis unavailable");
      reply.header("retry-after", "5");
      return sendError(reply, 503, "STORE_FAILED", `the ${type} job was not stored: Redis is unavailable; retry later`);
    }
    const details = (error as { details?: { issues?: { path: PropertyKey[]; code: string; message: string }[] } }).details;
    const issues = details?.issues?.map((issue) => ({ path: issue.path.map(String), code: issue.code, message: issue.message }));
    return sendError(reply, status, code, errorMessage(error), issues ? { issues } : {});
  }
}
