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
  /** Attempts the host allows in all (retries + 1); `attempt === maxAttempts` is the last chance. Undefined when the host does not say. */
  maxAttempts?: number;
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
    const durationsMs: number[] = [];
    const watchdog = new Watchdog(timeoutMs);
    // Asked once per batch: the "job started/done" lines cost nothing when they are not written.
    const logJobs = host.logger.isLevelEnabled?.("info") ?? true;
    try {
      // One clock read per record: a record's end is the next one's start.
      let started = performance.now();
      for (const record of event?.Records ?? []) {
        const failed = await runRecord(definition, record, host, watchdog, started, logJobs);
        const ended = performance.now();
        durationsMs.push(ended - started);
        started = ended;
        if (failed) batchItemFailures.push(failed);
      }
    } finally {
      watchdog.dispose();
    }
    return { batchItemFailures, durationsMs };
  };
  return Object.assign(handler, { jobType: definition.type, schema: definition.schema });
}

const TIMED_OUT = Symbol("timed out");

/**
 * One timer per batch instead of one per record. Records run one after another: arming only notes
 * the current record's start (no timer call on the hot path); when the timer fires it either times
 * that record out or sleeps again until the record's own deadline.
 */
class Watchdog {
  #timer: NodeJS.Timeout | undefined;
  #startedAt = 0;
  #onTimeout: (() => void) | undefined;

  constructor(readonly timeoutMs: number) {}

  /** Watches the record that started at `startedAt` (a `performance.now()` reading). */
  arm(startedAt: number, onTimeout: () => void): void {
    this.#startedAt = startedAt;
    this.#onTimeout = onTimeout;
    this.#timer ??= setTimeout(this.#check, Math.max(1, startedAt + this.timeoutMs - performance.now()));
  }

  disarm(): void {
    this.#onTimeout = undefined;
  }

  dispose(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#onTimeout = undefined;
  }

  readonly #check = (): void => {
    const onTimeout = this.#onTimeout;
    if (!onTimeout) {
      this.#timer = undefined; // nothing running: the next arm() starts a timer again
      return;
    }
    const left = this.#startedAt + this.timeoutMs - performance.now();
    if (left > 0) {
      this.#timer = setTimeout(this.#check, left);
      return;
    }
    this.#timer = undefined;
    this.#onTimeout = undefined;
    onTimeout();
  };
}

/** The ctx of one job; logger and signal are made only if the body reads them. */
class RecordContext implements JobContext {
  #logger: Logger | undefined;
  #controller: AbortController | undefined;
  timedOut = false;

  constructor(
    readonly bindings: { jobId: string; type: string; attempt: number },
    readonly host: InvocationHost,
    readonly enqueuedAt: number,
    readonly maxAttempts: number | undefined,
  ) {}

  get jobId(): string {
    return this.bindings.jobId;
  }

  get attempt(): number {
    return this.bindings.attempt;
  }

  get deps(): FunctionDeps {
    return this.host.deps;
  }

  get logger(): Logger {
    return (this.#logger ??= this.host.logger.child(this.bindings));
  }

  get signal(): AbortSignal {
    this.#controller ??= new AbortController();
    if (this.timedOut && !this.#controller.signal.aborted) this.abort();
    return this.#controller.signal;
  }

  abort(): void {
    this.timedOut = true;
    this.#controller?.abort(new BackendWorkersError("TIMEOUT", "job timed out"));
  }
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === "function";
}

function failure(record: StreamRecord, host: InvocationHost, bindings: object, code: string, message: string, retryable: boolean): BatchItemFailure {
  host.logger.warn({ ...bindings, code, retryable, err: message }, "job failed");
  return { itemIdentifier: record.messageId, code, message, retryable };
}

async function runRecord<S extends z.ZodType>(definition: JobHandlerDefinition<S>, record: StreamRecord, host: InvocationHost, watchdog: Watchdog, started: number, logJobs: boolean): Promise<BatchItemFailure | undefined> {
  const jobId = record.messageAttributes?.[RECORD_ATTRIBUTES.jobId]?.stringValue ?? record.messageId;
  const attempt = Number(record.attributes?.ApproximateReceiveCount ?? 1) || 1;
  // Bindings per log call instead of a child logger per job: pino's child() (with redaction)
  // costs more than a no-op job itself.
  const bindings = { jobId, type: definition.type, attempt };
  let body: unknown;
  try {
    body = JSON.parse(record.body);
  } catch {
    return failure(record, host, bindings, "INVALID_PAYLOAD", "payload is not valid JSON", false);
  }
  const parsed = definition.schema.safeParse(body);
  if (!parsed.success) return failure(record, host, bindings, "INVALID_PAYLOAD", `payload does not match the ${definition.type} schema: ${summarizeIssues(parsed.error)}`, false);

  const maxAttempts = Number(record.messageAttributes?.[RECORD_ATTRIBUTES.maxAttempts]?.stringValue) || undefined;
  const ctx = new RecordContext(bindings, host, Number(record.attributes?.SentTimestamp) || Date.now(), maxAttempts);
  if (logJobs) host.logger.info(bindings, "job started");
  try {
    const result = definition.handle(parsed.data, ctx);
    // A body that returned synchronously cannot time out; otherwise race it against the watchdog
    // with one promise (Promise.race allocates a pair of reactions per contender).
    const outcome = isPromiseLike(result)
      ? await new Promise<unknown>((resolve, reject) => {
          watchdog.arm(started, () => {
            ctx.abort();
            resolve(TIMED_OUT);
          });
          result.then(resolve, reject);
        })
      : result;
    if (outcome === TIMED_OUT) return failure(record, host, bindings, "TIMEOUT", timedOutMessage(watchdog), true);
    if (logJobs) host.logger.info({ ...bindings, durationMs: Math.round(performance.now() - started) }, "job done");
    return undefined;
  } catch (error) {
    if (ctx.timedOut) return failure(record, host, bindings, "TIMEOUT", timedOutMessage(watchdog), true);
    return failure(record, host, bindings, errorCode(error), errorMessage(error), isRetryable(error));
  } finally {
    watchdog.disarm();
  }
}

function timedOutMessage(watchdog: Watchdog): string {
  return `job timed out after ${watchdog.timeoutMs} ms`;
}
