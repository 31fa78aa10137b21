import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, inject, it } from "vitest";
import type { BatchResponse } from "../../shared/handler/stream-event.ts";
import { runCli } from "../helpers/cli.ts";
import { TEST_BUILD_DIR } from "../helpers/test-functions.ts";
import { testConfig, testRedis } from "../helpers/test-env.ts";

const redisUrl = inject("redisUrl");

describe("backend-workers invoke <function> <json|@file>", () => {
  const config = testConfig(redisUrl);
  const redis = testRedis(redisUrl);
  // The probe bundle the global setup built; DIST_DIR also turns the auto-build off.
  const env = { REDIS_URL: redisUrl, REDIS_KEY_PREFIX: config.keyPrefix, VAR_DIR: config.varDir, DIST_DIR: TEST_BUILD_DIR, LOG_LEVEL: "warn" };
  const kv = async (name: string, id: string) => Number((await redis.get(`${config.keyPrefix}:{probe}:kv:${name}:${id}`)) ?? 0);
  afterAll(() => redis.quit());

  it("runs the function once on a payload file and prints an empty batchItemFailures", async () => {
    // Prepare
    const file = join(config.varDir, "payload.json");
    writeFileSync(file, JSON.stringify({ id: "from-file" }));

    // Act
    const result = await runCli(["invoke", "probe", `@${file}`], env);

    // Assess
    expect(result.code, result.stderr).toBe(0);
    const response = JSON.parse(result.stdout) as BatchResponse;
    expect(response.batchItemFailures).toEqual([]);
    expect(response.durationsMs).toEqual([expect.any(Number)]);
    expect(await kv("runs", "from-file")).toBe(1);
    expect(await kv("done", "from-file")).toBe(1);
  });

  it("prints the failure and exits 1 when the function fails the job, without retrying it", async () => {
    // Act
    const result = await runCli(["invoke", "probe", '{"id":"refused","mode":"final-error"}'], env);

    // Assess
    expect(result.code).toBe(1);
    const response = JSON.parse(result.stdout) as BatchResponse;
    expect(response.batchItemFailures).toEqual([expect.objectContaining({ code: "BAD_REQUEST", retryable: false })]);
    expect(result.stderr).toContain("probe failed the job");
    expect(await kv("runs", "refused")).toBe(1);
  });

  it("rejects a payload that fails the function's schema before running anything", async () => {
    // Prepare
    const keysBefore = (await redis.keys(`${config.keyPrefix}:*`)).sort();

    // Act
    const result = await runCli(["invoke", "probe", '{"id":42}'], env);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/invalid probe payload: id: .*\[INVALID_PAYLOAD\]/);
    expect((await redis.keys(`${config.keyPrefix}:*`)).sort()).toEqual(keysBefore);
  });
});
