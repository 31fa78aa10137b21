import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { Config } from "../../shared/config.ts";
import { freePort } from "../../shared/embedded/embedded-redis.ts";
import { loadManifest } from "../../shared/functions/manifest.ts";
import { fieldsToObject } from "../../shared/job/envelope.ts";
import { Publisher } from "../../shared/publisher/publisher.ts";
import { jobKeys } from "../../shared/redis/keys.ts";
import { testConfig, testRedis } from "../helpers/test-env.ts";
import { waitFor } from "../helpers/wait-for.ts";
import { REPO, serviceDir, startOsls, type OslsProcess, type ServiceDir } from "./osls.ts";

const redisUrl = inject("redisUrl");
const MAX_RETRIES = 2;

/** A service with only the core's probe test function, its settings tuned for a fast test. */
const SERVICE_YML = `
service: bw-offline-test
plugins:
  - ./serverless/redis-stream-plugin.cjs
  - serverless-offline
provider:
  name: aws
  runtime: nodejs20.x
  region: eu-west-1
custom:
  redisStream:
    functionsDir: ${JSON.stringify(join(REPO, "test", "fixtures", "functions"))}
functions:
  probe:
    handler: dist/functions/probe/index.handler
    timeout: 10
    events:
      - redisStream:
          batchSize: 10
          maximumRetryAttempts: ${MAX_RETRIES}
          workers: 2
          invoker: inline # offline start runs every function through the Lambda endpoint anyway
          backoff: { baseMs: 20, maxMs: 200 }
          visibilityTimeout: 10
`;

describe("serverless offline start runs the Redis-stream listener through the Lambda endpoint", () => {
  let service: ServiceDir;
  let offline: OslsProcess;
  let config: Config;
  let lambdaPort: number;
  const redis = testRedis(redisUrl);

  beforeAll(async () => {
    service = serviceDir(SERVICE_YML);
    config = testConfig(redisUrl);
    lambdaPort = await freePort();
    // Free ports for every server serverless-offline may open, so nothing else on the machine
    // (a developer's own `serverless offline` on 3000/3001) can collide with the test.
    const [httpPort, websocketPort] = [await freePort(), await freePort()];
    offline = startOsls(service.dir, ["offline", "start", "--host", "127.0.0.1", "--lambdaPort", String(lambdaPort), "--httpPort", String(httpPort), "--websocketPort", String(websocketPort)], {
      REDIS_URL: redisUrl,
      REDIS_KEY_PREFIX: config.keyPrefix,
      VAR_DIR: config.varDir,
      LOG_LEVEL: "warn",
    });
    let exitCode: number | null | undefined;
    void offline.exited.then((code) => (exitCode = code));
    await waitFor(
      () => {
        if (exitCode !== undefined) throw new Error(`serverless offline exited with ${exitCode}:\n${offline.output()}`);
        return offline.output().includes("redisStream: listening");
      },
      { timeoutMs: 90_000, intervalMs: 100, message: "the listener did not start under serverless offline" },
    );
  }, 120_000);

  afterAll(async () => {
    if (offline && offline.child.exitCode === null) {
      offline.child.kill("SIGKILL");
      await offline.exited;
    }
    await redis.quit();
    service?.remove();
  });

  it("runs published jobs in serverless-offline, retries a failing record and dead-letters it after its retries", async () => {
    // Prepare
    const manifest = await loadManifest(join(service.dir, "dist"));
    const publisher = new Publisher({ redis, manifest, config });
    const keys = jobKeys(config.keyPrefix, "probe");
    const kv = async (name: string, id: string) => Number((await redis.get(`${config.keyPrefix}:{probe}:kv:${name}:${id}`)) ?? 0);

    // Act
    await publisher.publishBatch("probe", [{ id: "ok" }, { id: "flaky", mode: "fail-once" }, { id: "doomed", mode: "fail-always" }, { id: "final", mode: "final-error" }]);

    // Assess
    await waitFor(async () => (await kv("done", "ok")) === 1 && (await kv("done", "flaky")) === 1 && (await redis.xlen(keys.dlq)) === 2, {
      timeoutMs: 30_000,
      message: "jobs not settled",
    });
    await waitFor(async () => (await redis.xlen(keys.stream)) === 0 && (await redis.zcard(keys.delayed)) === 0, { message: "stream or delayed set not emptied" });
    expect(await kv("runs", "ok")).toBe(1);
    expect(await kv("runs", "flaky")).toBe(2);
    expect(await kv("runs", "doomed")).toBe(MAX_RETRIES + 1);
    expect(await kv("runs", "final")).toBe(1);
    const letters = (await redis.xrange(keys.dlq, "-", "+")).map(([, fields]) => fieldsToObject(fields));
    const letterOf = (id: string) => letters.find((letter) => (JSON.parse(letter.payload as string) as { id: string }).id === id);
    expect(letterOf("doomed")).toMatchObject({ error_code: "ALWAYS", attempt: String(MAX_RETRIES + 1), function: "probe" });
    expect(letterOf("final")).toMatchObject({ error_code: "BAD_REQUEST", attempt: "1" });
    // Every run went through serverless-offline's Lambda runtime, not the listener's inline invoker.
    expect(offline.output()).toContain("(λ: probe) RequestId");
    expect(offline.output()).toContain(`redisStream: probe -> bw-offline-test-dev-probe`);
  });

  it("stops the listener on SIGTERM and exits 0", async () => {
    // Act
    offline.child.kill("SIGTERM");
    const code = await offline.exited;

    // Assess
    expect(code, offline.output()).toBe(0);
    expect(offline.output()).toContain("redisStream: stopping the listener");
    // Workers released their consumer names on the way out.
    await waitFor(async () => (await redis.keys(`${config.keyPrefix}:{probe}:consumer:*`)).length === 0, { message: "consumer leases left behind" });
  });
});
