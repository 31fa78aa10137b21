import { afterEach, describe, expect, inject, it, vi } from "vitest";
import type { BatchOutcome } from "../../shared/listener/batch-runner.ts";
import { metricsField, parseJobMetrics } from "../../shared/metrics/metrics-hash.ts";
import { MetricsRecorder } from "../../shared/metrics/metrics-recorder.ts";
import { createRedisConnection } from "../../shared/redis/connection.ts";
import { jobKeys } from "../../shared/redis/keys.ts";
import { startRedisServer } from "../helpers/redis-server.ts";
import { testRedis, uniquePrefix } from "../helpers/test-env.ts";
import { waitFor } from "../helpers/wait-for.ts";

const redisUrl = inject("redisUrl");

function outcome(partial: Partial<BatchOutcome>): BatchOutcome {
  return { type: "probe", done: 0, retried: 0, dead: 0, timedOut: 0, durationMs: 0, nextRetryAt: undefined, ...partial };
}

describe("MetricsRecorder", () => {
  const cleanups: (() => Promise<unknown> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  function setup(url = redisUrl, flushIntervalMs = 3_600_000) {
    const prefix = uniquePrefix();
    const redis = testRedis(url);
    cleanups.push(() => redis.quit());
    const recorder = new MetricsRecorder({ redis, keyPrefix: prefix, flushIntervalMs });
    cleanups.push(() => recorder.close());
    return { recorder, redis, key: jobKeys(prefix, "probe").metrics, prefix };
  }

  it("adds 1,000 batches in one pipelined round trip with one command per changed field", async () => {
    // Prepare: count what reaches Redis for this prefix with MONITOR.
    const { recorder, redis, key, prefix } = setup();
    const monitor = await testRedis(redisUrl).monitor();
    cleanups.push(() => monitor.disconnect());
    const commands: string[][] = [];
    monitor.on("monitor", (_time: string, args: string[]) => {
      // The test's own HGETALL is not the recorder's.
      if (args[0]?.toLowerCase() !== "hgetall" && args.some((arg) => arg.startsWith(`${prefix}:`))) commands.push(args);
    });
    const pipeline = vi.spyOn(redis, "pipeline");

    // Act
    for (let i = 0; i < 1000; i++) recorder.recordBatch(outcome({ done: 3, retried: 1, timedOut: 1, durationMs: 20 }));
    recorder.recordEnqueued("probe", 4000);
    await recorder.flush();

    // Assess
    expect(pipeline).toHaveBeenCalledTimes(1);
    const hash = await redis.hgetall(key);
    expect(hash[metricsField.event("enqueued")]).toBe("4000");
    expect(hash[metricsField.event("dequeued")]).toBe("4000");
    expect(hash[metricsField.event("done")]).toBe("3000");
    expect(hash[metricsField.event("retried")]).toBe("1000");
    expect(hash[metricsField.event("timed_out")]).toBe("1000");
    expect(hash[metricsField.event("dead_lettered")]).toBeUndefined();
    const metrics = parseJobMetrics(hash);
    expect(metrics.durations.done.count).toBe(3000);
    expect(metrics.durations.done.sumSeconds).toBeCloseTo(60, 6);
    expect(metrics.durations.done.buckets[0]).toBe(0); // 5 ms
    expect(metrics.durations.done.buckets[2]).toBe(3000); // 25 ms
    await waitFor(() => commands.length >= Object.keys(hash).length, { message: "MONITOR did not see the flush" });
    expect(commands.map((args) => args[0]?.toLowerCase()).sort()).toEqual(Object.keys(hash).map((field) => (field.endsWith(":sum") ? "hincrbyfloat" : "hincrby")).sort());
  });

  it("observes each job with its own run time when the function reported it", async () => {
    // Prepare
    const { recorder, redis, key } = setup();

    // Act: 3 done (2 ms, 20 ms, 2 s), 1 retried (40 ms), 2 dead of which 1 never ran.
    recorder.recordBatch(outcome({ done: 3, retried: 1, dead: 2, durationMs: 5_000, jobDurationsMs: { done: [2, 20, 2000], retried: [40], dead: [300] } }));
    await recorder.flush();

    // Assess
    const metrics = parseJobMetrics(await redis.hgetall(key));
    expect(metrics.events).toMatchObject({ dequeued: 6, done: 3, retried: 1, dead_lettered: 2 });
    expect(metrics.durations.done.count).toBe(3);
    expect(metrics.durations.done.sumSeconds).toBeCloseTo(2.022, 6);
    expect(metrics.durations.done.buckets.slice(0, 3)).toEqual([1, 1, 2]); // <= 5 ms, <= 10 ms, <= 25 ms (cumulative)
    expect(metrics.durations.retried.sumSeconds).toBeCloseTo(0.04, 6);
    expect(metrics.durations.dead_lettered.count).toBe(2);
    expect(metrics.durations.dead_lettered.buckets[0]).toBe(1); // the one that never ran, at 0 s
  });

  it("flushes by itself about once per interval", async () => {
    const { recorder, redis, key } = setup(redisUrl, 50);

    recorder.recordEnqueued("probe", 7);

    await waitFor(async () => (await redis.hget(key, "events:enqueued")) === "7", { message: "timer did not flush" });
  });

  it("close() flushes what is left and is idempotent", async () => {
    const { recorder, redis, key } = setup();
    recorder.recordBatch(outcome({ dead: 2, durationMs: 2_000_000 }));

    const first = recorder.close();
    const second = recorder.close();
    await first;

    expect(second).toBe(first);
    const metrics = parseJobMetrics(await redis.hgetall(key));
    expect(metrics.events.dead_lettered).toBe(2);
    // Slower than the last bound: counted in +Inf (count) only.
    expect(metrics.durations.dead_lettered.count).toBe(2);
    expect(metrics.durations.dead_lettered.buckets.at(-1)).toBe(0);
  });

  it("keeps the counts of a failed flush and writes them exactly once when Redis is back", async () => {
    // Prepare
    const server = await startRedisServer({ appendonly: true });
    cleanups.push(() => server.stop());
    const redis = createRedisConnection(server.url, { role: "client", commandTimeoutMs: 2_000 });
    cleanups.push(() => redis.disconnect());
    const prefix = uniquePrefix();
    const recorder = new MetricsRecorder({ redis, keyPrefix: prefix, flushIntervalMs: 3_600_000 });
    cleanups.push(() => recorder.close());
    recorder.recordEnqueued("probe", 1);
    await recorder.flush();
    await server.kill();

    // Act
    recorder.recordEnqueued("probe", 5);
    await expect(recorder.flush()).rejects.toThrow();
    await server.restart();
    await waitFor(async () => (await redis.ping().catch(() => "")) === "PONG", { message: "no reconnect" });
    await recorder.flush();

    // Assess
    expect(await redis.hget(jobKeys(prefix, "probe").metrics, "events:enqueued")).toBe("6");
  });

  it("refuses a flush interval that is not a positive number", () => {
    const redis = testRedis(redisUrl);
    cleanups.push(() => redis.quit());
    expect(() => new MetricsRecorder({ redis, keyPrefix: "x", flushIntervalMs: 0 })).toThrow(/flushIntervalMs/);
  });
});
