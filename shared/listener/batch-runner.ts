import type { Redis } from "ioredis";
import { errorCode, errorMessage } from "../errors.ts";
import type { BuiltFunction } from "../functions/manifest.ts";
import type { BatchItemFailure } from "../handler/stream-event.ts";
import { envelopeFields, type DecodedEntry, type JobEnvelope } from "../job/envelope.ts";
import type { Logger } from "../logging/logger.ts";
import type { Invoker } from "../invokers/invoker.ts";
import { MAX_PAYLOAD_BYTES } from "../publisher/publisher.ts";
import { GROUP, type JobKeys } from "../redis/keys.ts";
import { settleBatch } from "../redis/scripts.ts";
import { retryDelayMs } from "./backoff.ts";
import { toStreamEvent, type RunnableJob } from "./to-stream-event.ts";

/** A raw entry as XREADGROUP / XCLAIM return it. */
export type RawEntry = [id: string, fields: string[] | null];

/** What happened to a batch, for logs and metrics. */
export interface BatchOutcome {
  type: string;
  done: number;
  retried: number;
  dead: number;
  timedOut: number;
  durationMs: number;
  /** Earliest due time of the retries scheduled, so the promoter can wake up for it. */
  nextRetryAt: number | undefined;
  /**
   * How long each job ran (ms), by how it was settled, when the function reported it
   * (`durationsMs`); jobs dead-lettered without running are not in it.
   */
  jobDurationsMs?: { done: number[]; retried: number[]; dead: number[] };
}

/** Options of {@link BatchRunner}. */
export interface BatchRunnerOptions {
  fn: BuiltFunction;
  keys: JobKeys;
  redis: Redis;
  invoker: Invoker;
  logger: Logger;
  now?: () => number;
}

interface DeadLetter {
  entryId: string;
  fields: string[];
}

interface Retry {
  entryId: string;
  due: number;
  member: string;
}

/**
 * Runs one batch of entries through the function and settles every entry in one atomic script:
 * success -> XACK + XDEL; retryable failure with attempts left -> the delayed set with back-off;
 * otherwise -> the dead-letter stream with the error. Entries that cannot run (malformed, wrong
 * type, too big, too old, delivered too often) are dead-lettered without invoking anything.
 */
export class BatchRunner {
  readonly #options: BatchRunnerOptions;
  readonly #now: () => number;

