import { z } from "zod";
import { JOB_TYPE_PATTERN } from "../redis/keys.ts";

/** How the listener runs a function: in-process, in a child process, or through the Lambda API. */
export const INVOKERS = ["inline", "isolated", "lambda"] as const;
export type InvokerKind = (typeof INVOKERS)[number];

/**
 * The `redisStream` event of a function in serverless.yml. Names follow Lambda's event source
 * mapping where one exists; the rest (workers, invoker, backoff, visibility) are ours.
 * `.strict()` makes a typo an error that names the unknown key.
 */
export const redisStreamEventSchema = z
  .object({
    /** Job type (stream); defaults to the function name. */
    type: z.string().regex(JOB_TYPE_PATTERN, "lower-case letters, digits and '-', starting with a letter or digit").optional(),
    batchSize: z.number().int().min(1).max(10_000).default(10),
    maximumBatchingWindow: z.number().int().min(0).max(300).default(0),
    maximumRetryAttempts: z.number().int().min(0).max(10_000).default(3),
    maximumRecordAgeInSeconds: z.number().int().min(60).max(1_209_600).optional(),
    functionResponseType: z.literal("ReportBatchItemFailures").default("ReportBatchItemFailures"),
    destinations: z.object({ onFailure: z.literal("dlq") }).strict().default({ onFailure: "dlq" }),
    workers: z.number().int().min(1).max(1000).optional(),
    invoker: z.enum(INVOKERS).default("inline"),
    visibilityTimeout: z.number().int().min(1).max(43_200).optional(),
    backoff: z
      .object({ baseMs: z.number().int().min(0).default(1000), maxMs: z.number().int().min(0).default(300_000) })
      .strict()
      .default({ baseMs: 1000, maxMs: 300_000 }),
  })
  .strict();

export type RedisStreamEvent = z.output<typeof redisStreamEventSchema>;

/** Everything the listener and the publisher need to know about one function. */
export interface FunctionDefinition {
  /** Function name in serverless.yml; also its folder under functions/ and dist/functions/. */
  name: string;
  /** Job type = stream name. */
  type: string;
  /** Per-job hard timeout in ms (serverless.yml `timeout`, seconds). */
  timeoutMs: number;
  /** MB; the `isolated` invoker caps the child's heap with it. */
  memorySize: number;
  batchSize: number;
  maximumBatchingWindowMs: number;
  /** Retries after the first attempt; a job runs at most `maximumRetryAttempts + 1` times. */
  maximumRetryAttempts: number;
  maximumRecordAgeMs: number | undefined;
  /** Consumers per process for this function; undefined means BACKEND_WORKERS. */
  workers: number | undefined;
  invoker: InvokerKind;
  /** After this long without a heartbeat a pending job is taken over by another worker. */
  visibilityTimeoutMs: number;
  backoff: { baseMs: number; maxMs: number };
}

/** Turns a function's serverless.yml settings into a {@link FunctionDefinition}. */
export function toFunctionDefinition(name: string, timeoutSeconds: number, memorySize: number, event: RedisStreamEvent): FunctionDefinition {
  const timeoutMs = timeoutSeconds * 1000;
  return {
    name,
    type: event.type ?? name,
    timeoutMs,
    memorySize,
    batchSize: event.batchSize,
    maximumBatchingWindowMs: event.maximumBatchingWindow * 1000,
    maximumRetryAttempts: event.maximumRetryAttempts,
    maximumRecordAgeMs: event.maximumRecordAgeInSeconds === undefined ? undefined : event.maximumRecordAgeInSeconds * 1000,
    workers: event.workers,
    invoker: event.invoker,
    // Heartbeats renew the lease every third of it, so it need not cover the whole timeout.
    visibilityTimeoutMs: (event.visibilityTimeout ?? 30) * 1000,
    backoff: event.backoff,
  };
}
