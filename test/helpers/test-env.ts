import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { loadConfig, type Config } from "../../shared/config.ts";
import { createLogger, type Logger } from "../../shared/logging/logger.ts";

/** A key prefix no other test uses, so tests can share one Redis. */
export function uniquePrefix(): string {
  return `t${randomBytes(4).toString("hex")}`;
}

/** A config for a test: a private var dir, a unique prefix, the given Redis. */
export function testConfig(redisUrl: string, env: Record<string, string> = {}): Config {
  const varDir = mkdtempSync(join(tmpdir(), "bw-var-"));
  return loadConfig({ REDIS_URL: redisUrl, VAR_DIR: varDir, REDIS_KEY_PREFIX: uniquePrefix(), LOG_LEVEL: "warn", ...env });
}

/** A logger that writes to the test's var dir (set LOG_LEVEL to see more). */
export function testLogger(config: Config): Logger {
  return createLogger({ level: config.logLevel, file: config.logFile });
}

/** A plain client for assertions. */
export function testRedis(url: string): Redis {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  redis.on("error", () => undefined);
  return redis;
}
