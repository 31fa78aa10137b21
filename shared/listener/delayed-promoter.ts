import type { Redis } from "ioredis";
import { errorMessage } from "../errors.ts";
import type { Logger } from "../logging/logger.ts";
import type { JobKeys } from "../redis/keys.ts";
import { promoteDelayed } from "../redis/scripts.ts";

/** Longest sleep between checks, so jobs delayed by other processes are never late by more. */
const MAX_SLEEP_MS = 1_000;
const BATCH = 500;

/**
 * Moves due jobs from a function's delayed set back to its stream. It sleeps until the next due
 * job (at most a second, since other processes add delayed jobs too) instead of polling on a fixed
 * beat; a retry scheduled in this process wakes it early through {@link wake}. The move is one Lua
 * script, so several listeners promoting the same set never duplicate a job.
 */
export class DelayedPromoter {
  #timer: NodeJS.Timeout | undefined;
  #wakeAt = Number.POSITIVE_INFINITY;
  #running: Promise<void> | undefined;
  #stopped = false;

  constructor(readonly redis: Redis, readonly keys: JobKeys, readonly logger: Logger) {}

  start(): void {
    this.#schedule(0);
  }

  /** Makes sure the promoter runs no later than `due` (ms since the epoch). */
  wake(due: number): void {
    if (!this.#stopped && due < this.#wakeAt) this.#schedule(Math.max(0, due - Date.now()));
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
  }

  #schedule(delayMs: number): void {
    clearTimeout(this.#timer);
    this.#wakeAt = Date.now() + delayMs;
    this.#timer = setTimeout(() => {
      this.#running = this.#tick().finally(() => (this.#running = undefined));
    }, delayMs);
  }

  async #tick(): Promise<void> {
    if (this.#stopped) return;
    this.#wakeAt = Number.POSITIVE_INFINITY;
    let next = MAX_SLEEP_MS;
    try {
      const now = Date.now();
      const [moved, nextDue] = await promoteDelayed.run<[number, number]>(this.redis, [this.keys.delayed, this.keys.stream], [now, BATCH]);
      if (moved > 0) this.logger.debug({ stream: this.keys.stream, moved }, "delayed jobs promoted");
      if (moved === BATCH) next = 0;
      else if (nextDue >= 0) next = Math.min(MAX_SLEEP_MS, Math.max(0, nextDue - Date.now()));
    } catch (error) {
      this.logger.warn({ stream: this.keys.stream, err: errorMessage(error) }, "promoting delayed jobs failed; will retry");
    }
    if (!this.#stopped && this.#wakeAt === Number.POSITIVE_INFINITY) this.#schedule(next);
  }
}
