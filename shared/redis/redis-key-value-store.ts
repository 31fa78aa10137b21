import type { Redis } from "ioredis";
import type { KeyValueStore } from "../ports/key-value-store.ts";

/**
 * The Redis-backed {@link KeyValueStore} handed to a function. Keys are put under the function's
 * hash tag (`<prefix>:{<type>}:kv:`) so they share its cluster slot and never collide with
 * another function's.
 */
export function createRedisKeyValueStore(redis: Redis, prefix: string, type: string): KeyValueStore {
  const scope = `${prefix}:{${type}}:kv:`;
  return {
    get: (key) => redis.get(scope + key),
    async set(key, value, options = {}) {
      const args: (string | number)[] = [scope + key, value];
      if (options.ttlMs !== undefined) args.push("PX", Math.max(1, Math.round(options.ttlMs)));
      if (options.ifAbsent) args.push("NX");
      const reply = await redis.call("SET", ...args);
      return reply === "OK";
    },
    async del(key) {
      await redis.del(scope + key);
    },
    incr: (key) => redis.incr(scope + key),
  };
}
