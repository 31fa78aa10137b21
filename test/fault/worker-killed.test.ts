import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, inject, it } from "vitest";
import { spawnCli, useCliTeardown } from "../helpers/cli.ts";
import { probeHarness, type ProbeHarness } from "../helpers/probe-harness.ts";
import { writeManifest } from "../helpers/test-functions.ts";
import { waitFor } from "../helpers/wait-for.ts";

const redisUrl = inject("redisUrl");

describe("fault: worker processes killed and stopped", () => {
  let harness: ProbeHarness | undefined;
  const { processes, cleanups } = useCliTeardown();

  const workerEnv = (h: ProbeHarness, dist: string) => ({
    REDIS_URL: redisUrl,
    REDIS_KEY_PREFIX: h.config.keyPrefix,
    DIST_DIR: dist,
    VAR_DIR: h.config.varDir,
    LOG_LEVEL: "info",
    BACKEND_WORKERS: "2",
    SHUTDOWN_GRACE_MS: "10000",
  });

  it("SIGKILL mid-batch, then a new worker: every job completes, duplicates only among those in flight", async () => {
    // Prepare: 2 workers x batch 10 = at most 20 jobs in flight.
    harness = await probeHarness(redisUrl, { batchSize: 10 });
    const h = harness;
    cleanups.push(() => h.close());
    const dist = writeManifest(mkdtempSync(join(tmpdir(), "bw-dist-")), h.manifest);
    const count = 400;
    await h.publisher.publishBatch("probe", Array.from({ length: count }, (_, i) => ({ id: `j${i}`, mode: "sleep", sleepMs: 5 })));
    const first = spawnCli(["worker"], workerEnv(h, dist));
    processes.push(first);
    const kv = `${h.config.keyPrefix}:{probe}:kv:`;
    const doneCount = async () => (await h.redis.keys(kv + "done:*")).length;
    await waitFor(async () => (await doneCount()) >= 50, { message: "first worker did not start working", timeoutMs: 30_000 });

    // Act
    first.child.kill("SIGKILL");
    await first.exited;
    const doneAtKill = await doneCount();
    expect(doneAtKill).toBeLessThan(count);
    const second = spawnCli(["worker"], workerEnv(h, dist));
    processes.push(second);

    // Assess
    await waitFor(async () => (await doneCount()) === count, { message: "not every job completed", timeoutMs: 30_000 });
    const runs = await h.redis.mget(Array.from({ length: count }, (_, i) => `${kv}runs:j${i}`));
    const duplicates = runs.filter((value) => Number(value) > 1).length;
    expect(runs.every((value) => Number(value) >= 1)).toBe(true);
    expect(duplicates).toBeLessThanOrEqual(20);
    await waitFor(async () => (await h.redis.xlen(h.keys.stream)) === 0, { message: "stream not empty" });
  });

  it("SIGTERM during a batch: in-flight jobs finish, exit 0, the rest is left for the next worker", async () => {
    // Prepare
    harness = await probeHarness(redisUrl, { batchSize: 5 });
    const h = harness;
    cleanups.push(() => h.close());
    const dist = writeManifest(mkdtempSync(join(tmpdir(), "bw-dist-")), h.manifest);
    const count = 60;
    await h.publisher.publishBatch("probe", Array.from({ length: count }, (_, i) => ({ id: `j${i}`, mode: "sleep", sleepMs: 150 })));
    const worker = spawnCli(["worker"], workerEnv(h, dist));
    processes.push(worker);
    const kv = `${h.config.keyPrefix}:{probe}:kv:`;
    await waitFor(async () => (await h.redis.keys(kv + "runs:*")).length >= 3, { message: "no job started", timeoutMs: 30_000 });

    // Act
    worker.child.kill("SIGTERM");
    const code = await worker.exited;

    // Assess: every job that started also finished and was settled; nothing finished is pending.
    expect(code).toBe(0);
    const ids = Array.from({ length: count }, (_, i) => `j${i}`);
    const [runs, done] = await Promise.all([h.redis.mget(ids.map((id) => kv + "runs:" + id)), h.redis.mget(ids.map((id) => kv + "done:" + id))]);
    expect(runs.map((value, i) => (value ? done[i] : "1"))).toEqual(ids.map(() => "1"));
    expect(((await h.redis.xpending(h.keys.stream, "workers")) as [number])[0]).toBe(0);
    const started = runs.filter(Boolean).length;
    expect(started).toBeLessThan(count);
    expect(await h.redis.xlen(h.keys.stream)).toBe(count - started);

    // The next worker runs the rest, each exactly once.
    const next = spawnCli(["worker"], workerEnv(h, dist));
    processes.push(next);
    await waitFor(async () => (await h.redis.keys(kv + "done:*")).length === count, { message: "rest not run", timeoutMs: 30_000 });
    const finalRuns = await h.redis.mget(ids.map((id) => kv + "runs:" + id));
    expect(finalRuns.every((value) => value === "1")).toBe(true);
  });
});
