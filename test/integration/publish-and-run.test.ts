import { afterEach, describe, expect, inject, it } from "vitest";
import { startWorkers, type WorkerRuntime } from "../../shared/composition/worker-runtime.ts";
import { decodeEntry } from "../../shared/job/envelope.ts";
import { Publisher } from "../../shared/publisher/publisher.ts";
import { createRedisConnection } from "../../shared/redis/connection.ts";
import { jobKeys } from "../../shared/redis/keys.ts";
import { testManifest } from "../helpers/test-functions.ts";
import { testConfig, testLogger, testRedis } from "../helpers/test-env.ts";
import { waitFor } from "../helpers/wait-for.ts";

const redisUrl = inject("redisUrl");

describe("publish -> run -> ack through the library", () => {
  const cleanups: (() => Promise<unknown> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it("runs a published job once and leaves the stream empty", async () => {
    // Prepare
    const config = testConfig(redisUrl);
    const manifest = await testManifest();
    const redis = testRedis(redisUrl);
    cleanups.push(() => redis.quit());
    const runtime: WorkerRuntime = await startWorkers({ config, logger: testLogger(config), manifest, redisUrl });
    cleanups.push(() => runtime.stop(1000));
    const publisherRedis = createRedisConnection(redisUrl, { role: "client" });
    cleanups.push(() => publisherRedis.quit());
    const publisher = new Publisher({ redis: publisherRedis, manifest, config });

    // Act
    const { jobId } = await publisher.publish("probe", { id: "one" });

    // Assess
    const kv = `${config.keyPrefix}:{probe}:kv:`;
    await waitFor(async () => (await redis.get(kv + "done:one")) === "1", { message: "job did not run" });
    expect(jobId).toMatch(/^[0-9a-f-]{36}$/);
    const keys = jobKeys(config.keyPrefix, "probe");
    await waitFor(async () => (await redis.xlen(keys.stream)) === 0, { message: "stream not emptied" });
    const pending = (await redis.xpending(keys.stream, "workers")) as [number];
    expect(pending[0]).toBe(0);
    expect(await redis.get(kv + "runs:one")).toBe("1");
  });

  it("rejects an unknown type and an invalid payload, adding nothing", async () => {
    // Prepare
    const config = testConfig(redisUrl);
    const manifest = await testManifest();
    const redis = testRedis(redisUrl);
    cleanups.push(() => redis.quit());
    const publisher = new Publisher({ redis, manifest, config });
    const keys = jobKeys(config.keyPrefix, "probe");

    // Act + Assess
    await expect(publisher.publish("nope", { id: "x" })).rejects.toMatchObject({ code: "UNKNOWN_JOB_TYPE" });
    await expect(publisher.publish("probe", { id: 42 })).rejects.toMatchObject({ code: "INVALID_PAYLOAD", message: expect.stringContaining("id") });
    await expect(publisher.publishBatch("probe", [{ id: "ok" }, { mode: "ok" }])).rejects.toMatchObject({ code: "INVALID_PAYLOAD", message: expect.stringContaining("item 1") });
    expect(await redis.exists(keys.stream)).toBe(0);
  });

  it("reports a batch Redis refused as STORE_FAILED, with nothing stored", async () => {
    // Prepare: the stream key holds a string, so every XADD fails (WRONGTYPE).
    const config = testConfig(redisUrl);
    const manifest = await testManifest();
    const redis = testRedis(redisUrl);
    cleanups.push(() => redis.quit());
    const publisher = new Publisher({ redis, manifest, config });
    await redis.set(jobKeys(config.keyPrefix, "probe").stream, "not a stream");

    // Act + Assess
    await expect(publisher.publishBatch("probe", [{ id: "a" }, { id: "b" }])).rejects.toMatchObject({ code: "STORE_FAILED", message: expect.stringContaining("WRONGTYPE") });
  });

  it("publishes a batch in one script call and returns the ids in order", async () => {
    // Prepare
    const config = testConfig(redisUrl);
    const manifest = await testManifest();
    const redis = testRedis(redisUrl);
    cleanups.push(() => redis.quit());
    const publisher = new Publisher({ redis, manifest, config });

    // Act
    const ids = await publisher.publishBatch("probe", Array.from({ length: 2500 }, (_, i) => ({ id: `j${i}` })), { traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" });

    // Assess: three script calls of up to 1,000, every entry with the full envelope.
    const entries = await redis.xrange(jobKeys(config.keyPrefix, "probe").stream, "-", "+");
    expect(entries.map(([, fields]) => fields[fields.indexOf("job_id") + 1])).toEqual(ids);
    const [, first] = entries[0] as [string, string[]];
    expect(decodeEntry("1-0", first)).toMatchObject({ ok: true, job: { type: "probe", payload: '{"id":"j0"}', attempt: 1, traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" } });
  });
});
