import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, inject, it } from "vitest";
import { computeRates, formatStatusTable } from "../../shared/cli/commands/status.ts";
import { ensureGroup } from "../../shared/listener/ensure-group.ts";
import { parseJobMetrics } from "../../shared/metrics/metrics-hash.ts";
import { GROUP, jobKeys } from "../../shared/redis/keys.ts";
import type { FunctionStatus } from "../../shared/status/collect-status.ts";
import { runCli, spawnCli, useCliTeardown } from "../helpers/cli.ts";
import { TEST_BUILD_DIR } from "../helpers/test-functions.ts";
import { testRedis, uniquePrefix } from "../helpers/test-env.ts";
import { waitFor } from "../helpers/wait-for.ts";

const redisUrl = inject("redisUrl");

function fnStatus(partial: Partial<FunctionStatus>): FunctionStatus {
  return { type: "probe", stream: "s", backlog: 0, oldestWaitingAgeMs: 0, pending: 0, oldestPendingAgeMs: 0, consumers: 0, workersAlive: 0, deadLetters: 0, delayed: 0, ...partial };
}

describe("status", () => {
  const { processes, cleanups } = useCliTeardown();

  it("warns when the oldest pending job waited more than 120 s, and about an old undelivered job", async () => {
    // Prepare: one job delivered 200 s ago and never settled, one waiting for 150 s.
    const prefix = uniquePrefix();
    const keys = jobKeys(prefix, "probe");
    const redis = testRedis(redisUrl);
    cleanups.push(() => redis.quit());
    await ensureGroup(redis, keys.stream);
    await redis.xadd(keys.stream, `${Date.now() - 200_000}-0`, "type", "probe", "payload", "{}");
    await redis.xreadgroup("GROUP", GROUP, "gone-0", "COUNT", 1, "STREAMS", keys.stream, ">");
    await redis.xadd(keys.stream, `${Date.now() - 150_000}-0`, "type", "probe", "payload", "{}");
    const env = { REDIS_URL: redisUrl, REDIS_KEY_PREFIX: prefix, DIST_DIR: TEST_BUILD_DIR, VAR_DIR: mkdtempSync(join(tmpdir(), "bw-status-")) };

    // Act
    const table = await runCli(["status"], env);
    const json = await runCli(["status", "--json"], env);

    // Assess
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/WARNING: probe: a job has been pending for 20\d s \(> 120 s\)/);
    expect(table.stdout).toMatch(/WARNING: probe: a job has been waiting for a worker for 15\d s/);
    expect(JSON.parse(json.stdout).functions[0]).toMatchObject({ backlog: 1, pending: 1, consumers: 1, workersAlive: 0 });
  });

  it("no warning at 120 s or less", () => {
    const table = formatStatusTable({ at: "", functions: [fnStatus({ pending: 1, oldestPendingAgeMs: 120_000, backlog: 1, oldestWaitingAgeMs: 119_000 })] });
    expect(table).not.toContain("WARNING");
  });

  it("computes rates from two counter samples and shows them as columns", () => {
    const before = new Map([["probe", parseJobMetrics({ "events:done": "10", "events:enqueued": "10", "events:retried": "1" })]]);
    const after = new Map([["probe", parseJobMetrics({ "events:done": "30", "events:enqueued": "50", "events:retried": "2", "events:dead_lettered": "3" })]]);

    const rates = computeRates(before, after, 2);
    const table = formatStatusTable({ at: "", functions: [fnStatus({})] }, rates);

    expect(rates.get("probe")).toEqual({ enqueued: 20, done: 10, failed: 2 });
    expect(table.split("\n")[0]).toMatch(/in\/s\s+done\/s\s+failed\/s$/);
    expect(table.split("\n")[1]).toMatch(/20\.0\s+10\.0\s+2\.0$/);
  });

  it("--watch redraws every second with rates and stops with exit 0 on SIGINT", async () => {
    const prefix = uniquePrefix();
    const redis = testRedis(redisUrl);
    cleanups.push(() => redis.quit());
    const watch = spawnCli(["status", "--watch"], { REDIS_URL: redisUrl, REDIS_KEY_PREFIX: prefix, DIST_DIR: TEST_BUILD_DIR, VAR_DIR: mkdtempSync(join(tmpdir(), "bw-status-")) });
    processes.push(watch);
    await waitFor(() => watch.output().includes("backend-workers status at"), { message: "no first frame", timeoutMs: 30_000 });

    // Counters move between frames: the next frames show a non-zero done rate.
    await redis.hincrby(jobKeys(prefix, "probe").metrics, "events:done", 500);
    await waitFor(() => /probe\s.*\s(?!0\.0)\d+\.\d\s+\d+\.\d$/m.test(watch.output()), { message: `no frame with a done rate: ${watch.output().slice(-600)}`, timeoutMs: 10_000 });
    watch.child.kill("SIGINT");

    expect(await watch.exited).toBe(0);
    expect(watch.output().match(/backend-workers status at/g)!.length).toBeGreaterThanOrEqual(2);
  });
});
