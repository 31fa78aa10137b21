import { hostname } from "node:os";
import { Registry, register as globalRegistry } from "prom-client";
import { afterEach, describe, expect, inject, it } from "vitest";
import type { BatchOutcome } from "../../shared/listener/batch-runner.ts";
import { ensureGroup } from "../../shared/listener/ensure-group.ts";
import { DURATION_BUCKETS_SECONDS } from "../../shared/metrics/metrics-hash.ts";
import { MetricsRecorder } from "../../shared/metrics/metrics-recorder.ts";
import { PrometheusExporter } from "../../shared/metrics/prometheus-exporter.ts";
import { GROUP, jobKeys } from "../../shared/redis/keys.ts";
import { testManifest } from "../helpers/test-functions.ts";
import { testRedis, uniquePrefix } from "../helpers/test-env.ts";
import { parsePrometheusText } from "./prometheus-text.ts";

const redisUrl = inject("redisUrl");

function outcome(partial: Partial<BatchOutcome>): BatchOutcome {
  return { type: "probe", done: 0, retried: 0, dead: 0, timedOut: 0, durationMs: 0, nextRetryAt: undefined, ...partial };
}

describe("PrometheusExporter", () => {
  const cleanups: (() => Promise<unknown> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function setup() {
    const prefix = uniquePrefix();
    const redis = testRedis(redisUrl);
    cleanups.push(() => redis.quit());
    const manifest = await testManifest();
    const exporter = new PrometheusExporter({ registry: new Registry(), redis, manifest, keyPrefix: prefix });
    return { prefix, redis, manifest, exporter, keys: jobKeys(prefix, "probe") };
  }

  it("gauges: backlog, pending, the OLDEST pending age, oldest waiting, dead letters, delayed, consumers, workers alive", async () => {
    // Prepare: three entries added 300 s, 100 s and 10 s ago; the first two delivered and not acked.
    const { redis, exporter, keys } = await setup();
    const now = Date.now();
    await ensureGroup(redis, keys.stream);
    for (const ago of [300_000, 100_000, 10_000]) await redis.xadd(keys.stream, `${now - ago}-0`, "type", "probe", "payload", "{}");
    const consumer = `${hostname()}-0`;
    await redis.xreadgroup("GROUP", GROUP, consumer, "COUNT", 2, "STREAMS", keys.stream, ">");
    await redis.set(keys.consumerLease(consumer), "token", "PX", 60_000);
    await redis.xreadgroup("GROUP", GROUP, "dead-host-0", "COUNT", 0, "STREAMS", keys.stream, "0"); // a consumer with no lease
    await redis.xadd(keys.dlq, "*", "type", "probe");
    await redis.xadd(keys.dlq, "*", "type", "probe");
    await redis.zadd(keys.delayed, now + 60_000, "a", now + 60_000, "b", now + 60_000, "c");

    // Act
    const text = parsePrometheusText(await exporter.scrape());

    // Assess
    const gauge = (name: string) => text.value(`backend_workers_${name}`, { function: "probe" });
    expect(gauge("backlog")).toBe(1);
    expect(gauge("pending")).toBe(2);
    expect(gauge("oldest_pending_age_seconds")).toBeGreaterThanOrEqual(300);
    expect(gauge("oldest_pending_age_seconds")).toBeLessThan(400);
    expect(gauge("oldest_waiting_age_seconds")).toBeGreaterThanOrEqual(10);
    expect(gauge("oldest_waiting_age_seconds")).toBeLessThan(100);
    expect(gauge("dead_letters")).toBe(2);
    expect(gauge("delayed")).toBe(3);
    expect(gauge("consumers")).toBe(2);
    expect(gauge("workers_alive")).toBe(1);
    for (const name of ["backlog", "pending", "oldest_pending_age_seconds", "dead_letters", "delayed", "consumers", "workers_alive"]) {
      expect(text.types.get(`backend_workers_${name}`)).toBe("gauge");
    }
  });

  it("counters and histogram: the sums two recorders (two processes) wrote, in valid Prometheus text", async () => {
    // Prepare
    const { prefix, redis, exporter } = await setup();
    const recorders = [0, 1].map(() => new MetricsRecorder({ redis, keyPrefix: prefix, flushIntervalMs: 3_600_000 }));
    recorders[0]!.recordEnqueued("probe", 10);
    recorders[1]!.recordEnqueued("probe", 5);
    recorders[0]!.recordBatch(outcome({ done: 4, retried: 1, timedOut: 1, durationMs: 30 }));
    recorders[1]!.recordBatch(outcome({ done: 6, dead: 2, durationMs: 700 }));
    recorders[1]!.recordBatch(outcome({ done: 1, durationMs: 3 }));
    await Promise.all(recorders.map((recorder) => recorder.close()));

    // Act
    const text = parsePrometheusText(await exporter.scrape());

    // Assess
    const events = (status: string) => text.value("backend_workers_queue_events_total", { function: "probe", status });
    expect(text.types.get("backend_workers_queue_events_total")).toBe("counter");
    expect([events("enqueued"), events("dequeued"), events("done"), events("retried"), events("dead_lettered"), events("timed_out")]).toEqual([15, 14, 11, 1, 2, 1]);
    expect(text.types.get("backend_workers_job_duration_seconds")).toBe("histogram");
    const labels = { function: "probe", status: "done" };
    const bucket = (le: string) => text.value("backend_workers_job_duration_seconds_bucket", { ...labels, le });
    expect(bucket("0.005")).toBe(1);
    expect(bucket("0.05")).toBe(5);
    expect(bucket("1")).toBe(11);
    expect(bucket("+Inf")).toBe(11);
    expect(text.value("backend_workers_job_duration_seconds_count", labels)).toBe(11);
    expect(text.value("backend_workers_job_duration_seconds_sum", labels)).toBeCloseTo(4 * 0.03 + 6 * 0.7 + 0.003, 6);
    const buckets = text.samples.filter((s) => s.name === "backend_workers_job_duration_seconds_bucket" && s.labels.status === "done");
    expect(buckets.map((s) => s.labels.le)).toEqual([...DURATION_BUCKETS_SECONDS.map(String), "+Inf"]);
    expect(buckets.every((s, i) => i === 0 || s.value >= buckets[i - 1]!.value)).toBe(true);
    expect(text.value("backend_workers_job_duration_seconds_count", { function: "probe", status: "dead_lettered" })).toBe(2);
  });

  it("uses only the injected registry: two exporters coexist and the global registry stays empty", async () => {
    const first = await setup();
    const second = await setup();

    const [a, b] = await Promise.all([first.exporter.scrape(), second.exporter.scrape(), first.exporter.scrape()]);

    expect(parsePrometheusText(a).value("backend_workers_backlog", { function: "probe" })).toBe(0);
    expect(parsePrometheusText(b).samples.length).toBeGreaterThan(0);
    expect(await globalRegistry.getMetricsAsJSON()).toEqual([]);
  });
});
