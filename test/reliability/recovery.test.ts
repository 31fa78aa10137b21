import { afterEach, describe, expect, inject, it } from "vitest";
import { probeHarness, type ProbeHarness } from "../helpers/probe-harness.ts";
import { waitFor } from "../helpers/wait-for.ts";

const redisUrl = inject("redisUrl");

describe("crash recovery and leases", () => {
  let harness: ProbeHarness | undefined;
  afterEach(() => harness?.close());

  it("takes over a dead consumer's pending job after the visibility timeout, counting the delivery as an attempt", async () => {
    // Prepare: a consumer from another host took the job and vanished.
    harness = await probeHarness(redisUrl, { visibilityTimeoutMs: 1000 });
    const h = harness;
    await h.redis.xgroup("CREATE", h.keys.stream, "workers", "0", "MKSTREAM");
    await h.publisher.publish("probe", { id: "orphan" });
    await h.redis.xreadgroup("GROUP", "workers", "gone-host-0", "COUNT", 1, "STREAMS", h.keys.stream, ">");

    // Act
    await h.start();

    // Assess
    await waitFor(async () => (await h.done("orphan")) === 1, { message: "not taken over", timeoutMs: 10_000 });
    expect(await h.attempt("orphan")).toBe(2);
    expect(await h.runs("orphan")).toBe(1);
  });

  it("a job that kills its worker every time ends in the dead letters, not in a loop", async () => {
    // Prepare: delivered 4 times already (maximumRetryAttempts 3 => 4 attempts), never settled.
    harness = await probeHarness(redisUrl, { visibilityTimeoutMs: 1000, maximumRetryAttempts: 3 });
    const h = harness;
    await h.redis.xgroup("CREATE", h.keys.stream, "workers", "0", "MKSTREAM");
    await h.publisher.publish("probe", { id: "killer" });
    const [[, [[entryId]]]] = (await h.redis.xreadgroup("GROUP", "workers", "gone-host-0", "COUNT", 1, "STREAMS", h.keys.stream, ">")) as unknown as [[string, [[string]]]];
    for (let i = 0; i < 3; i++) await h.redis.xclaim(h.keys.stream, "workers", `gone-host-${i + 1}`, 0, entryId);

    // Act
    await h.start();

    // Assess
    await waitFor(async () => (await h.redis.xlen(h.keys.dlq)) === 1, { message: "not dead-lettered", timeoutMs: 10_000 });
    const [[, flat]] = (await h.redis.xrange(h.keys.dlq, "-", "+")) as [[string, string[]]];
    expect(flat[flat.indexOf("error_code") + 1]).toBe("TOO_MANY_DELIVERIES");
    expect(await h.runs("killer")).toBe(0);
  });

  it("a job running longer than the visibility timeout keeps its lease and runs once", async () => {
    // Prepare: two listeners on the same function; the second would steal an idle entry after 1 s.
    harness = await probeHarness(redisUrl, { visibilityTimeoutMs: 1000, timeoutMs: 10_000, batchSize: 1 }, { BACKEND_WORKERS: "1" });
    const h = harness;
    await h.start();
    await h.start();

    // Act
    await h.publisher.publish("probe", { id: "long", mode: "sleep", sleepMs: 3500 });

    // Assess
    await waitFor(async () => (await h.done("long")) === 1, { message: "long job did not finish", timeoutMs: 15_000 });
    expect(await h.runs("long")).toBe(1);
    expect(await h.attempt("long")).toBe(1);
  });
});

describe("delayed and idempotent publish", () => {
  let harness: ProbeHarness | undefined;
  afterEach(() => harness?.close());

  it("a delayed job waits in the delayed set, then runs", async () => {
    harness = await probeHarness(redisUrl);
    const h = harness;
    await h.start();
    const before = Date.now();
    await h.publisher.publish("probe", { id: "later" }, { delayMs: 800 });
    expect(await h.redis.zcard(h.keys.delayed)).toBe(1);
    expect(await h.done("later")).toBe(0);
    await waitFor(async () => (await h.done("later")) === 1, { message: "delayed job never ran" });
    expect(Date.now() - before).toBeGreaterThanOrEqual(800);
    expect(await h.redis.zcard(h.keys.delayed)).toBe(0);
  });

  it("the same idempotency key adds the job once and returns the first id", async () => {
    harness = await probeHarness(redisUrl);
    const h = harness;
    const first = await h.publisher.publish("probe", { id: "once" }, { idempotencyKey: "artifact-42-changeset-7" });
    const second = await h.publisher.publish("probe", { id: "once" }, { idempotencyKey: "artifact-42-changeset-7" });
    expect(first.duplicate).toBe(false);
    expect(second).toEqual({ jobId: first.jobId, duplicate: true });
    expect(await h.redis.xlen(h.keys.stream)).toBe(1);
    const other = await h.publisher.publish("probe", { id: "once" }, { idempotencyKey: "other", idempotencyWindowMs: 50 });
    expect(other.jobId).not.toBe(first.jobId);
    await waitFor(async () => (await h.publisher.publish("probe", { id: "once" }, { idempotencyKey: "other", idempotencyWindowMs: 50 })).duplicate === false, {
      message: "key never expired",
    });
  });
});
