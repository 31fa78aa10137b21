import type { Redis } from "ioredis";
import type { Config } from "../config.ts";
import { errorMessage } from "../errors.ts";
import { summarizeIssues } from "../handler/validation.ts";
import { envelopeFields, newEnvelope, PublishError, type JobEnvelope } from "../job/envelope.ts";
import { findFunction, type BuiltFunction, type FunctionManifest } from "../functions/manifest.ts";
import { loadSchemaModule, type SchemaModule } from "../functions/function-module.ts";
import { jobKeys, type JobKeys } from "../redis/keys.ts";
import { createRedisKeyValueStore } from "../redis/redis-key-value-store.ts";
import { publishBatch as publishBatchScript, publishIdempotent } from "../redis/scripts.ts";

const PUBLISH_CHUNK = 1000;

/** Largest payload accepted, as JSON text. Bigger data belongs in storage the payload points to. */
export const MAX_PAYLOAD_BYTES = 1024 * 1024;

/** Options of one publish. */
export interface PublishOptions {
  /** Run no earlier than this many ms from now. */
  delayMs?: number;
  /** Publish at most once per key within `idempotencyWindowMs`; later calls get the first job's id. */
  idempotencyKey?: string;
  idempotencyWindowMs?: number;
  traceparent?: string;
}

/** The outcome of a publish. */
export interface PublishResult {
  jobId: string;
  /** True when an earlier publish with the same idempotency key already added this job. */
  duplicate: boolean;
}

/** Options of {@link Publisher}. */
export interface PublisherOptions {
  redis: Redis;
  manifest: FunctionManifest;
  config: Config;
  /** Called once Redis has stored new jobs (metrics count `enqueued`); not for idempotent duplicates. Must not throw. */
  onPublished?(type: string, count: number): void;
}

const DEFAULT_IDEMPOTENCY_WINDOW_MS = 24 * 3600_000;

/**
 * Adds jobs to their function's stream. A payload is validated against the function's schema
 * (from its small schema bundle) before anything is written: an unknown type or an invalid
 * payload is a {@link PublishError} and nothing is added. A Redis failure rejects the promise;
 * it is never swallowed (Tuleap only logged lost enqueues).
 */
export class Publisher {
  readonly #redis: Redis;
  readonly #manifest: FunctionManifest;
  readonly #config: Config;
  readonly #onPublished: ((type: string, count: number) => void) | undefined;
  readonly #schemas = new Map<string, SchemaModule>();
  readonly #keysByType = new Map<string, JobKeys>();

  constructor(options: PublisherOptions) {
    this.#redis = options.redis;
    this.#manifest = options.manifest;
    this.#config = options.config;
    this.#onPublished = options.onPublished;
  }

  /** The job types this publisher knows. */
  get types(): string[] {
    return this.#manifest.functions.map((fn) => fn.type);
  }

  /** Validates and adds one job; resolves with its id once Redis has stored it. */
  async publish(type: string, payload: unknown, options: PublishOptions = {}): Promise<PublishResult> {
    const prepared = this.#prepare(this.#resolve(type), payload, options);
    // No await for a synchronous prepare (no publish hook): one tick less on the latency path.
    const job = prepared instanceof Promise ? await prepared : prepared;
    const keys = this.#keys(type);
    const due = options.delayMs && options.delayMs > 0 ? Date.now() + options.delayMs : 0;
    try {
      if (options.idempotencyKey !== undefined) {
        const [jobId, added] = await publishIdempotent.run<[string, number]>(
          this.#redis,
          [keys.stream, keys.idempotency(options.idempotencyKey), keys.delayed],
          [options.idempotencyWindowMs ?? DEFAULT_IDEMPOTENCY_WINDOW_MS, job.jobId, due, JSON.stringify(envelopeFields(job)), ...envelopeFields(job)],
        );
        if (added !== 0) this.#onPublished?.(job.type, 1);
        return { jobId, duplicate: added === 0 };
      }
      if (due > 0) await this.#redis.zadd(keys.delayed, due, JSON.stringify(envelopeFields(job)));
      else await this.#redis.xadd(keys.stream, "*", ...envelopeFields(job));
      this.#onPublished?.(job.type, 1);
      return { jobId: job.jobId, duplicate: false };
    } catch (error) {
      throw storeFailed(type, error);
    }
  }

