import type { Redis } from "ioredis";
import { errorMessage } from "../errors.ts";
import type { BuiltFunction } from "../functions/manifest.ts";
import type { Logger } from "../logging/logger.ts";
import { GROUP, type JobKeys } from "../redis/keys.ts";
import { claimPending, renewPending } from "../redis/scripts.ts";
import { decodeEntry, decodeEntryBuffers, type DecodedEntry } from "../job/envelope.ts";
import type { BatchOutcome, BatchRunner, RawEntry } from "./batch-runner.ts";
import { ConsumerLease, LEASE_TTL_MS } from "./consumer-lease.ts";
import { ensureGroup } from "./ensure-group.ts";

/** Options of {@link Worker}. */
export interface WorkerOptions {
  fn: BuiltFunction;
  keys: JobKeys;
  /** Shared, non-blocking connection for settles, claims and heartbeats. */
  redis: Redis;
  /** This worker's own connection: XREADGROUP BLOCK holds it while waiting. */
  blocking: Redis;
  runner: BatchRunner;
  logger: Logger;
  onBatch(outcome: BatchOutcome): void;
}

/**
 * One consumer of a function's group: the unit of concurrency. It first re-runs its own pending
 * entries (left by a previous life under the same name), then blocks on XREADGROUP for new ones
 * and, every half visibility timeout, takes over entries a dead worker left pending (XAUTOCLAIM).
 * While a batch runs, a heartbeat keeps its entries from being taken over.
 */
export class Worker {
  readonly #o: WorkerOptions;
  readonly #lease: ConsumerLease;
  #stopping = false;
  #blockingId: number | undefined;
  #loop: Promise<void> | undefined;
  #leaseTimer: NodeJS.Timeout | undefined;
  /** One heartbeat timer per worker (not one per batch): it renews the batch in flight, if any. */
  #heartbeatTimer: NodeJS.Timeout | undefined;
  /** Entry ids of the batch running or settling now. */
  #inFlight: string[] | undefined;
  #nextReclaimAt = 0;
  /** The previous batch's settle, still in flight while the next read goes out. */
  #settling: Promise<void> | undefined;