  constructor(options: BatchRunnerOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /** Runs decoded `entries` and settles them; `deliveries[i]` is how often entry i was delivered (1 for a fresh read). */
  async run(entries: readonly DecodedEntry[], deliveries?: readonly number[]): Promise<BatchOutcome> {
    return (await this.execute(entries, deliveries)).settled;
  }

  /**
   * Runs decoded `entries` through the function and starts settling them: resolves once the
   * function is done, with the settle still in flight (`settled`), so the caller can send its
   * next read meanwhile instead of waiting a round trip for each.
   */
  async execute(entries: readonly DecodedEntry[], deliveries?: readonly number[]): Promise<{ settled: Promise<BatchOutcome> }> {
    const { fn, keys, invoker, logger } = this.#options;
    const started = performance.now();
    const now = this.#now();
    const maxAttempts = fn.maximumRetryAttempts + 1;
    const runnable: RunnableJob[] = [];
    const dead: DeadLetter[] = [];
    const retries: Retry[] = [];
    const done: string[] = [];
    let timedOut = 0;

    for (const [index, decoded] of entries.entries()) {
      const id = decoded.id;
      if (!decoded.ok) {
        dead.push(this.#deadLetter(id, flattenObject(decoded.fields), "MALFORMED_ENTRY", decoded.reason, undefined, now));
        continue;
      }
      const { job } = decoded;
      const attempt = job.attempt + (deliveries?.[index] ?? 1) - 1;
      if (job.type !== fn.type) {
        dead.push(this.#jobDeadLetter(id, job, attempt, "UNKNOWN_JOB_TYPE", `entry of type "${job.type}" in the ${fn.type} stream`, now));
      } else if (Buffer.byteLength(job.payload) > MAX_PAYLOAD_BYTES) {
        dead.push(this.#jobDeadLetter(id, job, attempt, "PAYLOAD_TOO_LARGE", `payload is ${Buffer.byteLength(job.payload)} bytes; the limit is ${MAX_PAYLOAD_BYTES}`, now));
      } else if (attempt > maxAttempts) {
        dead.push(this.#jobDeadLetter(id, job, attempt, "TOO_MANY_DELIVERIES", `delivered ${attempt} times (its worker died each time?); the limit is ${maxAttempts}`, now));
      } else if (fn.maximumRecordAgeMs !== undefined && now - job.enqueuedAt > fn.maximumRecordAgeMs) {
        dead.push(this.#jobDeadLetter(id, job, attempt, "EXPIRED", `older than maximumRecordAgeInSeconds (${fn.maximumRecordAgeMs / 1000} s)`, now));
      } else runnable.push({ entryId: id, job, attempt });
    }

    let jobDurationsMs: BatchOutcome["jobDurationsMs"];
    if (runnable.length > 0) {
      const { failures, durationsMs } = await this.#invoke(runnable);
      const failedAt = this.#now();
      if (durationsMs) jobDurationsMs = { done: [], retried: [], dead: [] };
      for (const [index, item] of runnable.entries()) {
        const failure = failures.get(item.entryId);
        const ran = durationsMs?.[index];
        if (!failure) {
          done.push(item.entryId);
          if (ran !== undefined) jobDurationsMs?.done.push(ran);
          continue;
        }
        const code = failure.code ?? "HANDLER_ERROR";
        const message = failure.message ?? "the function reported this record as failed";
        if (code === "TIMEOUT") timedOut++;
        if (failure.retryable !== false && item.attempt < maxAttempts) {
          const due = failedAt + retryDelayMs(item.attempt, fn.backoff);
          const next: JobEnvelope = { ...item.job, attempt: item.attempt + 1, firstFailedAt: item.job.firstFailedAt ?? failedAt };
          retries.push({ entryId: item.entryId, due, member: JSON.stringify(envelopeFields(next)) });
          if (ran !== undefined) jobDurationsMs?.retried.push(ran);
          logger.info({ jobId: item.job.jobId, type: fn.type, attempt: item.attempt, code, err: message, retryInMs: due - failedAt }, "job will be retried");
        } else {
          dead.push(this.#jobDeadLetter(item.entryId, item.job, item.attempt, code, message, failedAt));
          if (ran !== undefined) jobDurationsMs?.dead.push(ran);
        }
      }
    }

    const settled = this.#settle(done, retries, dead).then(([settledDone, retried, deadCount]): BatchOutcome => ({
      type: fn.type,
      done: settledDone,
      retried,
      dead: deadCount,
      timedOut,
      durationMs: performance.now() - started,
      nextRetryAt: retries.length ? Math.min(...retries.map((retry) => retry.due)) : undefined,
      jobDurationsMs,
    }));
    return { settled };
  }

  async #invoke(runnable: RunnableJob[]): Promise<{ failures: Map<string, BatchItemFailure>; durationsMs?: readonly number[] }> {
    const { fn, keys, invoker, logger } = this.#options;
    const failures = new Map<string, BatchItemFailure>();
    try {
      const response = await invoker.invoke(fn, toStreamEvent(keys.stream, runnable, { maxAttempts: fn.maximumRetryAttempts + 1, digest: invoker.needsDigest?.(fn) ?? true }));
      for (const failure of response?.batchItemFailures ?? []) {
        if (failure && typeof failure.itemIdentifier === "string") failures.set(failure.itemIdentifier, failure);
      }
      const durationsMs = response?.durationsMs;
      // Only an array with one number per record is believed (a function built by another version
      // of this project, or a plain SQS handler, may answer something else).
      const valid = Array.isArray(durationsMs) && durationsMs.length === runnable.length && durationsMs.every((ms) => typeof ms === "number");
      return { failures, durationsMs: valid ? durationsMs : undefined };
    } catch (error) {
      // The whole invocation failed (bundle crashed, child died, Lambda throttled): retry all.
      const code = errorCode(error) === "HANDLER_ERROR" ? "INVOKE_FAILED" : errorCode(error);
      logger.warn({ type: fn.type, code, err: errorMessage(error), records: runnable.length }, "invocation failed");
      for (const item of runnable) failures.set(item.entryId, { itemIdentifier: item.entryId, code, message: errorMessage(error), retryable: (error as { retryable?: boolean })?.retryable !== false });
    }
    return { failures };
  }

  #jobDeadLetter(entryId: string, job: JobEnvelope, attempt: number, code: string, message: string, now: number): DeadLetter {
    this.#options.logger.warn({ jobId: job.jobId, type: job.type, attempt, code, err: message }, "job dead-lettered");
    return this.#deadLetter(entryId, envelopeFields({ ...job, attempt }), code, message, job.firstFailedAt, now);
  }

  #deadLetter(entryId: string, fields: string[], code: string, message: string, firstFailedAt: number | undefined, now: number): DeadLetter {
    if (code === "MALFORMED_ENTRY") this.#options.logger.warn({ entryId, type: this.#options.fn.type, code, err: message }, "malformed entry dead-lettered");
    const withoutOld = stripFields(fields, ["first_failed_at"]);
    return {
      entryId,
      fields: [
        ...withoutOld,
        "error_code", code,
        "error_message", message.slice(0, 4000),
        "first_failed_at", String(firstFailedAt ?? now),
        "failed_at", String(now),
        "original_id", entryId,
        "function", this.#options.fn.name,
      ],
    };
  }

  async #settle(done: string[], retries: Retry[], dead: DeadLetter[]): Promise<[number, number, number]> {
    const { keys, redis } = this.#options;
    const args: (string | number)[] = [GROUP, done.length, ...done, retries.length];
    for (const retry of retries) args.push(retry.entryId, retry.due, retry.member);
    args.push(dead.length);
    for (const letter of dead) args.push(letter.entryId, letter.fields.length, ...letter.fields);
    return settleBatch.run<[number, number, number]>(redis, [keys.stream, keys.delayed, keys.dlq], args);
  }
}

function flattenObject(fields: Record<string, string>): string[] {
  const flat: string[] = [];
  for (const [key, value] of Object.entries(fields)) flat.push(key, value);
  return flat;
}

function stripFields(flat: string[], names: string[]): string[] {
  const kept: string[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) if (!names.includes(flat[i] as string)) kept.push(flat[i] as string, flat[i + 1] as string);
  return kept;
}
