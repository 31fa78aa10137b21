import type { Redis } from "ioredis";
import { GROUP } from "../redis/keys.ts";

/**
 * Creates the consumer group (and the stream) when missing. Only BUSYGROUP means "already there";
 * any other error is real and is thrown. The group starts at `0` so jobs published before the
 * first worker ever started are not skipped.
 */
export async function ensureGroup(redis: Redis, stream: string): Promise<void> {
  try {
    await redis.xgroup("CREATE", stream, GROUP, "0", "MKSTREAM");
  } catch (error) {
    if (!String((error as Error).message).startsWith("BUSYGROUP")) throw error;
  }
}
