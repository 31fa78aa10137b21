import type { Config } from "../config.ts";
import { BackendWorkersError } from "../errors.ts";
import { findEmbeddedRedis } from "./embedded-redis.ts";

/**
 * The Redis a command should talk to: `REDIS_URL`, or else the embedded Redis that `start` runs
 * under the var directory. Fails with a message saying how to get one.
 */
export async function resolveRedisUrl(config: Config): Promise<string> {
  if (config.redisUrl) return config.redisUrl;
  const embedded = await findEmbeddedRedis(config.varDir);
  if (embedded) return embedded.url;
  throw new BackendWorkersError(
    "NO_REDIS",
    `REDIS_URL is not set and no embedded Redis is running under ${config.varDir}: run "npx backend-workers start" first, or set REDIS_URL`,
    { retryable: false },
  );
}
