import { afterEach, describe, expect, it } from "vitest";
import { probeHarness, type ProbeHarness } from "../helpers/probe-harness.ts";
import { startRedisServer, type RedisServerHandle } from "../helpers/redis-server.ts";
import { waitFor } from "../helpers/wait-for.ts";

describe("fault: Redis killed and restarted while publishing and consuming", () => {
  let server: RedisServerHandle | undefined;
  let harness: ProbeHarness | undefined;
  afterEach(async () => {
    await harness?.close();
    await server?.stop();
  });

  it("every publish that returned an id is processed; workers resume by themselves", async () => {
    // Prepare: appendonly + appendfsync always, so what Redis acknowledged survives SIGKILL.
    server = await startRedisServer({ appendonly: true, password: "restart-test-password" });
    harness = await probeHarness(server.url, { batchSize: 10 }, { BACKEND_WORKERS: "2" });
    const h = harness;
    await h.start(server.url);
    const accepted: string[] = [];
    let failures = 0;
    let n = 0;
    let publishing = true;
    const publishLoop = (async () => {
      while (publishing) {
        const id = `j${n++}`;
        try {
          await h.publisher.publish("probe", { id, mode: "sleep", sleepMs: 2 });
          accepted.push(id);
        } catch (error) {
          expect((error as { code?: string }).code).toBe("STORE_FAILED");
          failures++;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }
    })();
    await waitFor(() => accepted.length >= 200, { message: "publishing did not start" });

    // Act
    await server.kill();
    await waitFor(() => failures >= 3, { message: "publish did not fail loudly while Redis was down" });
    await server.restart();
    const acceptedBeforeRestart = accepted.length;
    await waitFor(() => accepted.length >= acceptedBeforeRestart + 200, { message: "publishing did not resume", timeoutMs: 30_000 });
    publishing = false;
    await publishLoop;

    // Assess
    const kv = `${h.config.keyPrefix}:{probe}:kv:`;
    await waitFor(
      async () => {
        const done = await h.redis.mget(accepted.map((id) => kv + "done:" + id));
        return done.every((value) => Number(value) >= 1);
      },
      { message: "an accepted job was never processed", timeoutMs: 40_000 },
    );
    expect(failures).toBeGreaterThan(0);
  });
});
