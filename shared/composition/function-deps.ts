import { join } from "node:path";
import { asFunction, asValue, createContainer, InjectionMode, type AwilixContainer } from "awilix";
import type { Redis } from "ioredis";
import type { Config } from "../config.ts";
import type { Logger } from "../logging/logger.ts";
import { createMailer, type ClosableMailer } from "../mail/create-mailer.ts";
import { systemClock, type Clock } from "../ports/clock.ts";
import type { FunctionDeps } from "../ports/function-deps.ts";
import type { KeyValueStore } from "../ports/key-value-store.ts";
import { createRedisConnection } from "../redis/connection.ts";
import { createRedisKeyValueStore } from "../redis/redis-key-value-store.ts";

interface DepsCradle {
  config: Config;
  logger: Logger;
  redis: Redis;
  kv: KeyValueStore;
  mailer: ClosableMailer;
  fetch: typeof fetch;
  clock: Clock;
}

/** Options of {@link createFunctionDeps}. */
export interface FunctionDepsOptions {
  config: Config;
  logger: Logger;
  type: string;
  /** A Redis connection owned by the caller; when absent one is opened on first use of `kv`. */
  redis?: Redis;
  /** Replacements for single ports (tests pass fakes here). */
  overrides?: Partial<FunctionDeps>;
}

/** The ports of one function and a way to release what they opened. */
export interface FunctionDepsScope {
  deps: FunctionDeps;
  dispose(): Promise<void>;
}

/**
 * Wires the ports of one function with awilix (strict, lazily resolved singletons): the Redis
 * key-value store scoped to the function, the mailer, fetch and the clock. The listener calls it
 * once per function with its own Redis connection; a bundle running alone (Lambda, invoke local,
 * isolated child) calls it with none and the container opens and later closes its own.
 */
export function createFunctionDeps(options: FunctionDepsOptions): FunctionDepsScope {
  const { config, logger, type } = options;
  const container: AwilixContainer<DepsCradle> = createContainer<DepsCradle>({ injectionMode: InjectionMode.PROXY, strict: true });
  container.register({
    config: asValue(config),
    logger: asValue(logger),
    redis: options.redis
      ? asValue(options.redis)
      : asFunction(({ config: c, logger: l }: DepsCradle) => {
          if (!c.redisUrl) throw new Error("REDIS_URL is not set: this function needs Redis for its key-value store");
          return createRedisConnection(c.redisUrl, { role: "worker", logger: l, name: `fn:${type}` });
        })
          .singleton()
          .disposer((redis) => void redis.quit().catch(() => redis.disconnect())),
    kv: asFunction(({ redis, config: c }: DepsCradle) => createRedisKeyValueStore(redis, c.keyPrefix, type)).singleton(),
    mailer: asFunction(({ config: c, logger: l }: DepsCradle) =>
      createMailer({ smtpUrl: c.smtpUrl, from: c.mailFrom, mailDir: join(c.varDir, "mail"), logger: l }),
    )
      .singleton()
      .disposer((mailer) => mailer.close()),
    fetch: asValue(globalThis.fetch),
    clock: asValue(systemClock),
  });
  for (const [name, value] of Object.entries(options.overrides ?? {})) container.register(name, asValue(value));
  const cradle = container.cradle;
  const deps: FunctionDeps = {
    get config() {
      return cradle.config;
    },
    get kv() {
      return cradle.kv;
    },
    get mailer() {
      return cradle.mailer;
    },
    get fetch() {
      return cradle.fetch;
    },
    get clock() {
      return cradle.clock;
    },
  };
  return { deps, dispose: () => container.dispose() };
}
