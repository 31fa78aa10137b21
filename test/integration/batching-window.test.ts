import { afterEach, describe, expect, inject, it } from "vitest";
import { probeHarness, type ProbeHarness } from "../helpers/probe-harness.ts";
import { waitFor } from "../helpers/wait-for.ts";

const redisUrl = inject("redisUrl");

describe("maximumBatchingWindow", () => {
  let harness: ProbeHarness | undefined;
  afterEach(() => harness?.close());

  it("waits for a fuller batch once the first job is in, then invokes once", async () => {
    // Prepare
    harness = await probeHarness(redisUrl, { batchSize: 5, maximumBatchingWindowMs: 3000 }, { BACKEND_WORKERS: "1" });
    const h = harness;
    await h.start();

    // Act: the first job is read and held while the window is open; four more join it.
    await h.publisher.publish("probe", { id: "first" });
    await waitFor(async () => ((await h.redis.xpending(h.keys.stream, "workers")) as [number])[0] === 1, { message: "first job not read" });
    await h.publisher.publishBatch("probe", ["a", "b", "c", "d"].map((id) => ({ id })));

    // Assess
    await waitFor(() => h.totals().done === 5, { message: "batch not run" });
    expect(h.outcomes.map((outcome) => outcome.done)).toEqual([5]);
  });
});
