import type { Redis } from "ioredis";
import { errorMessage } from "../errors.ts";
import type { BatchOutcome } from "../listener/batch-runner.ts";
import type { Logger } from "../logging/logger.ts";
import { jobKeys } from "../redis/keys.ts";
import { bucketBound, bucketIndex, DURATION_BUCKETS_SECONDS, metricsField, type DurationStatus, type EventStatus } from "./metrics-hash.ts";

/** The bucket field names of each status, by bucket index: built once, not per observation. */
const BUCKET_FIELDS: Record<DurationStatus, string[]> = {
  done: DURATION_BUCKETS_SECONDS.map((bound) => metricsField.bucket("done", bound)),
  retried: DURATION_BUCKETS_SECONDS.map((bound) => metricsField.bucket("retried", bound)),
  dead_lettered: DURATION_BUCKETS_SECONDS.map((bound) => metricsField.bucket("dead_lettered", bound)),
};

/** Options of {@link MetricsRecorder}. */
export interface MetricsRecorderOptions {
  /** Connection the flushes go through; owned by the caller, who closes it after {@link MetricsRecorder.close}. */
  redis: Redis;
  keyPrefix: string;
  logger?: Logger;
  /** How often accumulated counts are written; default 1000 ms. */
  flushIntervalMs?: number;
}

const DEFAULTS = { flushIntervalMs: 1_000 };

/**
 * Counts job events in memory and adds them to the per-function metrics hashes in Redis about
 * once a second, in one pipelined round trip of HINCRBY / HINCRBYFLOAT (one command per changed
 * field, whatever the number of jobs). Every process on every host adds to the same hashes, so
 * `/metrics` shows cluster-wide numbers, which is why Tuleap needed Redis for Prometheus at all.
 *
 * A failed flush puts its counts back and the next one tries again, so nothing is lost while the
 * process lives; a reply lost after Redis applied the command may count it twice (at least once).
 * `close()` stops the timer and flushes what is left; it is idempotent.
 */
export class MetricsRecorder {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #logger: Logger | undefined;
  readonly #timer: NodeJS.Timeout;
  /** type -> field -> increment not yet written. */
  #pending = new Map<string, Map<string, number>>();
  #flushing: Promise<void> | undefined;
  #failing = false;
  #closing: Promise<void> | undefined;

  constructor(options: MetricsRecorderOptions) {
    const { flushIntervalMs } = { ...DEFAULTS, ...options };
    if (!Number.isFinite(flushIntervalMs) || flushIntervalMs <= 0) throw new RangeError(`MetricsRecorder: flushIntervalMs must be a positive number, got ${flushIntervalMs}`);
    this.#redis = options.redis;
    this.#prefix = options.keyPrefix;
    this.#logger = options.logger;
    this.#timer = setInterval(() => void this.flush().catch(() => undefined), flushIntervalMs);
    // Metrics alone never keep a process alive.
    this.#timer.unref();
  }

  /** Counts `count` jobs of `type` accepted by a publisher (`enqueued`). */
  recordEnqueued(type: string, count: number): void {
    if (count > 0) this.#add(type, metricsField.event("enqueued"), count);
  }

  /**
   * Counts one settled batch. Each job is observed with its own run time when the function
   * reported it (`jobDurationsMs`); otherwise (a plain SQS handler, a failed invocation) with the
   * batch's wall time, since every job of a batch settles when the batch does.
   */
  recordBatch(outcome: BatchOutcome): void {
    if (outcome.jobDurationsMs) {
      this.#recordJobDurations(outcome);
      return;
    }
    const { type } = outcome;
    const byStatus: [EventStatus & DurationStatus, number][] = [
      ["done", outcome.done],
      ["retried", outcome.retried],
      ["dead_lettered", outcome.dead],
    ];
    this.#add(type, metricsField.event("dequeued"), outcome.done + outcome.retried + outcome.dead);
    this.#add(type, metricsField.event("timed_out"), outcome.timedOut);
    const seconds = Math.max(0, outcome.durationMs) / 1000;
    const bound = bucketBound(seconds);
    for (const [status, count] of byStatus) {
      if (count <= 0) continue;
      this.#add(type, metricsField.event(status), count);
      if (bound !== undefined) this.#add(type, metricsField.bucket(status, bound), count);
      this.#add(type, metricsField.count(status), count);
      this.#add(type, metricsField.sum(status), count * seconds);
    }
  }

