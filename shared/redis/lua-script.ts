import { createHash } from "node:crypto";
import type { ChainableCommander, Redis } from "ioredis";

/**
 * A Lua script run by EVALSHA, falling back to EVAL when Redis does not know it yet (first use,
 * or after a restart flushed the script cache). Scripts are how every multi-key move of this
 * system stays one atomic step.
 */
export class LuaScript {
  readonly sha: string;

  constructor(readonly name: string, readonly source: string) {
    this.sha = createHash("sha1").update(source).digest("hex");
  }

  async run<T = unknown>(redis: Redis, keys: readonly string[], args: readonly (string | number)[]): Promise<T> {
    try {
      return (await redis.evalsha(this.sha, keys.length, ...keys, ...args)) as T;
    } catch (error) {
      if (!String((error as Error).message).startsWith("NOSCRIPT")) throw error;
      return (await redis.eval(this.source, keys.length, ...keys, ...args)) as T;
    }
  }

  /** Queues the script on a pipeline; the caller must have loaded it (see {@link load}). */
  queue(pipeline: ChainableCommander, keys: readonly string[], args: readonly (string | number)[]): void {
    pipeline.evalsha(this.sha, keys.length, ...keys, ...args);
  }

  /** SCRIPT LOAD, so pipelined EVALSHA calls cannot meet NOSCRIPT. */
  async load(redis: Redis): Promise<void> {
    await redis.script("LOAD", this.source);
  }
}
