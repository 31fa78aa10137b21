import type { Redis } from "ioredis";
import { jobKeys } from "../redis/keys.ts";
import { parseJobMetrics, type JobMetrics } from "./metrics-hash.ts";

/**
 * Reads the aggregated counters of every given job type in one pipelined round trip (HGETALL per
 * function hash). A failed read rejects: a scrape that cannot see Redis must fail, not report zeros
 * that would look like counter resets.
 */
export async function readJobMetrics(redis: Redis, prefix: string, types: readonly string[]): Promise<Map<string, JobMetrics>> {
  const pipeline = redis.pipeline();
  for (const type of types) pipeline.hgetall(jobKeys(prefix, type).metrics);
  const results = (await pipeline.exec()) ?? [];
  const metrics = new Map<string, JobMetrics>();
  for (const [index, type] of types.entries()) {
    const [error, hash] = results[index] ?? [new Error("no reply"), undefined];
    if (error) throw error;
    metrics.set(type, parseJobMetrics((hash ?? {}) as Record<string, string>));
  }
  return metrics;
}