  #recordJobDurations(outcome: BatchOutcome): void {
    const { type } = outcome;
    const durations = outcome.jobDurationsMs as NonNullable<BatchOutcome["jobDurationsMs"]>;
    this.#add(type, metricsField.event("dequeued"), outcome.done + outcome.retried + outcome.dead);
    this.#add(type, metricsField.event("timed_out"), outcome.timedOut);
    const byStatus: [EventStatus & DurationStatus, number, number[]][] = [
      ["done", outcome.done, durations.done],
      ["retried", outcome.retried, durations.retried],
      ["dead_lettered", outcome.dead, durations.dead],
    ];
    for (const [status, count, runs] of byStatus) {
      if (count <= 0) continue;
      this.#add(type, metricsField.event(status), count);
      // Jobs dead-lettered without running (malformed, expired) count with 0 s.
      const observed = Math.min(runs.length, count);
      // Counted per bucket first: one map update per bucket and batch, not one per job.
      const perBucket = new Array<number>(DURATION_BUCKETS_SECONDS.length).fill(0);
      let sum = 0;
      for (let i = 0; i < observed; i++) {
        const seconds = Math.max(0, runs[i] as number) / 1000;
        sum += seconds;
        const index = bucketIndex(seconds);
        if (index >= 0) perBucket[index] = (perBucket[index] as number) + 1;
      }
      perBucket[0] = (perBucket[0] as number) + (count - observed);
      const fields = BUCKET_FIELDS[status];
      for (let i = 0; i < perBucket.length; i++) this.#add(type, fields[i] as string, perBucket[i] as number);
      this.#add(type, metricsField.count(status), count);
      this.#add(type, metricsField.sum(status), sum);
    }
  }

  /**
   * Writes what has accumulated. Concurrent calls share the flush in flight and then write what
   * arrived meanwhile, so `await flush()` means "everything recorded before this call is in Redis".
   */
  async flush(): Promise<void> {
    while (this.#flushing) await this.#flushing.catch(() => undefined);
    if (this.#pending.size === 0) return;
    const batch = this.#pending;
    this.#pending = new Map();
    this.#flushing = this.#write(batch).finally(() => (this.#flushing = undefined));
    return this.#flushing;
  }

  /** Stops the timer and flushes the rest. Idempotent: every call returns the same promise. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      clearInterval(this.#timer);
      await this.flush().catch((error: unknown) => {
        this.#logger?.warn({ err: errorMessage(error), series: [...this.#pending.values()].reduce((n, fields) => n + fields.size, 0) }, "metrics not flushed at close: these counts are lost");
      });
    })();
    return this.#closing;
  }

  #add(type: string, field: string, increment: number): void {
    if (increment === 0) return;
    let fields = this.#pending.get(type);
    if (!fields) this.#pending.set(type, (fields = new Map()));
    fields.set(field, (fields.get(field) ?? 0) + increment);
  }

  async #write(batch: Map<string, Map<string, number>>): Promise<void> {
    const pipeline = this.#redis.pipeline();
    const order: [string, string, number][] = [];
    for (const [type, fields] of batch) {
      const key = jobKeys(this.#prefix, type).metrics;
      for (const [field, increment] of fields) {
        // Six decimals of a second are plenty and keep HINCRBYFLOAT's text short.
        if (metricsField.isFloat(field)) pipeline.hincrbyfloat(key, field, increment.toFixed(6));
        else pipeline.hincrby(key, field, increment);
        order.push([type, field, increment]);
      }
    }
    let results: [Error | null, unknown][] | null;
    try {
      results = await pipeline.exec();
    } catch (error) {
      results = null;
      this.#failed(order, error);
      throw error;
    }
    const failed = order.filter((_, i) => !results || results[i]?.[0]);
    if (failed.length > 0) {
      const error = results?.find(([e]) => e)?.[0] ?? new Error("pipeline returned no results");
      this.#failed(failed, error);
      throw error;
    }
    if (this.#failing) this.#logger?.info("metrics flushing again");
    this.#failing = false;
  }

  /** Puts unwritten increments back so the next flush retries them. */
  #failed(increments: [string, string, number][], error: unknown): void {
    for (const [type, field, increment] of increments) this.#add(type, field, increment);
    if (!this.#failing) this.#logger?.warn({ err: errorMessage(error) }, "flushing metrics to Redis failed; keeping the counts for the next flush");
    this.#failing = true;
  }
}
