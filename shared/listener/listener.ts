import type { Redis } from "ioredis";
import { errorMessage } from "../errors.ts";
import type { BuiltFunction, FunctionManifest } from "../functions/manifest.ts";
import type { Invoker } from "../invokers/invoker.ts";
import type { Logger } from "../logging/logger.ts";
import { createRedisConnection } from "../redis/connection.ts";
import { jobKeys } from "../redis/keys.ts";
import { ALL_SCRIPTS } from "../redis/scripts.ts";
import { BatchRunner, type BatchOutcome } from "./batch-runner.ts";
import { DelayedPromoter } from "./delayed-promoter.ts";
import { ensureGroup } from "./ensure-group.ts";
import { Worker } from "./worker.ts";

/** Options of {@link Listener}. */
export interface ListenerOptions {
  manifest: FunctionManifest;
  redisUrl: string;
  keyPrefix: string;
  /** Shared command connection (settles, claims); owned by the caller. */
  redis: Redis;
  logger: Logger;
  /** Consumers per function unless the function sets its own `workers`. */
  workers: number;
  invokerFor(fn: BuiltFunction): Invoker;
  /** Only these job types (default: every function of the manifest). */
  only?: readonly string[];
  /** Observes every settled batch (metrics). */
  onBatch?(outcome: BatchOutcome): void;
}

/**
 * The worker process's listener: for each function, N workers in its consumer group and a
 * delayed-job promoter. Data flows one way: stream -> worker -> invoker -> function -> settle.
 */
export class Listener {
  readonly #o: ListenerOptions;
  readonly #workers: Worker[] = [];
  readonly #blocking: Redis[] = [];
  readonly #promoters: DelayedPromoter[] = [];
  #closing: Promise<void> | undefined;

  constructor(options: ListenerOptions) {
    this.#o = options;
  }

  /** The functions this listener serves. */
  get functions(): BuiltFunction[] {
    const only = this.#o.only;
    return this.#o.manifest.functions.filter((fn) => !only || only.includes(fn.type) || only.includes(fn.name));
  }

  /** Consumer names of the running workers, per job type. */
  get workerNames(): Record<string, string[]> {
    const names: Record<string, string[]> = {};
    for (const worker of this.#workers) (names[worker.type] ??= []).push(worker.name);
    return names;
  }

  /** Creates the groups, then starts every worker and promoter. */
  async start(): Promise<void> {
    const { redis, logger, keyPrefix } = this.#o;
    await Promise.all(ALL_SCRIPTS.map((script) => script.load(redis)));
    for (const fn of this.functions) {
      const keys = jobKeys(keyPrefix, fn.type);
      await ensureGroup(redis, keys.stream);
      const promoter = new DelayedPromoter(redis, keys, logger);
      this.#promoters.push(promoter);
      const invoker = this.#o.invokerFor(fn);
      // Load the function now (requiring a bundle takes ~100 ms), not when its first job waits.
      await invoker.prepare?.(fn);
      const runner = new BatchRunner({ fn, keys, redis, invoker, logger });
      const count = fn.workers ?? this.#o.workers;
      for (let i = 0; i < count; i++) {
        const blocking = createRedisConnection(this.#o.redisUrl, { role: "blocking", logger, name: `bw:${fn.type}:reader` });
        this.#blocking.push(blocking);
        const worker = new Worker({
          fn,
          keys,
          redis,
          blocking,
          runner,
          logger,
          onBatch: (outcome) => {
            if (outcome.nextRetryAt !== undefined) promoter.wake(outcome.nextRetryAt);
            this.#o.onBatch?.(outcome);
          },
        });
        await worker.start(i === 0 ? 0 : (this.#workers.at(-1)?.index ?? -1) + 1);
        this.#workers.push(worker);
      }
      promoter.start();
      logger.info({ type: fn.type, workers: count, invoker: invoker.kind ?? fn.invoker, batchSize: fn.batchSize }, "function listening");
    }
  }

  /**
   * Stops reading, lets in-flight batches finish within `graceMs`, then closes the worker
   * connections. Idempotent: every call returns the same promise; each step runs even if another fails.
   */
  stop(graceMs: number): Promise<void> {
    this.#closing ??= (async () => {
      const steps = [
        ...this.#promoters.map((promoter) => () => promoter.stop()),
        () => Promise.all(this.#workers.map((worker) => worker.stop(graceMs))).then(() => undefined),
        () => Promise.all(this.#workers.map((worker) => worker.release())).then(() => undefined),
      ];
      for (const step of steps) {
        try {
          await step();
        } catch (error) {
          this.#o.logger.warn({ err: errorMessage(error) }, "listener stop step failed");
        }
      }
      for (const connection of this.#blocking) connection.disconnect();
    })();
    return this.#closing;
  }
}
