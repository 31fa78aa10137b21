import type { Redis } from "ioredis";
import { errorMessage } from "../errors.ts";

/** The server settings `doctor` looks at, and where they were read from. */
export interface RedisSettings {
  /** `config` when CONFIG GET answered; `info` when CONFIG is disabled/renamed/forbidden; `none` when neither answered. */
  source: "config" | "info" | "none";
  /** Why CONFIG could not be used, when it could not. */
  configError?: string;
  version?: string;
  appendonly?: boolean;
  appendfsync?: string;
  maxmemoryPolicy?: string;
}

/**
 * Reads the version, AOF and eviction settings. Hardened servers often rename or disable CONFIG
 * (`rename-command CONFIG ""`) or deny it by ACL, so CONFIG GET is only the first choice: INFO
 * reports the same facts (`aof_enabled`, `maxmemory_policy`), and is tried next. Nothing here
 * throws for a missing command; the caller reports what could not be read.
 */
export async function readRedisSettings(redis: Redis): Promise<RedisSettings> {
  const info = await redis.info("all").then(parseInfo, () => undefined);
  const settings: RedisSettings = { source: info ? "info" : "none", version: info?.redis_version };
  if (info) {
    if (info.aof_enabled !== undefined) settings.appendonly = info.aof_enabled === "1";
    settings.maxmemoryPolicy = info.maxmemory_policy;
  }
  try {
    const reply = (await redis.config("GET", "appendonly")) as string[];
    const more = (await redis.config("GET", "maxmemory-policy")) as string[];
    const fsync = (await redis.config("GET", "appendfsync")) as string[];
    settings.source = "config";
    settings.appendonly = reply[1] === "yes";
    settings.maxmemoryPolicy = more[1];
    settings.appendfsync = fsync[1];
  } catch (error) {
    settings.configError = errorMessage(error);
  }
  return settings;
}

/** Parses INFO text into `field -> value`. */
function parseInfo(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(":");
    if (colon > 0 && !line.startsWith("#")) fields[line.slice(0, colon)] = line.slice(colon + 1).trim();
  }
  return fields;
}
