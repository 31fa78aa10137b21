import { readFileSync, existsSync } from "node:fs";
import type { Redis } from "ioredis";

/**
 * Everything the system stored under `prefix` in Redis, as text: string values, stream entries,
 * sorted-set members and hashes. Tests search it for a secret that must not be there.
 */
export async function dumpRedis(redis: Redis, prefix: string): Promise<string> {
  const parts: string[] = [];
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`);
    cursor = next;
    for (const key of keys) {
      const type = await redis.type(key);
      if (type === "string") parts.push(key, (await redis.get(key)) ?? "");
      else if (type === "stream") parts.push(key, JSON.stringify(await redis.xrange(key, "-", "+")));
      else if (type === "zset") parts.push(key, JSON.stringify(await redis.zrange(key, "0", "-1")));
      else if (type === "hash") parts.push(key, JSON.stringify(await redis.hgetall(key)));
      else if (type === "list") parts.push(key, JSON.stringify(await redis.lrange(key, 0, -1)));
      else if (type === "set") parts.push(key, JSON.stringify(await redis.smembers(key)));
    }
  } while (cursor !== "0");
  return parts.join("\n");
}

/** A file's text, or "" when it does not exist. */
export function readIfExists(file: string): string {
  return existsSync(file) ? readFileSync(file, "utf8") : "";
}
