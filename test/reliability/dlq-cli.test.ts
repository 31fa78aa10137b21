import { afterEach, describe, expect, inject, it } from "vitest";
import { fieldsToObject } from "../../shared/job/envelope.ts";
import { readJobMetrics } from "../../shared/metrics/read-job-metrics.ts";
import { runCli } from "../helpers/cli.ts";
import { probeHarness, type ProbeHarness } from "../helpers/probe-harness.ts";
import { TEST_BUILD_DIR } from "../helpers/test-functions.ts";
import { waitFor } from "../helpers/wait-for.ts";

const redisUrl = inject("redisUrl");

describe("backend-workers dlq list | redrive | purge", () => {
  let harness: ProbeHarness | undefined;
  afterEach(() => harness?.close());

  it("lists dead letters, redrives one by id and all with the attempt reset, purges", async () => {
    // Prepare: three final failures dead-lettered.
    harness = await probeHarness(redisUrl);
    const h = harness;
    const runtime = await h.start();
    for (const id of ["a", "b", "c"]) await h.publisher.publish("probe", { id, mode: "final-error" });
    await waitFor(async () => (await h.redis.xlen(h.keys.dlq)) === 3, { message: "not dead-lettered" });
    await runtime.stop(1000);
    const env = { REDIS_URL: redisUrl, REDIS_KEY_PREFIX: h.config.keyPrefix, DIST_DIR: TEST_BUILD_DIR };

    // Act + Assess: list
    const list = await runCli(["dlq", "list", "probe", "--json"], env);
    expect(list.code).toBe(0);
    const letters = list.stdout.trim().split("\n").map((line) => JSON.parse(line));
    expect(letters.map((letter) => letter.errorCode)).toEqual(["BAD_REQUEST", "BAD_REQUEST", "BAD_REQUEST"]);
    const table = await runCli(["dlq", "list", "probe"], env);
    expect(table.stdout).toContain("BAD_REQUEST: a failure that no retry can fix");
    expect(table.stdout).toContain("3 dead letter(s)");

    // redrive one by id: back in the stream as attempt 1 with the same job id, error fields gone
    const one = await runCli(["dlq", "redrive", "probe", "--id", letters[0].id], env);
    expect(one.stdout).toContain("redrove 1 job(s)");
    const [[, flat]] = (await h.redis.xrange(h.keys.stream, "-", "+")) as [[string, string[]]];
    const fields = fieldsToObject(flat);
    expect(fields).toMatchObject({ attempt: "1", job_id: letters[0].jobId, type: "probe" });
    expect(fields.error_code).toBeUndefined();

    const all = await runCli(["dlq", "redrive", "probe", "--all"], env);
    expect(all.stdout).toContain("redrove 2 job(s)");
    expect(await h.redis.xlen(h.keys.stream)).toBe(3);
    expect(await h.redis.xlen(h.keys.dlq)).toBe(0);
    expect((await readJobMetrics(h.redis, h.config.keyPrefix, ["probe"])).get("probe")?.events.enqueued).toBe(3);

    const missing = await runCli(["dlq", "redrive", "probe"], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("needs --id <id...> or --all");

    // purge
    await h.redis.xadd(h.keys.dlq, "*", "type", "probe", "payload", "{}");
    const purge = await runCli(["dlq", "purge", "probe"], env);
    expect(purge.stdout).toContain("purged 1 dead letter(s)");
    expect(await h.redis.exists(h.keys.dlq)).toBe(0);
  });
});
