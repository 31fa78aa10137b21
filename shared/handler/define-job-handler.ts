import type { z } from "zod";
import { loadConfig } from "../config.ts";
import { createFunctionDeps, type FunctionDepsScope } from "../composition/function-deps.ts";
import { BackendWorkersError, errorCode, errorMessage, isRetryable } from "../errors.ts";
import { createLogger, type Logger } from "../logging/logger.ts";
import type { FunctionDeps } from "../ports/function-deps.ts";
import { RECORD_ATTRIBUTES, type BatchItemFailure, type BatchResponse, type StreamEvent, type StreamRecord } from "./stream-event.ts";
import { summarizeIssues } from "./validation.ts";

/** What a function body receives beside its payload. */
export interface JobContext {
  logger: Logger;
  /** Fires at the job's timeout; pass it to every fetch, SMTP call and loop that can stop. */
  signal: AbortSignal;
  /** 1-based; above 1 this job already failed (or its worker died) before. */
  attempt: number;
  /** Stable across retries: use it to make side effects idempotent. */
  jobId: string;
  /** First enqueue time, ms since the epoch. */
  enqueuedAt: number;
  deps: FunctionDeps;
}

/** The definition a function file gives {@link defineJobHandler}. */
export interface JobHandlerDefinition<S extends z.ZodType> {
  type: string;
  schema: S;
  /** Per-job hard timeout; the host's (serverless.yml `timeout`) applies when shorter or unset. */
  timeoutMs?: number;
  handle(payload: z.output<S>, ctx: JobContext): Promise<void> | void;
}

/**
 * What the listener's in-process invoker hands a function through the Lambda `context`, so a
 * bundle uses the listener's ports instead of opening its own. Plain data only: the listener and
 * the bundle each have their own copy of this module.
 */
export interface InvocationHost {
  deps: FunctionDeps;
  logger: Logger;
  /** Per-job timeout the listener enforces (from serverless.yml). */
  timeoutMs: number;
}

/** The Lambda-compatible context this handler reads; every field is optional. */
export interface HandlerContext {
  backendWorkers?: InvocationHost;
  getRemainingTimeInMillis?: () => number;
  /** Per-job timeout set by an out-of-process host (the isolated invoker), from serverless.yml. */
  recordTimeoutMs?: number;
  functionName?: string;
  awsRequestId?: string;
}

/** A function bundle's export: a Lambda-style handler carrying its type and schema. */
export interface JobHandler<S extends z.ZodType = z.ZodType> {
  (event: StreamEvent, context?: HandlerContext): Promise<BatchResponse>;
  readonly jobType: string;
  readonly schema: S;
}

const DEFAULT_TIMEOUT_MS = 15 * 60_000;

/**
 * Makes a function's `handler` from its schema and body. The handler takes an SQS-shaped batch,
 * runs each record in order, validates the payload (a failure is final: `INVALID_PAYLOAD`), gives
 * the body an `AbortSignal` that fires at the timeout (the record then fails as `TIMEOUT` even if
 * the body ignores the signal) and answers `{ batchItemFailures }` with a code per failure.
 */
export function defineJobHandler<S extends z.ZodType>(definition: JobHandlerDefinition<S>): JobHandler<S> {
  let standalone: { host: InvocationHost; scope: FunctionDepsScope } | undefined;

  // Outside the listener (Lambda, invoke local, an isolated child) the bundle wires its own ports
  // on first use, never at import time.
  const standaloneHost = (context: HandlerContext): InvocationHost => {
    if (!standalone) {
      const config = loadConfig();
      const logger = createLogger({ level: config.logLevel, name: definition.type });
      const scope = createFunctionDeps({ config, logger, type: definition.type });
      standalone = { scope, host: { deps: scope.deps, logger, timeoutMs: definition.timeoutMs ?? DEFAULT_TIMEOUT_MS } };
    }
    const remaining = context.getRemainingTimeInMillis?.();
    const timeoutMs = Math.min(standalone.host.timeoutMs, context.recordTimeoutMs ?? Infinity, remaining ?? Infinity);
    return timeoutMs === standalone.host.timeoutMs ? standalone.host : { ...standalone.host, timeoutMs };
  };

  const handler = async (event: StreamEvent, context: HandlerContext = {}): Promise<BatchResponse> => {
    const host = context.backendWorkers ?? standaloneHost(context);
    const timeoutMs = Math.min(definition.timeoutMs ?? host.timeoutMs, host.timeoutMs);
    const batchItemFailures: BatchItemFailure[] = [];
    for (const record of event?.Records ?? []) {
      const failure = await runRecord(definition, record, host, timeoutMs);
      if (failure) batchItemFailures.push(failure);
    }
    return { batchItemFailures };
  };
  return Object.assign(handler, { jobType: definition.type, schema: definition.schema });
}

async function runRecord<S extends z.ZodType>(definition: JobHandlerDefinition<S>, record: StreamRecord, host: InvocationHost, timeoutMs: number): Promise<BatchItemFailure | undefined> {
  const jobId = record.messageAttributes?.[RECORD_ATTRIBUTES.jobId]?.stringValue ?? record.messageId;
  const attempt = Number(record.attributes?.ApproximateReceiveCount ?? 1) || 1;
  const logger = host.logger.child({ jobId, type: definition.type, attempt });
  const fail = (code: string, message: string, retryable: boolean): BatchItemFailure => {
    logger.warn({ code, retryable, err: message }, "job failed");
    return { itemIdentifier: record.messageId, code, message, retryable };
  };

  let body: unknown;
  try {
    body = JSON.parse(record.body);
  } catch {
    return fail("INVALID_PAYLOAD", "payload is not valid JSON", false);
  }
  const parsed = definition.schema.safeParse(body);
  if (!parsed.success) return fail("INVALID_PAYLOAD", `payload does not match the ${definition.type} schema: ${summarizeIssues(parsed.error)}`, false);

  const controller = new AbortController();
  const started = performance.now();
  logger.info("job started");
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => {
      controller.abort(new BackendWorkersError("TIMEOUT", `job timed out after ${timeoutMs} ms`));
      resolve("timeout");
    }, timeoutMs);
  });
  try {
    const ctx: JobContext = { logger, signal: controller.signal, attempt, jobId, enqueuedAt: Number(record.attributes?.SentTimestamp) || Date.now(), deps: host.deps };
    const outcome = await Promise.race([Promise.resolve(definition.handle(parsed.data, ctx)), timedOut]);
    if (outcome === "timeout") return fail("TIMEOUT", `job timed out after ${timeoutMs} ms`, true);
    logger.info({ durationMs: Math.round(performance.now() - started) }, "job done");
    return undefined;
  } catch (error) {
    if (controller.signal.aborted) return fail("TIMEOUT", `job timed out after ${timeoutMs} ms`, true);
    return fail(errorCode(error), errorMessage(error), isRetryable(error));
  } finally {
    clearTimeout(timer);
  }
}
