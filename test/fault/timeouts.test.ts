import { afterEach, describe, expect, inject, it } from "vitest";
import type { BuiltFunction } from "../../shared/functions/manifest.ts";
import { probeHarness, type ProbeHarness } from "../helpers/probe-harness.ts";
import { waitFor } from "../helpers/wait-for.ts";

const redisUrl = inject("redisUrl");

function deadLetterCode(flat: string[]): string | undefined {
  return flat[flat.indexOf("error_code") + 1];
}

describe("fault: a handler that never finishes", () => {
  let harness: ProbeHarness | undefined;
  afterEach(() => harness?.close());

  const settings: Partial<BuiltFunction> = { timeoutMs: 300, maximumRetryAttempts: 1, backoff: { baseMs: 10, maxMs: 20 } };

  it.each(["inline", "isolated"] as const)("never resolving (%s): timed out, retried, then dead-lettered as TIMEOUT", async (invoker) => {
    // Prepare
    harness = await probeHarness(redisUrl, { ...settings, invoker });
    const h = harness;
    await h.start();

    // Act
    await h.publisher.publish("probe", { id: "stuck", mode: "hang" });
    await h.publisher.publish("probe", { id: "after" });

    // Assess
    await waitFor(async () => (await h.redis.xlen(h.keys.dlq)) === 1, { message: "not dead-lettered" });
    const [[, flat]] = (await h.redis.xrange(h.keys.dlq, "-", "+")) as [[string, string[]]];
    expect(deadLetterCode(flat)).toBe("TIMEOUT");
    expect(await h.runs("stuck")).toBe(2);
    await waitFor(async () => (await h.done("after")) === 1, { message: "the next job was blocked" });
    expect(h.totals().timedOut).toBe(2);
  });

  it("blocking the event loop (isolated): the child is killed at its timeout, the worker goes on", async () => {
    // Prepare
    harness = await probeHarness(redisUrl, { ...settings, invoker: "isolated", batchSize: 1 }, { BACKEND_WORKERS: "1" });
    const h = harness;
    await h.start();

    // Act
    await h.publisher.publish("probe", { id: "spinner", mode: "spin" });
    await h.publisher.publish("probe", { id: "after-spin" });

    // Assess
    await waitFor(async () => (await h.redis.xlen(h.keys.dlq)) === 1, { message: "not dead-lettered" });
    const [[, flat]] = (await h.redis.xrange(h.keys.dlq, "-", "+")) as [[string, string[]]];
    expect(deadLetterCode(flat)).toBe("TIMEOUT");
    expect(flat[flat.indexOf("error_message") + 1]).toContain("child process killed");
    await waitFor(async () => (await h.done("after-spin")) === 1, { message: "the worker did not go on" });
  });

  it("isolated: a function crashing its process is retried, then dead-lettered", async () => {
    harness = await probeHarness(redisUrl, { ...settings, invoker: "isolated" });
    const h = harness;
    await h.start();
    await h.publisher.publish("probe", { id: "crasher", mode: "crash-process" });
    await waitFor(async () => (await h.redis.xlen(h.keys.dlq)) === 1, { message: "not dead-lettered" });
    const [[, flat]] = (await h.redis.xrange(h.keys.dlq, "-", "+")) as [[string, string[]]];
    expect(deadLetterCode(flat)).toBe("CHILD_CRASHED");
    expect(await h.runs("crasher")).toBe(2);
  });
});
