import { afterEach, describe, expect, inject, it } from "vitest";
import { fieldsToObject } from "../../shared/job/envelope.ts";
import { probeHarness, type ProbeHarness } from "../helpers/probe-harness.ts";
import { waitFor } from "../helpers/wait-for.ts";

const redisUrl = inject("redisUrl");

describe("fault: a function that fails jobs once at random", () => {
  let harness: ProbeHarness | undefined;
  afterEach(() => harness?.close());

  it("10,000 jobs all end done, each success exactly once, the retries counted", async () => {
    // Prepare
    harness = await probeHarness(redisUrl, { batchSize: 50, backoff: { baseMs: 10, maxMs: 50 } }, { BACKEND_WORKERS: "4" });
    const count = 10_000;
    const flaky = new Set<number>();
    for (let i = 0; i < count; i++) if (Math.random() < 0.3) flaky.add(i);
    for (let start = 0; start < count; start += 1000) {
      await harness.publisher.publishBatch("probe", Array.from({ length: 1000 }, (_, k) => ({ id: `j${start + k}`, mode: flaky.has(start + k) ? "fail-once" : "ok" })));
    }

    // Act
    await harness.start();

    // Assess
    const h = harness;
    await waitFor(() => h.totals().done === count, { message: "not all jobs done", timeoutMs: 60_000 });
    const kv = `${h.config.keyPrefix}:{probe}:kv:`;
    const ids = Array.from({ length: count }, (_, i) => `j${i}`);
    const [done, runs] = await Promise.all([h.redis.mget(ids.map((id) => kv + "done:" + id)), h.redis.mget(ids.map((id) => kv + "runs:" + id))]);
    expect(done.filter((value) => value !== "1")).toEqual([]);
    expect(runs.filter((value, i) => value !== (flaky.has(i) ? "2" : "1"))).toEqual([]);
    expect(h.totals()).toEqual({ done: count, retried: flaky.size, dead: 0, timedOut: 0 });
    expect(await h.redis.xlen(h.keys.dlq)).toBe(0);
    expect(await h.redis.zcard(h.keys.delayed)).toBe(0);
  });

  it("a job failing every time is retried maximumRetryAttempts times, then dead-lettered with its story", async () => {
    // Prepare
    harness = await probeHarness(redisUrl, { maximumRetryAttempts: 3, backoff: { baseMs: 10, maxMs: 40 } });
    await harness.start();

    // Act
    const { jobId } = await harness.publisher.publish("probe", { id: "doomed", mode: "fail-always" });

    // Assess
    const h = harness;
    await waitFor(async () => (await h.redis.xlen(h.keys.dlq)) === 1, { message: "not dead-lettered" });
    expect(await h.runs("doomed")).toBe(4);
    const [[entryId, flat]] = (await h.redis.xrange(h.keys.dlq, "-", "+")) as [[string, string[]]];
    const fields = fieldsToObject(flat);
    expect(fields).toMatchObject({ type: "probe", job_id: jobId, attempt: "4", error_code: "ALWAYS", error_message: "failing every attempt on purpose", function: "probe" });
    expect(Number(fields.first_failed_at)).toBeLessThanOrEqual(Number(fields.failed_at));
    expect(fields.original_id).toMatch(/^\d+-\d+$/);
    expect(entryId).toMatch(/^\d+-\d+$/);
    expect(await h.redis.xlen(h.keys.stream)).toBe(0);
  });

  it("an error whose code says it is final goes straight to the dead letters", async () => {
    harness = await probeHarness(redisUrl);
    await harness.start();
    await harness.publisher.publish("probe", { id: "final", mode: "final-error" });
    const h = harness;
    await waitFor(async () => (await h.redis.xlen(h.keys.dlq)) === 1, { message: "not dead-lettered" });
    expect(await h.runs("final")).toBe(1);
  });
});
