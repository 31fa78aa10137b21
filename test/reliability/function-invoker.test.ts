import { afterEach, describe, expect, inject, it } from "vitest";
import { probeHarness, type ProbeHarness } from "../helpers/probe-harness.ts";
import { waitFor } from "../helpers/wait-for.ts";

const redisUrl = inject("redisUrl");

describe("FUNCTION_INVOKER", () => {
  let harness: ProbeHarness | undefined;
  afterEach(() => harness?.close());

  it("runs a function serverless.yml declares inline with the invoker the environment names", async () => {
    // Prepare: probe is inline in its manifest; FUNCTION_INVOKER=isolated moves it to a child process.
    harness = await probeHarness(redisUrl, { invoker: "inline" }, { FUNCTION_INVOKER: "isolated", BACKEND_WORKERS: "1" });
    const h = harness;
    await h.start();

    // Act
    await h.publisher.publish("probe", { id: "where" });

    // Assess: it ran, and not in this process.
    await waitFor(async () => (await h.done("where")) === 1, { message: "job did not run" });
    const pid = await h.redis.get(`${h.config.keyPrefix}:{probe}:kv:pid:where`);
    expect(Number(pid)).toBeGreaterThan(0);
    expect(Number(pid)).not.toBe(process.pid);
  });

  it("refuses an unknown invoker name with one line naming the variable", async () => {
    await expect(probeHarness(redisUrl, {}, { FUNCTION_INVOKER: "docker" })).rejects.toThrow('FUNCTION_INVOKER: must be inline, isolated or lambda, got "docker"');
  });
});
