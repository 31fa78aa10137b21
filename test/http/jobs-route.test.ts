import { afterEach, describe, expect, inject, it } from "vitest";
import { MAX_PAYLOAD_BYTES } from "../../shared/publisher/publisher.ts";
import { jobKeys } from "../../shared/redis/keys.ts";
import { startRedisServer } from "../helpers/redis-server.ts";
import { testRedis } from "../helpers/test-env.ts";
import { API_TOKEN, testApp } from "./http-test-app.ts";

const redisUrl = inject("redisUrl");
const auth = { authorization: `Bearer ${API_TOKEN}` };

describe("POST /jobs/:type through inject()", () => {
  const cleanups: (() => Promise<unknown> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function setup(env: Record<string, string> = { API_TOKEN }) {
    const { app, config } = await testApp(redisUrl, env);
    cleanups.push(() => app.close());
    const redis = testRedis(redisUrl);
    cleanups.push(() => redis.quit());
    return { app, config, redis, keys: jobKeys(config.keyPrefix, "probe") };
  }

  it("202: stores the job in the stream and returns its id", async () => {
    // Prepare
    const { app, redis, keys } = await setup();

    // Act
    const response = await app.inject({ method: "POST", url: "/jobs/probe", headers: auth, payload: { id: "http-1" } });

    // Assess
    expect(response.statusCode).toBe(202);
    const body = response.json();
    expect(body).toEqual({ jobId: expect.stringMatching(/^[0-9a-f-]{36}$/), duplicate: false });
    const entries = await redis.xrange(keys.stream, "-", "+");
    expect(entries).toHaveLength(1);
    const fields = entries[0]![1];
    expect(fields[fields.indexOf("job_id") + 1]).toBe(body.jobId);
    expect(JSON.parse(fields[fields.indexOf("payload") + 1]!)).toEqual({ id: "http-1" });
    expect(response.headers["request-id"]).toBeTruthy();
  });

  it("Idempotency-Key: a repeat returns the first job's id and adds nothing", async () => {
    const { app, redis, keys } = await setup();
    const send = () => app.inject({ method: "POST", url: "/jobs/probe", headers: { ...auth, "idempotency-key": "order-42" }, payload: { id: "idem" } });

    const first = await send();
    const second = await send();

    expect(first.statusCode).toBe(202);
    expect(second.statusCode).toBe(202);
    expect(second.json()).toEqual({ jobId: first.json().jobId, duplicate: true });
    expect(await redis.xlen(keys.stream)).toBe(1);
  });

  it("Job-Delay-Ms: the job waits in the delayed set, not in the stream", async () => {
    const { app, redis, keys } = await setup();

    const response = await app.inject({ method: "POST", url: "/jobs/probe", headers: { ...auth, "job-delay-ms": "60000" }, payload: { id: "later" } });

    expect(response.statusCode).toBe(202);
    expect(await redis.xlen(keys.stream)).toBe(0);
    const [member, score] = await redis.zrange(keys.delayed, "0", "-1", "WITHSCORES");
    expect(JSON.parse(member!)).toContain(response.json().jobId);
    expect(Number(score)).toBeGreaterThan(Date.now() + 50_000);
  });

  it("400 with the schema issues for an invalid payload; 400 for bad headers", async () => {
    const { app, redis, keys } = await setup();

    const invalid = await app.inject({ method: "POST", url: "/jobs/probe", headers: auth, payload: { id: 42, mode: "bogus" } });
    const badDelay = await app.inject({ method: "POST", url: "/jobs/probe", headers: { ...auth, "job-delay-ms": "soon" }, payload: { id: "x" } });
    const badKey = await app.inject({ method: "POST", url: "/jobs/probe", headers: { ...auth, "idempotency-key": "x".repeat(201) }, payload: { id: "x" } });

    expect(invalid.statusCode).toBe(400);
    const body = invalid.json();
    expect(body.code).toBe("INVALID_PAYLOAD");
    expect(body.issues.map((issue: { path: string[] }) => issue.path.join("."))).toEqual(expect.arrayContaining(["id", "mode"]));
    expect(body.issues[0]).toMatchObject({ code: expect.any(String), message: expect.any(String) });
    expect(badDelay.statusCode).toBe(400);
    expect(badDelay.json().message).toContain("job-delay-ms");
    expect(badKey.statusCode).toBe(400);
    expect(await redis.exists(keys.stream)).toBe(0);
  });

  it("404 for an unknown job type, naming the known ones", async () => {
    const { app } = await setup();

    const response = await app.inject({ method: "POST", url: "/jobs/nope", headers: auth, payload: { id: "x" } });

    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ code: "UNKNOWN_JOB_TYPE", message: expect.stringContaining("known types: probe") });
  });

  it("401 without a token, with a wrong one, with another scheme; open without API_TOKEN", async () => {
    const { app, redis, keys } = await setup();
    const post = (headers: Record<string, string>) => app.inject({ method: "POST", url: "/jobs/probe", headers, payload: { id: "x" } });

    const none = await post({});
    const wrong = await post({ authorization: `Bearer ${API_TOKEN}x` });
    const basic = await post({ authorization: `Basic ${Buffer.from(`u:${API_TOKEN}`).toString("base64")}` });

    for (const response of [none, wrong, basic]) {
      expect(response.statusCode).toBe(401);
      expect(response.headers["www-authenticate"]).toContain("Bearer");
      expect(response.body).not.toContain(API_TOKEN);
    }
    expect(await redis.exists(keys.stream)).toBe(0);
    const open = await setup({});
    expect((await open.app.inject({ method: "POST", url: "/jobs/probe", payload: { id: "x" } })).statusCode).toBe(202);
  });

  it("413 over the body limit and over the publisher's payload limit", async () => {
    const { app, redis, keys } = await setup();

    const overBody = await app.inject({ method: "POST", url: "/jobs/probe", headers: { ...auth, "content-type": "application/json" }, payload: JSON.stringify({ id: "big", pad: "x".repeat(2 * MAX_PAYLOAD_BYTES) }) });
    const overPayload = await app.inject({ method: "POST", url: "/jobs/probe", headers: auth, payload: { id: "big", pad: "x".repeat(MAX_PAYLOAD_BYTES) } });

    expect(overBody.statusCode).toBe(413);
    expect(overPayload.statusCode).toBe(413);
    expect(overPayload.json().code).toBe("PAYLOAD_TOO_LARGE");
    expect(await redis.exists(keys.stream)).toBe(0);
  });

  it("400 for garbage and deep JSON, 415 for another media type; the app keeps serving", async () => {
    const { app } = await setup();
    const post = (payload: string, type = "application/json") => app.inject({ method: "POST", url: "/jobs/probe", headers: { ...auth, "content-type": type }, payload });

    const garbage = await post("\u0000{not json at all");
    const deep = await post("[".repeat(100_000) + "]".repeat(100_000));
    const deepObject = await post('{"a":'.repeat(65) + "1" + "}".repeat(65));
    const empty = await post("");
    const text = await post("hello", "text/plain");

    expect(garbage.statusCode).toBe(400);
    expect(deep.statusCode).toBe(400);
    expect(deep.json().code).toBe("BODY_TOO_DEEP");
    expect(deepObject.statusCode).toBe(400);
    expect(empty.statusCode).toBe(400);
    expect(text.statusCode).toBe(415);
    expect((await post(JSON.stringify({ id: "after" }))).statusCode).toBe(202);
  });

  it("503 when Redis cannot store the job, and nothing turns up once Redis is back", async () => {
    // Prepare: a private Redis this test may stop.
    const server = await startRedisServer({ appendonly: true });
    cleanups.push(() => server.stop());
    const { app, config } = await testApp(server.url, { API_TOKEN });
    cleanups.push(() => app.close());
    expect((await app.inject({ method: "POST", url: "/jobs/probe", headers: auth, payload: { id: "before" } })).statusCode).toBe(202);
    await server.kill();

    // Act
    const response = await app.inject({ method: "POST", url: "/jobs/probe", headers: auth, payload: { id: "during" } });

    // Assess
    expect(response.statusCode).toBe(503);
    expect(response.headers["retry-after"]).toBeTruthy();
    expect(response.json().code).toBe("STORE_FAILED");
    expect(response.body).not.toContain(String(server.port));
    await server.restart();
    const redis = testRedis(server.url);
    cleanups.push(() => redis.quit());
    const payloads = (await redis.xrange(jobKeys(config.keyPrefix, "probe").stream, "-", "+")).map(([, fields]) => fields[fields.indexOf("payload") + 1]);
    expect(payloads).toEqual([JSON.stringify({ id: "before" })]);
  });

  it("500 never echoes the internal error", async () => {
    const secret = "connect ECONNREFUSED 10.1.2.3:7000 at /srv/secret/path.ts";
    const failing = { publish: async () => Promise.reject(new Error(secret)) };
    const { app } = await testApp(redisUrl, {}, { overrides: { publisher: failing as never } });
    cleanups.push(() => app.close());

    const response = await app.inject({ method: "POST", url: "/jobs/probe", payload: { id: "x" } });

    expect(response.statusCode).toBe(500);
    expect(response.body).not.toContain("10.1.2.3");
    expect(response.body).not.toContain("secret");
    expect(response.json()).toMatchObject({ code: "INTERNAL_ERROR", requestId: response.headers["request-id"] });
  });
});