  /**
   * Validates every payload first, then adds them with one script call per 1,000 jobs. Any
   * invalid payload rejects the whole batch before anything is written. Resolves with the job ids
   * in order; when Redis fails part-way, the error's `details.stored` lists the ids that were added.
   */
  async publishBatch(type: string, payloads: readonly unknown[], options: Pick<PublishOptions, "traceparent"> = {}): Promise<string[]> {
    const jobs: JobEnvelope[] = [];
    const target = this.#resolve(type);
    for (const [index, payload] of payloads.entries()) {
      try {
        // Synchronous unless the function has a publish hook: no await per item on the hot path.
        const prepared = this.#prepare(target, payload, options);
        jobs.push(prepared instanceof Promise ? await prepared : prepared);
      } catch (error) {
        if (error instanceof PublishError) throw new PublishError(error.code, `item ${index}: ${error.message}`, { ...error.details, index });
        throw error;
      }
    }
    const { stream } = this.#keys(target.fn.type);
    const enqueuedAt = String(Date.now());
    // Chunks of 1,000: each script call blocks Redis while it runs (~1 ms per 1,000 XADDs).
    let stored = 0;
    for (let start = 0; start < jobs.length; start += PUBLISH_CHUNK) {
      const chunk = jobs.slice(start, start + PUBLISH_CHUNK);
      const args: string[] = [target.fn.type, enqueuedAt, options.traceparent ?? ""];
      for (const job of chunk) args.push(job.payload, job.jobId);
      let added: number;
      let failure: string;
      try {
        [added, failure] = await publishBatchScript.run<[number, string]>(this.#redis, [stream], args);
      } catch (error) {
        // Not run at all (connection lost, script refused): nothing of this chunk was added.
        [added, failure] = [0, errorMessage(error)];
      }
      stored += added;
      if (failure !== "") {
        if (stored === 0) throw storeFailed(type, new Error(failure));
        throw new PublishError("STORE_FAILED", `Redis stored only ${stored} of ${jobs.length} ${type} jobs: ${failure}`, { stored: jobs.slice(0, stored).map((job) => job.jobId) });
      }
    }
    if (jobs[0]) this.#onPublished?.(jobs[0].type, jobs.length);
    return jobs.map((job) => job.jobId);
  }

  #keys(type: string): JobKeys {
    let keys = this.#keysByType.get(type);
    if (!keys) {
      keys = jobKeys(this.#config.keyPrefix, type);
      this.#keysByType.set(type, keys);
    }
    return keys;
  }

  #resolve(type: string): { fn: BuiltFunction; module: SchemaModule } {
    let fn: BuiltFunction;
    try {
      fn = findFunction(this.#manifest, type);
    } catch (error) {
      throw new PublishError("UNKNOWN_JOB_TYPE", errorMessage(error), { type });
    }
    return { fn, module: this.#schemaModule(fn.type, fn.schemaBundle) };
  }

  #prepare({ fn, module }: { fn: BuiltFunction; module: SchemaModule }, payload: unknown, options: PublishOptions): JobEnvelope | Promise<JobEnvelope> {
    const parsed = module.schema.safeParse(payload);
    if (!parsed.success) throw new PublishError("INVALID_PAYLOAD", `invalid ${fn.type} payload: ${summarizeIssues(parsed.error)}`, { type: fn.type, issues: parsed.error.issues });
    const job = newEnvelope(fn.type, "", { idempotencyKey: options.idempotencyKey, traceparent: options.traceparent });
    if (!module.beforePublish) return withPayload(job, payload);
    const kv = createRedisKeyValueStore(this.#redis, this.#config.keyPrefix, fn.type);
    return Promise.resolve(module.beforePublish(parsed.data, { jobId: job.jobId, config: this.#config, kv })).then((stored) => withPayload(job, stored));
  }

  #schemaModule(type: string, path: string): SchemaModule {
    let module = this.#schemas.get(type);
    if (!module) {
      module = loadSchemaModule(path);
      this.#schemas.set(type, module);
    }
    return module;
  }
}

function withPayload(job: JobEnvelope, payload: unknown): JobEnvelope {
  job.payload = JSON.stringify(payload);
  // Cheap bound first: a string's UTF-8 size is at most 3 bytes per UTF-16 unit.
  if (job.payload.length * 3 > MAX_PAYLOAD_BYTES && Buffer.byteLength(job.payload) > MAX_PAYLOAD_BYTES) {
    throw new PublishError("PAYLOAD_TOO_LARGE", `${job.type} payload is ${Buffer.byteLength(job.payload)} bytes; the limit is ${MAX_PAYLOAD_BYTES}`, { type: job.type });
  }
  return job;
}

function storeFailed(type: string, error: unknown): PublishError {
  return new PublishError("STORE_FAILED", `could not store the ${type} job in Redis: ${errorMessage(error)}`, { type }, error);
}