  constructor(options: WorkerOptions) {
    this.#o = options;
    this.#lease = new ConsumerLease(options.redis, options.keys);
    // The id changes on every reconnect; CLIENT ID is queued before the next XREADGROUP.
    const learnId = () => void options.blocking.client("ID").then((id) => (this.#blockingId = Number(id)), () => undefined);
    options.blocking.on("ready", learnId);
    if (options.blocking.status === "ready") learnId();
  }

  /** The job type this worker serves. */
  get type(): string {
    return this.#o.fn.type;
  }

  /** The consumer name, once started. */
  get name(): string {
    return this.#lease.name;
  }

  /** The number in this worker's name (`<host>-<n>`). */
  get index(): number {
    return this.#lease.index;
  }

  /** Reserves a name (the lowest free one from `firstIndex`) and starts the read loop. */
  async start(firstIndex = 0): Promise<void> {
    await this.#lease.acquire(firstIndex);
    this.#leaseTimer = setInterval(() => void this.#renewLease(), LEASE_TTL_MS / 3);
    this.#leaseTimer.unref();
    // Every third of the visibility timeout, so a batch is renewed well before anyone may take it over.
    this.#heartbeatTimer = setInterval(() => this.#heartbeat(), this.#o.fn.visibilityTimeoutMs / 3);
    this.#heartbeatTimer.unref();
    this.#loop = this.#run();
  }

  /**
   * Stops reading and waits for the batch in flight (at most `graceMs`). What has not finished
   * stays pending under this worker's name for the next one. Idempotent.
   */
  async stop(graceMs: number): Promise<void> {
    if (!this.#stopping) {
      this.#stopping = true;
      await this.#unblock();
    }
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<"grace-over">((resolve) => (timer = setTimeout(() => resolve("grace-over"), graceMs)));
    const result = await Promise.race([this.#loop ?? Promise.resolve(), graceOver]);
    clearTimeout(timer);
    if (result === "grace-over") this.#o.logger.warn({ worker: this.name }, "grace period over: in-flight jobs left pending for the next worker");
    clearInterval(this.#leaseTimer);
    clearInterval(this.#heartbeatTimer);
  }

  /** Frees the worker's name (after the process has stopped using it). */
  async release(): Promise<void> {
    await this.#lease.release().catch(() => undefined);
  }

  async #run(): Promise<void> {
    const { fn, logger } = this.#o;
    try {
      await this.#register();
      await this.#drainClaims("own", 0);
      this.#nextReclaimAt = Date.now() + fn.visibilityTimeoutMs / 2;
      while (!this.#stopping) {
        if (Date.now() >= this.#nextReclaimAt) {
          await this.#drainClaims("stale", fn.visibilityTimeoutMs);
          this.#nextReclaimAt = Date.now() + fn.visibilityTimeoutMs / 2;
        }
        const entries = await this.#read();
        await this.#settled();
        if (entries.length > 0) await this.#runBatch(entries);
      }
      await this.#settled();
    } catch (error) {
      if (!this.#stopping) {
        logger.error({ worker: this.name, err: errorMessage(error) }, "worker loop crashed; restarting it");
        await new Promise((resolve) => setTimeout(resolve, 1000));
        if (!this.#stopping) return this.#run();
      }
    }
  }

  /** XREADGROUP for new entries, blocking until some arrive or the next reclaim is due. */
  async #read(): Promise<DecodedEntry[]> {
    const { fn, keys, logger } = this.#o;
    const blockMs = Math.max(1, Math.min(this.#nextReclaimAt - Date.now(), 5_000));
    try {
      const entries = await this.#readOnce(fn.batchSize, blockMs);
      // maximumBatchingWindow: like Lambda's event source mapping, wait a little for a fuller
      // batch once the first entries are in (fewer invocations, fewer settles).
      if (fn.maximumBatchingWindowMs > 0 && entries.length > 0) {
        const deadline = Date.now() + Math.min(fn.maximumBatchingWindowMs, fn.visibilityTimeoutMs / 2);
        while (entries.length < fn.batchSize && !this.#stopping) {
          const remaining = deadline - Date.now();
          if (remaining <= 0) break;
          const more = await this.#readOnce(fn.batchSize - entries.length, remaining);
          if (more.length === 0) break;
          entries.push(...more);
        }
      }
      return entries;
    } catch (error) {
      if (this.#stopping) return [];
      const message = errorMessage(error);
      if (message.includes("NOGROUP")) {
        // The group vanished (Redis restarted without persistence, or someone deleted it).
        await this.#register();
      } else {
        logger.warn({ worker: this.name, err: message }, "reading the stream failed; retrying");
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      return [];
    }
  }

  /**
   * Makes sure the group exists and this worker is one of its consumers from the start (Redis
   * otherwise adds a consumer only when it is first served), so status sees idle workers too.
   */
  async #register(): Promise<void> {
    await ensureGroup(this.#o.redis, this.#o.keys.stream);
    await this.#o.redis.xgroup("CREATECONSUMER", this.#o.keys.stream, GROUP, this.name);
  }

  async #readOnce(count: number, blockMs: number): Promise<DecodedEntry[]> {
    const { keys, blocking } = this.#o;
    // Read as Buffers: ioredis would otherwise make a string of every field name and value of
    // every entry; the envelope decoder converts only what a job needs.
    const reply = (await blocking.xreadgroupBuffer("GROUP", GROUP, this.name, "COUNT", count, "BLOCK", Math.max(1, Math.round(blockMs)), "STREAMS", keys.stream, ">")) as [Buffer, [Buffer, Buffer[] | null][]][] | null;
    const entries = reply?.[0]?.[1];
    if (!entries) return [];
    const decoded = new Array<DecodedEntry>(entries.length);
    for (let i = 0; i < entries.length; i++) {
      const [id, fields] = entries[i] as [Buffer, Buffer[] | null];
      decoded[i] = decodeEntryBuffers(id, fields);
    }
    return decoded;
  }

  /** Claims and runs entries batch by batch: this worker's own ("own") or idle ones ("stale"). */
  async #drainClaims(mode: "own" | "stale", minIdleMs: number): Promise<void> {
    const { fn, keys, redis } = this.#o;
    let start = mode === "own" ? "-" : "0-0";
    while (!this.#stopping) {
      const [next, entries, counts] = await claimPending.run<[string, RawEntry[], number[]]>(redis, [keys.stream], [GROUP, this.name, mode, minIdleMs, fn.batchSize, start]);
      if (entries.length > 0) {
        this.#o.logger.info({ worker: this.name, mode, count: entries.length }, mode === "own" ? "re-running own pending jobs" : "took over jobs of a dead worker");
        await this.#runBatch(entries.map(([id, fields]) => decodeEntry(id, fields)), counts);
        await this.#settled();
      }
      // XAUTOCLAIM scans at most 10 x COUNT pending entries per call: an empty answer with a
      // non-zero cursor only means "nothing idle in this stretch", so go on until the cursor wraps.
      if (next === "0-0") return;
      start = next;
    }
  }

  /**
   * Runs a batch; returns once the function is done, its settle in flight (awaited by
   * {@link #settled} before the next batch runs, so at most one is outstanding per worker).
   */
  async #runBatch(entries: DecodedEntry[], deliveries?: number[]): Promise<void> {
    const ids = entries.map((entry) => entry.id);
    this.#inFlight = ids;
    // The heartbeat covers the entries until they are settled, not just run.
    const done = () => {
      if (this.#inFlight === ids) this.#inFlight = undefined;
    };
    try {
      const { settled } = await this.#o.runner.execute(entries, deliveries);
      this.#settling = settled.then((outcome) => this.#o.onBatch(outcome));
      void this.#settling.then(done, done);
    } catch (error) {
      done();
      throw error;
    }
  }

  /** Renews the pending entries of the batch in flight so no other worker takes them over. */
  #heartbeat(): void {
    const ids = this.#inFlight;
    if (!ids) return;
    const { redis, keys } = this.#o;
    renewPending.run(redis, [keys.stream], [GROUP, this.name, ...ids]).catch(() => undefined);
  }

  /** Waits for the previous batch's settle; a failed settle throws here (the loop restarts). */
  async #settled(): Promise<void> {
    const settling = this.#settling;
    if (!settling) return;
    this.#settling = undefined;
    await settling;
  }

  async #unblock(): Promise<void> {
    // CLIENT UNBLOCK makes the pending XREADGROUP return as if it timed out, so the loop ends
    // cleanly; closing the socket is the fallback.
    if (this.#blockingId !== undefined) {
      try {
        await this.#o.redis.client("UNBLOCK", this.#blockingId);
        return;
      } catch {
        // fall through
      }
    }
    this.#o.blocking.disconnect();
  }

  async #renewLease(): Promise<void> {
    try {
      if (!(await this.#lease.renew())) this.#o.logger.warn({ worker: this.name }, "worker name lease taken by another process");
    } catch {
      // Redis is down: the connection logs it; the next renewal tries again.
    }
  }
}
