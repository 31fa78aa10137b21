import { mkdtempSync, readFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, inject, it } from "vitest";
import { readJobMetrics } from "../../shared/metrics/read-job-metrics.ts";
import { jobKeys } from "../../shared/redis/keys.ts";
import { runCli, spawnCli, useCliTeardown } from "../helpers/cli.ts";
import { TEST_BUILD_DIR } from "../helpers/test-functions.ts";
import { testRedis, uniquePrefix } from "../helpers/test-env.ts";
import { waitFor } from "../helpers/wait-for.ts";

const redisUrl = inject("redisUrl");

describe("the backend-workers CLI", () => {
  const { processes } = useCliTeardown();

  it("start with no REDIS_URL runs an embedded Redis that publish and status find", async () => {
    // Prepare
    const varDir = mkdtempSync(join(tmpdir(), "bw-cli-"));
    const env = { VAR_DIR: varDir, DIST_DIR: TEST_BUILD_DIR, LOG_LEVEL: "info", SHUTDOWN_GRACE_MS: "5000", HTTP_PORT: "0" };
    const start = spawnCli(["start"], env);
    processes.push(start);
    await waitFor(() => start.output().includes("ready"), { message: "start did not get ready", timeoutMs: 30_000 });
    expect(start.output()).toMatch(/Redis redis:\/\/:\*\*\*@127\.0\.0\.1:\d+ — embedded/);
    const password = readFileSync(join(varDir, "redis", "password"), "utf8");
    expect(password.length).toBeGreaterThanOrEqual(32);
    expect(start.output()).not.toContain(password);

    // Act
    const published = await runCli(["publish", "probe", '{"id":"from-cli"}'], env);

    // Assess
    expect(published.stderr).toBe("");
    expect(published.code).toBe(0);
    const jobId = published.stdout.trim();
    expect(jobId).toMatch(/^[0-9a-f-]{36}$/);
    const logFile = join(varDir, "log", "worker_log");
    await waitFor(() => existsSync(logFile) && readFileSync(logFile, "utf8").split("\n").some((line) => line.includes(jobId) && line.includes("job done")), { message: "job did not finish in the log" });
    const log = readFileSync(logFile, "utf8");
    expect(log.split("\n").some((line) => line.includes(jobId) && line.includes("job started"))).toBe(true);
    expect(log).not.toContain(password);

    const status = await runCli(["status", "--json"], env);
    expect(status.code).toBe(0);
    const probe = JSON.parse(status.stdout).functions.find((fn: { type: string }) => fn.type === "probe");
    expect(probe).toMatchObject({ type: "probe", backlog: 0, pending: 0, deadLetters: 0, workersAlive: 2 });
    const table = await runCli(["status"], env);
    expect(table.stdout).toMatch(/^function\s+backlog\s+pending/m);

    // SIGTERM: exits 0 and stops the Redis it started.
    start.child.kill("SIGTERM");
    expect(await start.exited).toBe(0);
    const after = await runCli(["status"], env);
    expect(after.code).toBe(1);
    expect(after.stderr).toContain("no embedded Redis is running");
  });

  it("two worker processes on one Redis share the work, each job once", async () => {
    // Prepare
    const prefix = uniquePrefix();
    const varDir = mkdtempSync(join(tmpdir(), "bw-cli-"));
    const base = { REDIS_URL: redisUrl, REDIS_KEY_PREFIX: prefix, DIST_DIR: TEST_BUILD_DIR, LOG_LEVEL: "info", VAR_DIR: varDir };
    const logs = [join(varDir, "a.log"), join(varDir, "b.log")];
    const workers = logs.map((logFile) => spawnCli(["worker"], { ...base, LOG_FILE: logFile }));
    processes.push(...workers);
    for (const worker of workers) await waitFor(() => worker.output().includes("ready"), { message: "worker not ready", timeoutMs: 30_000 });
    const count = 2000;
    const payloads = JSON.stringify(Array.from({ length: count }, (_, i) => ({ id: `j${i}`, mode: "sleep", sleepMs: 1 })));

    // Act
    const published = await runCli(["publish", "probe", "-", "--batch"], base, payloads);

    // Assess
    expect(published.code).toBe(0);
    expect(published.stdout.trim().split("\n")).toHaveLength(count);
    const redis = testRedis(redisUrl);
    try {
      const kv = `${prefix}:{probe}:kv:`;
      await waitFor(async () => (await redis.keys(kv + "done:*")).length === count, { message: "not every job ran", timeoutMs: 30_000 });
      const runs = await redis.mget(Array.from({ length: count }, (_, i) => `${kv}runs:j${i}`));
      expect(runs.every((value) => value === "1")).toBe(true);
      expect(await redis.xlen(jobKeys(prefix, "probe").stream)).toBe(0);
      const done = logs.map((file) => readFileSync(file, "utf8").split("\n").filter((line) => line.includes("job done")).length);
      expect(done[0]! + done[1]!).toBe(count);
      expect(done[0]).toBeGreaterThan(0);
      expect(done[1]).toBeGreaterThan(0);
    } finally {
      await redis.quit();
    }
    for (const worker of workers) worker.child.kill("SIGTERM");
    expect(await Promise.all(workers.map((worker) => worker.exited))).toEqual([0, 0]);
  });

  it("bad configuration stops with one line naming the variable", async () => {
    const env = { REDIS_URL: redisUrl, DIST_DIR: TEST_BUILD_DIR };
    const workers = await runCli(["status"], { ...env, BACKEND_WORKERS: "0" });
    expect(workers.code).toBe(1);
    expect(workers.stderr.trim().split("\n")).toHaveLength(1);
    expect(workers.stderr).toContain("BACKEND_WORKERS: must be an integer from 1 to 1000");
    const url = await runCli(["status"], { ...env, REDIS_URL: "http://localhost:1" });
    expect(url.stderr).toContain("REDIS_URL: scheme must be redis:// or rediss://");
    const level = await runCli(["status"], { ...env, LOG_LEVEL: "loud" });
    expect(level.stderr).toContain("LOG_LEVEL: must be one of");
  });

  it("publish counts what it enqueues in the shared metrics", async () => {
    const prefix = uniquePrefix();
    const env = { REDIS_URL: redisUrl, REDIS_KEY_PREFIX: prefix, DIST_DIR: TEST_BUILD_DIR };
    expect((await runCli(["publish", "probe", '[{"id":"a"},{"id":"b"}]', "--batch"], env)).code).toBe(0);
    expect((await runCli(["publish", "probe", '{"id":"c"}'], env)).code).toBe(0);
    const redis = testRedis(redisUrl);
    const metrics = await readJobMetrics(redis, prefix, ["probe"]);
    await redis.quit();
    expect(metrics.get("probe")?.events.enqueued).toBe(3);
  });

  it("publish rejects an unknown type and an invalid payload, adding nothing", async () => {
    const prefix = uniquePrefix();
    const env = { REDIS_URL: redisUrl, REDIS_KEY_PREFIX: prefix, DIST_DIR: TEST_BUILD_DIR };
    const unknown = await runCli(["publish", "nope", "{}"], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('unknown job type "nope"; known types: probe');
    const invalid = await runCli(["publish", "probe", '{"id":""}'], env);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toContain("invalid probe payload: id:");
    const notJson = await runCli(["publish", "probe", "{nope"], env);
    expect(notJson.stderr).toContain("is not valid JSON");
    const redis = testRedis(redisUrl);
    expect(await redis.exists(jobKeys(prefix, "probe").stream)).toBe(0);
    await redis.quit();
  });
});
