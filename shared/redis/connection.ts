import { Redis, type RedisOptions } from "ioredis";
import { redactUrl } from "../config.ts";
import type { Logger } from "../logging/logger.ts";

/**
 * What a connection is for. Workers wait out any outage (`worker`, `blocking`); a publisher must
 * fail loudly instead of hanging, so its commands give up after a bounded wait (`client`).
 */
export type ConnectionRole = "worker" | "blocking" | "client";

/** Options of {@link createRedisConnection}. */
export interface ConnectionOptions {
  role: ConnectionRole;
  logger?: Logger;
  /** Name shown by CLIENT LIST, to tell workers apart when debugging. */
  name?: string;
  /** `client` role only: how long a command may wait for Redis before it fails. */
  commandTimeoutMs?: number;
}

/**
 * Opens an ioredis connection for `url`. ioredis re-sends AUTH and SELECT on every reconnect
 * (Tuleap once reconnected without re-authenticating), retries with exponential back-off and jitter,
 * and for workers keeps queued commands until Redis is back, so a restart never drops a settle.
 */
export function createRedisConnection(url: string, options: ConnectionOptions): Redis {
  const { role, logger } = options;
  const base: RedisOptions = {
    connectionName: options.name,
    // A failed command during an outage: workers retry forever, clients fail after a few tries.
    maxRetriesPerRequest: role === "client" ? 2 : null,
    enableAutoPipelining: role !== "blocking",
    retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 10), 2_000) + Math.floor(Math.random() * 100),
    // Redis 7 answers HELLO 3; the legacy reply mapping keeps the RESP2 shapes this code parses.
    lazyConnect: false,
  };
  if (role === "client") base.commandTimeout = options.commandTimeoutMs ?? 10_000;
  const redis = new Redis(url, base);
  let down = false;
  redis.on("error", (error: Error) => {
    if (!down) logger?.warn({ err: error.message, redis: redactUrl(url), role }, "redis connection error");
    down = true;
  });
  redis.on("ready", () => {
    if (down) logger?.info({ redis: redactUrl(url), role }, "redis connection restored");
    down = false;
  });
  return redis;
}
