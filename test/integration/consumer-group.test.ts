import { afterEach, describe, expect, inject, it } from "vitest";
import { startWorkers } from "../../shared/composition/worker-runtime.ts";
import { Publisher } from "../../shared/publisher/publisher.ts";
import { jobKeys } from "../../shared/redis/keys.ts";
import { testManifest } from "../helpers/test-functions.ts";
import { testConfig, testLogger, testRedis } from "../helpers/test-env.ts";
import { waitFor } from "../helpers/wait-for.ts";

const redisUrl = inject("redisUrl");

describe("workers of one consumer group", () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it("8 workers share 10,000 jobs: each runs exactly once, nothing left pending", async () => {
    // Prepare
    const config = testConfig(redisUrl, { BACKEND_WORKERS: "8" });
    const manifest = await testManifest();
    const redis = testRedis(redisUrl);
    cleanups.push(() => redis.quit());
    const publisher = new Publisher({ redis, manifest, config });
    const count = 10_000;
    for (let start = 0; start < count; start += 1000) {
      await publisher.publishBatch("probe", Array.from({ length: 1000 }, (_, i) => ({ id: `j${start + i}` })));
    }
    const batches: number[] = [];

    // Act
    const runtime = await startWorkers({ config, logger: testLogger(config), manifest, redisUrl, onBatch: (outcome) => batches.push(outcome.done) });
    cleanups.push(() => runtime.stop(1000));

    // Assess
    const keys = jobKeys(config.keyPrefix, "probe");
    await waitFor(async () => (await redis.xlen(keys.stream)) === 0, { message: "stream not drained", timeoutMs: 40_000 });
    const kv = `${config.keyPrefix}:{probe}:kv:`;
    const ids = Array.from({ length: count }, (_, i) => `j${i}`);
    const [runs, done] = await Promise.all([redis.mget(ids.map((id) => `${kv}runs:${id}`)), redis.mget(ids.map((id) => `${kv}done:${id}`))]);
    expect(runs.filter((value) => value !== "1")).toEqual([]);
    expect(done.filter((value) => value !== "1")).toEqual([]);
    expect(((await redis.xpending(keys.stream, "workers")) as [number])[0]).toBe(0);
    expect(batches.reduce((sum, n) => sum + n, 0)).toBe(count);
    expect(Object.values(runtime.listener.workerNames).flat()).toHaveLength(8);
  });

  it("a restarted worker re-runs its own pending jobs first, under its old name", async () => {
    // Prepare: a consumer named like worker 0 of this host took a job and died before settling.
    const config = testConfig(redisUrl, { BACKEND_WORKERS: "1" });
    const manifest = await testManifest();
    const redis = testRedis(redisUrl);
    cleanups.push(() => redis.quit());
    const keys = jobKeys(config.keyPrefix, "probe");
    const publisher = new Publisher({ redis, manifest, config });
    await redis.xgroup("CREATE", keys.stream, "workers", "0", "MKSTREAM");
    await publisher.publish("probe", { id: "orphan" });
    const { hostname } = await import("node:os");
    await redis.xreadgroup("GROUP", "workers", `${hostname()}-0`, "COUNT", 10, "STREAMS", keys.stream, ">");

    // Act
    const runtime = await startWorkers({ config, logger: testLogger(config), manifest, redisUrl });
    cleanups.push(() => runtime.stop(1000));

    // Assess: it ran at once (the visibility timeout is 5 s, the deadline 3 s) as attempt 2.
    const kv = `${config.keyPrefix}:{probe}:kv:`;
    await waitFor(async () => (await redis.get(kv + "done:orphan")) === "1", { message: "own pending job not re-run", timeoutMs: 3000 });
    expect(runtime.listener.workerNames.probe).toEqual([`${hostname()}-0`]);
  });
});
