import { loadConfig } from "../shared/config.ts";
import { findEmbeddedRedis } from "../shared/embedded/embedded-redis.ts";

/**
 * The environment a function run locally by osls (`invoke local`) must see to share the local
 * world of `backend-workers start`: its Redis (REDIS_URL, or else the embedded one when it runs),
 * key prefix and var directory (mail outbox, imports, the embedded secrets key). serverless.yml's
 * `environment` holds the production values (VAR_DIR is Lambda's /tmp); these replace them for
 * local runs only.
 */
export async function localFunctionEnvironment(): Promise<Record<string, string>> {
  const config = loadConfig();
  const redisUrl = config.redisUrl ?? (await findEmbeddedRedis(config.varDir))?.url;
  return { ...(redisUrl ? { REDIS_URL: redisUrl } : {}), REDIS_KEY_PREFIX: config.keyPrefix, VAR_DIR: config.varDir };
}
