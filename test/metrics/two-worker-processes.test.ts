import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, inject, it } from "vitest";
import { spawnCli, useCliTeardown } from "../helpers/cli.ts";
import { testManifest, writeManifest } from "../helpers/test-functions.ts";
import { testRedis } from "../helpers/test-env.ts";
import { waitFor } from "../helpers/wait-for.ts";
import { METRICS_PASSWORD, metricsAuth, testApp } from "../http/http-test-app.ts";
import { parsePrometheusText, type Exposition } from "./prometheus-text.ts";

const redisUrl = inject("redisUrl");

describe("metrics of two worker processes", () => {
  const { processes, cleanups } = useCliTeardown();

  it("GET /metrics counts exactly the jobs both processes ran, flushed while running and at SIGTERM", async () => {
    // Prepare: the HTTP app publishes; two `worker` processes (batch size 1, so both get work) run the jobs.
    const { app, config } = await testApp(redisUrl, { METRICS_PASSWORD });
    cleanups.push(() => app.close());
    const varDir = mkdtempSync(join(tmpdir(), "bw-metrics-"));
    const distDir = writeManifest(join(varDir, "dist"), await testManifest({ batchSize: 1 }));
    const logs = [join(varDir, "a.log"), join(varDir, "b.log")];
    const env = { REDIS_URL: redisUrl, REDIS_KEY_PREFIX: config.keyPrefix, DIST_DIR: distDir, LOG_LEVEL: "info", VAR_DIR: varDir, SHUTDOWN_GRACE_MS: "5000" };
    const workers = logs.map((logFile) => spawnCli(["worker"], { ...env, LOG_FILE: logFile }));
    processes.push(...workers);
    for (const worker of workers) await waitFor(() => worker.output().includes("ready"), { message: "worker not ready", timeoutMs: 30_000 });
    const payloads = [
      ...Array.from({ length: 40 }, (_, i) => ({ id: `ok-${i}`, mode: "sleep", sleepMs: 20 })),
      ...Array.from({ length: 3 }, (_, i) => ({ id: `flaky-${i}`, mode: "fail-once" })),
      { id: "final", mode: "final-error" },
    ];

    // Act
    for (const payload of payloads) expect((await app.inject({ method: "POST", url: "/jobs/probe", payload })).statusCode).toBe(202);

    // Assess: while the workers run, the periodic flushes reach the expected totals.
    const scrape = async (): Promise<Exposition> => {
      const response = await app.inject({ url: "/metrics", headers: { authorization: metricsAuth() } });
      expect(response.statusCode).toBe(200);
      return parsePrometheusText(response.body);
    };
    const events = (text: Exposition, status: string) => text.value("backend_workers_queue_events_total", { function: "probe", status });
    const expected = { enqueued: 44, dequeued: 47, done: 43, retried: 3, dead_lettered: 1, timed_out: 0 };
    const snapshot = (text: Exposition) => Object.fromEntries(Object.keys(expected).map((status) => [status, events(text, status)]));
    await waitFor(async () => JSON.stringify(snapshot(await scrape())) === JSON.stringify(expected), { message: "metrics never matched the jobs run", timeoutMs: 30_000 });
    const logLines = logs.map((file) => readFileSync(file, "utf8").split("\n").filter((line) => line.includes("job done")).length);
    expect(logLines[0]).toBeGreaterThan(0);
    expect(logLines[1]).toBeGreaterThan(0);
    expect(logLines[0]! + logLines[1]!).toBe(43);

    for (const worker of workers) worker.child.kill("SIGTERM");
    expect(await Promise.all(workers.map((worker) => worker.exited))).toEqual([0, 0]);
    const after = await scrape();
    expect(snapshot(after)).toEqual(expected);
    const count = (status: string) => after.value("backend_workers_job_duration_seconds_count", { function: "probe", status });
    expect([count("done"), count("retried"), count("dead_lettered")]).toEqual([43, 3, 1]);
    expect(after.value("backend_workers_job_duration_seconds_bucket", { function: "probe", status: "done", le: "+Inf" })).toBe(43);
    expect(after.value("backend_workers_backlog", { function: "probe" })).toBe(0);
    expect(after.value("backend_workers_pending", { function: "probe" })).toBe(0);
    expect(after.value("backend_workers_dead_letters", { function: "probe" })).toBe(1);
    expect(after.value("backend_workers_workers_alive", { function: "probe" })).toBe(0);
    const redis = testRedis(redisUrl);
    cleanups.push(() => redis.quit());
    expect(Number(await redis.get(`${config.keyPrefix}:{probe}:kv:runs:flaky-0`))).toBe(2);
  });
});
